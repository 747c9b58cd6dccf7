import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";

describe("configuration", () => {
  it("has production defaults: port 8080, keep-alive above the ALB's 60 s idle timeout", () => {
    const c = loadConfig({});
    expect(c.port).toBe(8080);
    expect(c.backendAddress).toBe("dns:///127.0.0.1:50051");
    expect(c.keepAliveTimeoutMs).toBeGreaterThan(60_000);
    expect(c.headersTimeoutMs).toBeLessThanOrEqual(c.requestTimeoutMs);
    expect(c.writeTokens).toEqual([]);
    expect(c.shutdownTimeoutMs).toBe(10_000);
    // The chart's preStop sleep does the waiting for the load balancer.
    expect(c.shutdownDelayMs).toBe(0);
  });

  it("reads tokens as a comma-separated list, ignoring blanks", () => {
    expect(loadConfig({ GATEWAY_WRITE_TOKENS: " a, ,b,," }).writeTokens).toEqual(["a", "b"]);
  });

  it("derives the backend address from BACKEND_PORT when BACKEND_ADDRESS is unset", () => {
    expect(loadConfig({ BACKEND_PORT: "6000" }).backendAddress).toBe("dns:///127.0.0.1:6000");
    expect(loadConfig({ BACKEND_ADDRESS: "dns:///b.svc:50051" }).backendAddress).toBe(
      "dns:///b.svc:50051",
    );
  });

  it.each([
    [{ GATEWAY_PORT: "http" }, "GATEWAY_PORT"],
    [{ GATEWAY_PORT: "70000" }, "GATEWAY_PORT"],
    [{ BACKEND_ADDRESS: "backend:50051" }, "BACKEND_ADDRESS"],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL"],
    [{ GATEWAY_DEADLINE_MS: "9000", GATEWAY_MAX_DEADLINE_MS: "1000" }, "GATEWAY_DEADLINE_MS"],
  ])("names the bad variable in one line: %j", (env, name) => {
    expect(() => loadConfig(env)).toThrow(new RegExp(`^invalid configuration: ${name} [^\\n]+$`));
  });

  it("never echoes a token in an error", () => {
    expect(() => loadConfig({ GATEWAY_WRITE_TOKENS: "s3cret", GATEWAY_PORT: "x" })).toThrow(
      /^(?!.*s3cret).*GATEWAY_PORT/,
    );
  });
});
