import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";

describe("configuration", () => {
  it("has production defaults: port 8080, keep-alive above the ALB's 60 s idle timeout", () => {
    const c = loadConfig({});
    expect(c.port).toBe(8080);
    // Metrics on a port of their own, which the chart's Ingress never routes to (CONTRACTS.md).
    expect(c.adminPort).toBe(9090);
    expect(c.writeTokensFile).toBeUndefined();
    expect(c.backendAddress).toBe("dns:///127.0.0.1:50051");
    expect(c.keepAliveTimeoutMs).toBeGreaterThan(60_000);
    expect(c.headersTimeoutMs).toBeLessThanOrEqual(c.requestTimeoutMs);
    expect(c.writeTokens).toEqual([]);
    expect(c.shutdownTimeoutMs).toBe(10_000);
    // The chart's preStop sleep does the waiting for the load balancer.
    expect(c.shutdownDelayMs).toBe(0);
  });

  it("reads WRITE_TOKENS as a comma-separated list, ignoring blanks, and WRITE_TOKENS_FILE", () => {
    const c = loadConfig({ WRITE_TOKENS: " a, ,b,,", WRITE_TOKENS_FILE: "/etc/tokens/t" });
    expect(c.writeTokens).toEqual(["a", "b"]);
    expect(c.writeTokensFile).toBe("/etc/tokens/t");
  });

  it("refuses the old GATEWAY_WRITE_TOKENS name rather than starting with writes disabled", () => {
    expect(() => loadConfig({ GATEWAY_WRITE_TOKENS: "s3cret" })).toThrow(
      /^invalid configuration: GATEWAY_WRITE_TOKENS is no longer read: set WRITE_TOKENS/,
    );
  });

  it("GATEWAY_WRITES_REQUIRE_HTTPS is off by default for local runs and reads true/false", () => {
    expect(loadConfig({}).writesRequireHttps).toBe(false);
    expect(loadConfig({ GATEWAY_WRITES_REQUIRE_HTTPS: "true" }).writesRequireHttps).toBe(true);
    expect(() => loadConfig({ GATEWAY_WRITES_REQUIRE_HTTPS: "yes" })).toThrow(
      /GATEWAY_WRITES_REQUIRE_HTTPS/,
    );
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
    [{ GATEWAY_ADMIN_PORT: "metrics" }, "GATEWAY_ADMIN_PORT"],
    [{ GATEWAY_PORT: "9000", GATEWAY_ADMIN_PORT: "9000" }, "GATEWAY_ADMIN_PORT"],
  ])("names the bad variable in one line: %j", (env, name) => {
    expect(() => loadConfig(env)).toThrow(new RegExp(`^invalid configuration: ${name} [^\\n]+$`));
  });

  it("never echoes a token in an error", () => {
    expect(() => loadConfig({ WRITE_TOKENS: "s3cret", GATEWAY_PORT: "x" })).toThrow(
      /^(?!.*s3cret).*GATEWAY_PORT/,
    );
  });
});
