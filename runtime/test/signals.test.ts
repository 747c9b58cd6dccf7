import { readFileSync } from "node:fs";
import { Writable } from "node:stream";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../src/logger.ts";
import { atMost, ShutdownSignals } from "../src/signals.ts";

const installed: ShutdownSignals[] = [];

/** A ShutdownSignals whose exits are recorded instead of ending the test process. */
function signals() {
  const exits: number[] = [];
  let exited: (code: number) => void = () => {};
  const exitedOnce = new Promise<number>((resolve) => {
    exited = resolve;
  });
  const s = new ShutdownSignals("svc", (code) => {
    exits.push(code);
    exited(code);
  });
  installed.push(s);
  return { signals: s, exits, exited: exitedOnce };
}

function logger() {
  const messages: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of chunk.toString().split("\n")) {
        if (line) messages.push(JSON.parse(line).msg);
      }
      done();
    },
  });
  return { log: createLogger({ service: "svc", level: "info", destination }), messages };
}

afterEach(() => {
  for (const s of installed.splice(0)) s.dispose();
  vi.restoreAllMocks();
});

describe("ShutdownSignals", () => {
  it("handles SIGTERM from the moment it is constructed", () => {
    const before = process.listenerCount("SIGTERM");
    signals();
    expect(process.listenerCount("SIGTERM")).toBe(before + 1);
    expect(process.listenerCount("SIGINT")).toBeGreaterThan(0);
  });

  it("exits 0 with one stderr line when a signal comes before the service is ready", () => {
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const { exits } = signals();
    process.emit("SIGTERM", "SIGTERM");
    expect(exits).toEqual([0]);
    expect(stderr).toHaveBeenCalledWith("svc: SIGTERM during startup; exiting\n");
  });

  it("drains once ready, tells the drain which signal came, then exits 0", async () => {
    const { signals: s, exited } = signals();
    const { log, messages } = logger();
    const drained: NodeJS.Signals[] = [];
    s.ready(log, async (signal) => {
      drained.push(signal);
    });
    process.emit("SIGINT", "SIGINT");
    expect(await exited).toBe(0);
    expect(drained).toEqual(["SIGINT"]);
    expect(messages).toEqual(["shutting down", "shutdown complete"]);
  });

  it("exits 1 when the drain fails, logging why", async () => {
    const { signals: s, exited } = signals();
    const { log, messages } = logger();
    s.ready(log, async () => {
      throw new Error("close failed");
    });
    process.emit("SIGTERM", "SIGTERM");
    expect(await exited).toBe(1);
    expect(messages).toEqual(["shutting down", "shutdown failed"]);
  });

  it("drains only once however many signals follow", async () => {
    const { signals: s, exits, exited } = signals();
    const { log, messages } = logger();
    let release: () => void = () => {};
    let drains = 0;
    s.ready(log, () => {
      drains++;
      return new Promise<void>((resolve) => {
        release = resolve;
      });
    });
    process.emit("SIGTERM", "SIGTERM");
    process.emit("SIGTERM", "SIGTERM");
    process.emit("SIGINT", "SIGINT");
    release();
    expect(await exited).toBe(0);
    expect(drains).toBe(1);
    expect(exits).toEqual([0]);
    expect(messages.filter((m) => m === "already shutting down")).toHaveLength(2);
  });
});

describe("atMost", () => {
  it("is true when the work settles in time", async () => {
    expect(await atMost(60_000, Promise.resolve("done"))).toBe(true);
  });

  it("is false when the time runs out first", async () => {
    expect(await atMost(1, new Promise(() => {}))).toBe(false);
  });

  it("rejects with the work's error when it fails in time", async () => {
    await expect(atMost(60_000, Promise.reject(new Error("broken")))).rejects.toThrow("broken");
  });
});

describe("the signals module", () => {
  it("loads nothing at run time but its own error helper, so entry points can load it first", () => {
    const source = readFileSync(new URL("../src/signals.ts", import.meta.url), "utf8");
    const valueImports = [...source.matchAll(/^import (?!type )[^;]* from "([^"]+)";$/gm)].map(
      (m) => m[1],
    );
    expect(valueImports).toEqual(["./errors.ts"]);
  });
});

// Node as PID 1 ignores SIGTERM until a handler exists, so a container stopped while it is still
// starting would hang until SIGKILL: both services install the handlers before anything slow loads.
describe.each(["backend", "gateway"])("the %s entry point", (service) => {
  const source = readFileSync(new URL(`../../${service}/src/main.ts`, import.meta.url), "utf8");

  it("imports nothing but the signal handling statically", () => {
    const staticImports = [...source.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]);
    expect(staticImports).toEqual(["@infinity-pool/runtime/signals"]);
  });

  it("installs the handlers before it loads the service", () => {
    const installed = source.indexOf(`new ShutdownSignals("${service}")`);
    const loaded = source.indexOf('await import("./start.ts")');
    expect(installed).toBeGreaterThan(0);
    expect(loaded).toBeGreaterThan(installed);
  });
});
