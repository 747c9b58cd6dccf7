// The README's quick start as a newcomer runs it: a fresh clone, `npm ci && npm start` (GET / answers
// the greeting; Ctrl-C stops everything cleanly), `npm ci && npm test`. Under the machine's own
// Node.js and npm (Node 20 with npm 11 on CI machines), and under Node.js 20 with the npm 10 it
// ships, both as a user's shell finds them, with no Node.js 24 on PATH.
//
// What runs where: .ci/run itself runs `npm ci` and the whole `npm test` with the machine's own
// Node.js on a clean clone. Here `npm test` runs two quick suites in each copy: the one that
// asserts vitest and the processes it starts run on the project's Node.js 24 (not the Node.js
// that ran npm), and the gateway's OpenAPI suite as a sample of service code. Every suite again
// per toolchain would double CI time, and this file is not among the two, so it never runs itself.
import { rmSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../backend/test/support/postgres.ts";
import {
  type Command,
  freshCopy,
  groupAlive,
  shellEnv,
  startCommand,
} from "./support/fresh-copy.ts";
import { machineToolchain, type Toolchain, toolchain, versions } from "./support/node-dist.ts";

const greeting = {
  data: { greeting: "Hello World" },
  message: "Response from infinity-pool database",
};
const minutes = 60_000;

const toolchains: { label: string; get: () => Promise<Toolchain | undefined> }[] = [
  { label: "the machine's own Node.js and npm", get: async () => machineToolchain() },
  { label: "Node.js 20 with npm 10", get: () => toolchain(20, 10) },
];

describe.each(toolchains)("quick start with $label", ({ get }) => {
  let dir: string;
  let tools: Toolchain | undefined;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    tools = await get();
    if (!tools) return;
    dir = freshCopy();
    env = shellEnv(tools, { CI: "true" });
  }, 5 * minutes);

  // A command of a failed or timed-out test must not outlive it.
  const commands: Command[] = [];
  const run = (command: string, extraEnv: Record<string, string>, timeoutMs: number) => {
    const started = startCommand(command, dir, { ...env, ...extraEnv }, timeoutMs);
    commands.push(started);
    return started;
  };
  afterEach(() => {
    for (const command of commands.splice(0)) command.signalGroup("SIGKILL");
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(
    "npm ci installs the project's Node.js, with no install-script warning",
    async (ctx) => {
      if (!tools) return ctx.skip("no Node.js package on the npm registry for this platform");
      const { node, npm } = await versions(tools);
      console.log(`quick start: ${tools.label}: node ${node}, npm ${npm}`);
      const ci = run("npm ci", {}, 8 * minutes);
      const { code } = await ci.exited;
      expect(code, ci.output()).toBe(0);
      expect(ci.output()).not.toMatch(/install-scripts|allowScripts/);
      // What npm scripts find first on PATH.
      const probe = run("npm exec -- node -p process.version", {}, minutes);
      expect((await probe.exited).code, probe.output()).toBe(0);
      expect(probe.output().trim()).toMatch(/^v24\.\d+\.\d+$/);
    },
    10 * minutes,
  );

  it(
    "npm start answers GET / with the greeting and stops cleanly on Ctrl-C",
    async (ctx) => {
      if (!tools) return ctx.skip("no Node.js package on the npm registry for this platform");
      const gatewayPort = await freePort();
      const backendPort = await freePort();
      const adminPort = await freePort();
      const start = run(
        "npm start",
        {
          GATEWAY_PORT: String(gatewayPort),
          BACKEND_PORT: String(backendPort),
          GATEWAY_ADMIN_PORT: String(adminPort),
        },
        5 * minutes,
      );
      let answer: { status: number; body: unknown } | undefined;
      let running = true;
      void start.exited.then(() => {
        running = false;
      });
      // The backend opens and migrates its embedded database first; the gateway answers 503 until
      // then. Polled with a bound, never timed.
      for (let attempt = 0; attempt < 180 && running; attempt++) {
        try {
          const res = await fetch(`http://127.0.0.1:${gatewayPort}/`);
          answer = { status: res.status, body: await res.json() };
          if (res.status === 200) break;
        } catch {
          // Not listening yet.
        }
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      expect(answer, start.output()).toEqual({ status: 200, body: greeting });

      const pid = start.child.pid as number;
      start.signalGroup("SIGINT");
      const { code, signal } = await start.exited;
      const output = start.output();
      // Stopped by Ctrl-C: npm exits 130 (128 + SIGINT, what a shell shows) or dies of it.
      const stopped = code === 0 || code === 130 || signal === "SIGINT";
      expect(stopped, `exit ${code}, signal ${signal}:\n${output}`).toBe(true);
      expect(groupAlive(pid), "a process of npm start survived Ctrl-C").toBe(false);
      expect(output).toContain("gateway stopped");
      expect(output).toContain("shutdown complete");
      expect(output).not.toMatch(/ERR_UNKNOWN_FILE_EXTENSION|npm error|exited with code [1-9]/);
    },
    6 * minutes,
  );

  it(
    "npm test runs on the project's Node.js and passes",
    async (ctx) => {
      if (!tools) return ctx.skip("no Node.js package on the npm registry for this platform");
      const test = run(
        "npm test -- test/node-runtime.test.ts gateway/test/openapi.test.ts",
        {},
        8 * minutes,
      );
      const { code } = await test.exited;
      const output = test.output();
      expect(code, output).toBe(0);
      expect(output).toMatch(/Test Files\s+2 passed/);
      expect(output).not.toMatch(/skipped/);
    },
    10 * minutes,
  );
});
