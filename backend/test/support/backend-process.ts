// Runs the real backend entry point as a child process, the way a container would.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { testWriteToken } from "./clients.ts";
import { freePort } from "./postgres.ts";

export const backendDir = fileURLToPath(new URL("../..", import.meta.url));

export interface BackendProcess {
  port: number;
  /** `host:port`, for @grpc/grpc-js and similar clients. */
  address: string;
  /** `http://host:port`, for Connect and buf curl. */
  url: string;
  child: ChildProcess;
  /** Every line written so far to stdout and stderr. */
  logs(): string[];
  kill(signal?: NodeJS.Signals): void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StartOptions {
  /** Extra environment; with no database variables the backend uses a fresh PGlite directory. */
  env?: Record<string, string | undefined>;
  script?: "main" | "migrate";
  host?: string | undefined;
  /** Resolve once this text appears in the output (default: the "listening" line). */
  readyText?: string;
  /**
   * CPU time (user + system, ms) the backend may spend without becoming ready before it is given
   * up as stuck; default 120 000. A start on PGlite costs about 7 s of CPU on these machines
   * whatever their load, while its wall-clock time grows with the load (20 s at load 7, 36-48 s
   * at load 15-20), so the deadline follows the process, not the clock. Where CPU time cannot be
   * read (no /proc), the same figure bounds wall-clock time. A backend that waits without using
   * CPU is bounded by the test's own timeout.
   */
  cpuBudgetMs?: number;
}

/** Environment without variables of the test runner's own process that would leak in. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of ["PATH", "HOME", "LANG", "TZ", "NODE_OPTIONS"]) {
    if (process.env[key] !== undefined) env[key] = process.env[key];
  }
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

/** Clock ticks per second of /proc/<pid>/stat's times (sysconf(_SC_CLK_TCK), 100 on Linux). */
let clockTicks: number | undefined;

/**
 * CPU time the process has used so far, in ms: utime + stime, fields 14 and 15 of
 * /proc/<pid>/stat (proc(5)). Undefined where /proc is not available (macOS) or the process is gone.
 */
export function cpuTimeMs(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  // After "pid (comm) " — comm may hold spaces and parentheses, so split after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
}

/**
 * Polls `ready` until it holds. Fails when the process exits first, or when it has used
 * `cpuBudgetMs` of CPU time (default 120 000) without getting there: a start slowed by a busy
 * machine gets the wall-clock time it needs, a start that spins does not (see
 * StartOptions.cpuBudgetMs). Without /proc the budget bounds wall-clock time. Kills the process
 * when giving up.
 */
export async function untilReady(
  child: ChildProcess,
  ready: () => boolean,
  options: { what: string; lines: string[]; cpuBudgetMs?: number },
): Promise<void> {
  const budget = options.cpuBudgetMs ?? 120_000;
  const startedAt = Date.now();
  while (!ready()) {
    if (child.exitCode !== null || child.signalCode !== null) {
      // Let the last lines arrive before reporting them: stdio closes after the exit.
      if (child.stdout?.readableEnded === false) {
        await Promise.race([
          new Promise((r) => child.once("close", r)),
          new Promise((r) => setTimeout(r, 1_000)),
        ]);
      }
      throw new Error(`${options.what} exited before it was ready:\n${options.lines.join("\n")}`);
    }
    const cpu = child.pid === undefined ? undefined : cpuTimeMs(child.pid);
    const spent = cpu ?? Date.now() - startedAt;
    if (spent > budget) {
      child.kill("SIGKILL");
      throw new Error(
        `${options.what} not ready after ${Math.round(spent)} ms of CPU time (wall clock ${Date.now() - startedAt} ms):\n${options.lines.join("\n")}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Children still running when the test worker exits are killed with it, not left behind. */
const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

export function spawnBackend(options: StartOptions & { port?: number } = {}) {
  const script = options.script ?? "main";
  const env = cleanEnv({
    LOG_LEVEL: "info",
    WRITE_TOKENS: testWriteToken,
    PGLITE_DATA_DIR: mkdtempSync(join(tmpdir(), "infinity-pool-pglite-")),
    ...(options.port !== undefined ? { BACKEND_PORT: String(options.port) } : {}),
    ...(options.host ? { BACKEND_HOST: options.host } : {}),
    ...options.env,
  });
  const child = spawn(process.execPath, [join(backendDir, "src", `${script}.ts`)], {
    cwd: backendDir,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const collect = (stream: NodeJS.ReadableStream | null) => {
    let buffer = "";
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      buffer += chunk;
      const parts = buffer.split("\n");
      buffer = parts.pop() ?? "";
      lines.push(...parts.filter((l) => l !== ""));
    });
    stream?.on("end", () => {
      if (buffer) lines.push(buffer);
    });
  };
  collect(child.stdout);
  collect(child.stderr);
  live.add(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => {
      live.delete(child);
      // Let the stdio streams flush their last lines before reporting.
      setImmediate(() => resolve({ code, signal }));
    });
  });
  return { child, lines, exited };
}

export async function startBackend(options: StartOptions = {}): Promise<BackendProcess> {
  const host = options.host ?? "127.0.0.1";
  const port = Number(options.env?.BACKEND_PORT ?? (await freePort(host)));
  const { child, lines, exited } = spawnBackend({ ...options, host, port });
  const readyText = options.readyText ?? "backend listening";
  await untilReady(child, () => lines.some((l) => l.includes(readyText)), {
    what: "backend",
    lines,
    ...(options.cpuBudgetMs !== undefined ? { cpuBudgetMs: options.cpuBudgetMs } : {}),
  });
  return {
    port,
    address: `${host}:${port}`,
    url: `http://${host}:${port}`,
    child,
    logs: () => [...lines],
    kill: (signal = "SIGTERM") => {
      child.kill(signal);
    },
    exited,
  };
}
