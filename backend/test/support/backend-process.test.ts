// The start-up deadline of the processes tests spawn follows their CPU time, not the clock: on a
// machine shared by parallel test runs a PGlite start took 36-48 s of wall-clock time for ~7 s of
// CPU, and a wall-clock deadline failed tests that would have passed.
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { cpuTimeMs, untilReady } from "./backend-process.ts";

const hasProc = cpuTimeMs(process.pid) !== undefined;

function node(code: string) {
  const child = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  const lines: string[] = [];
  child.stdout.setEncoding("utf8").on("data", (c: string) => lines.push(...c.trim().split("\n")));
  return { child, lines };
}

describe.skipIf(!hasProc)("untilReady (Linux /proc)", () => {
  it("reads this process's CPU time, growing as it works", () => {
    const before = cpuTimeMs(process.pid) as number;
    const until = Date.now() + 200;
    while (Date.now() < until) Math.sqrt(Math.random());
    expect(cpuTimeMs(process.pid)).toBeGreaterThan(before);
  });

  it("waits for a start that takes longer on the clock than its CPU budget", async () => {
    // Idle for 3 s (as a process starved by a busy machine is), then ready.
    const { child, lines } = node("setTimeout(() => console.log('ready'), 3000)");
    await untilReady(child, () => lines.includes("ready"), {
      what: "sleeper",
      lines,
      cpuBudgetMs: 1_000,
    });
    expect(lines).toContain("ready");
    child.kill();
  });

  it("gives up on a process that spends its CPU budget without getting ready, and kills it", async () => {
    const { child, lines } = node("for (;;) {}");
    const exited = new Promise((resolve) => child.once("exit", (_, signal) => resolve(signal)));
    await expect(
      untilReady(child, () => false, { what: "spinner", lines, cpuBudgetMs: 500 }),
    ).rejects.toThrow(/^spinner not ready after \d+ ms of CPU time/);
    expect(await exited).toBe("SIGKILL");
  });

  it("reports a process that exits before it is ready, with its output", async () => {
    const { child, lines } = node("console.log('config refused'); process.exit(1)");
    await expect(
      untilReady(child, () => false, { what: "quitter", lines, cpuBudgetMs: 60_000 }),
    ).rejects.toThrow(/^quitter exited before it was ready:\nconfig refused$/);
  });
});
