import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

// Node as PID 1 ignores SIGTERM until a handler exists, so a container stopped while it is still
// starting would hang until SIGKILL: signal handling must be installed before anything slow loads.
describe("the entry point", () => {
  const source = readFileSync(new URL("../src/main.ts", import.meta.url), "utf8");

  it("imports nothing but the signal handling statically", () => {
    const staticImports = [...source.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]);
    expect(staticImports).toEqual(["@infinity-pool/runtime/signals"]);
  });

  it("installs the handlers before it loads the service", () => {
    const installed = source.indexOf("new ShutdownSignals(");
    const loaded = source.indexOf('await import("./start.ts")');
    expect(installed).toBeGreaterThan(0);
    expect(loaded).toBeGreaterThan(installed);
  });
});
