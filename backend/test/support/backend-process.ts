// Runs the real backend entry point as a child process, the way a container would.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
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
  timeoutMs?: number;
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
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => {
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
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let done = false;
  exited.then(() => {
    done = true;
  });
  while (!lines.some((l) => l.includes(readyText))) {
    if (done) {
      throw new Error(`backend exited before it was ready:\n${lines.join("\n")}`);
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`backend not ready in time:\n${lines.join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
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
