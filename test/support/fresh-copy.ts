// A fresh clone of this working tree, and the environment of a user's shell to run commands in it.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { repoDir, type Toolchain } from "./node-dist.ts";

/**
 * Copies every file git would put in a clone (tracked, and new files not ignored), as they are in
 * the working tree, so uncommitted work is tested too; nothing ignored (node_modules, .tools,
 * .data) comes along.
 */
export function freshCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), "infinity-pool-clone-"));
  const files = execFileSync(
    "git",
    ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    {
      cwd: repoDir,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    },
  )
    .split("\0")
    .filter((f) => f !== "");
  for (const file of files) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    try {
      cpSync(join(repoDir, file), join(dir, file), { verbatimSymlinks: true });
    } catch (error) {
      // Deleted in the working tree but not yet in the index: a clone would not have it either.
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  return dir;
}

/**
 * The environment of the user's shell: this process's, without what `npm test` and vitest add
 * (npm_* settings, INIT_CWD, NODE, NODE_ENV=test, VITEST*), with the toolchain's PATH.
 */
export function shellEnv(
  toolchain: Toolchain,
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) || key.startsWith("VITEST") || key === "TEST") continue;
    if (key === "INIT_CWD" || key === "NODE" || key === "NODE_ENV" || key === "NODE_OPTIONS")
      continue;
    env[key] = value;
  }
  return { ...env, PATH: toolchain.path, ...extra };
}

export interface Command {
  child: ChildProcess;
  /** stdout and stderr so far, interleaved as written, without colours. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Signals the whole process group, as a terminal's Ctrl-C does. */
  signalGroup(signal: NodeJS.Signals): void;
}

/**
 * Starts `command` (words split on spaces, the program found on `env.PATH`) in its own process
 * group, as an interactive shell runs a foreground job. Every command gets a bound: after
 * `timeoutMs` the whole group is killed.
 */
export function startCommand(
  command: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Command {
  const [file, ...args] = command.split(" ");
  const child = spawn(file as string, args, {
    cwd,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    text += chunk;
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    text += chunk;
  });
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // The group is already gone.
    }
  };
  const timer = setTimeout(() => {
    text += `\n[test] ${command} still running after ${timeoutMs} ms: killed\n`;
    signalGroup("SIGKILL");
  }, timeoutMs);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
  return { child, output: () => stripVTControlCharacters(text), exited, signalGroup };
}

/** True while any process of the group led by `pid` is alive. */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}
