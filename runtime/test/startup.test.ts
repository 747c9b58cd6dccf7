import { afterEach, describe, expect, it, vi } from "vitest";
import { ConfigError } from "../src/config.ts";
import { exitOnStartupError } from "../src/startup.ts";

class Exited extends Error {
  override name = "Exited";
}

/** What exitOnStartupError writes and the exit code it asks for, without ending the test. */
function run(...args: Parameters<typeof exitOnStartupError>): { stderr: string; code: unknown } {
  let stderr = "";
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  let code: unknown;
  vi.spyOn(process, "exit").mockImplementation((c) => {
    code = c;
    throw new Exited();
  });
  expect(() => exitOnStartupError(...args)).toThrow(Exited);
  return { stderr, code };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("exitOnStartupError", () => {
  it("prints a ConfigError as it is, after the service name, and exits 1", () => {
    const { stderr, code } = run(
      "gateway",
      new ConfigError("GATEWAY_PORT", "must be a whole number"),
    );
    expect(stderr).toBe("gateway: invalid configuration: GATEWAY_PORT must be a whole number\n");
    expect(code).toBe(1);
  });

  it("prints anything else as one line starting `startup failed:`", () => {
    const { stderr, code } = run("backend", new Error("connect ECONNREFUSED\n   at somewhere"));
    expect(stderr).toBe("backend: startup failed: connect ECONNREFUSED at somewhere\n");
    expect(code).toBe(1);
  });

  it("lets the service say less than the raw error", () => {
    const { stderr } = run("backend", new Error("password=hunter2"), () => "secret unreadable");
    expect(stderr).toBe("backend: startup failed: secret unreadable\n");
    expect(stderr).not.toContain("hunter2");
  });

  it("never passes a ConfigError to the service's detail function", () => {
    const detail = vi.fn(() => "other");
    const { stderr } = run("backend", new ConfigError("DB_HOST", "must not be empty"), detail);
    expect(detail).not.toHaveBeenCalled();
    expect(stderr).toBe("backend: invalid configuration: DB_HOST must not be empty\n");
  });
});
