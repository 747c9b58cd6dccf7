// Child processes of the bench: started one at a time, each waited for (its port accepts, or its
// HTTP readiness answers) before the next one that depends on it starts.
import { type ChildProcess, spawn } from "node:child_process";
import { openSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export interface Started {
  name: string;
  child: ChildProcess;
  /** The process whose /proc CPU counters are read; throws if it has already exited. */
  pid: number;
}

/** Starts and stops the bench's processes; each writes its output to `<logDir>/<name>.log`. */
export class Processes {
  readonly #children: ChildProcess[] = [];
  readonly #cwd: string;
  readonly logDir: string;

  constructor(cwd: string, logDir: string) {
    this.#cwd = cwd;
    this.logDir = logDir;
  }

  /** Spawns `command args` (node itself when command is undefined) with only PATH + `env`. */
  start(
    name: string,
    command: string | undefined,
    args: string[],
    env: Record<string, string>,
  ): Started {
    const out = openSync(join(this.logDir, `${name}.log`), "a");
    const child = spawn(command ?? process.execPath, args, {
      cwd: this.#cwd,
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["ignore", out, out],
    });
    this.#children.push(child);
    if (child.pid === undefined) throw new Error(`${name} did not start`);
    return { name, child, pid: child.pid };
  }

  /** Resolves once something accepts TCP connections on 127.0.0.1:`port`; fails if `p` exits. */
  async port(p: Started, port: number, timeoutMs = 60_000): Promise<void> {
    await this.#until(p, timeoutMs, () => accepts(port));
  }

  /** Resolves once `url` answers 2xx; fails if `p` exits first. */
  async http(p: Started, url: string, timeoutMs = 60_000): Promise<void> {
    await this.#until(p, timeoutMs, async () => {
      try {
        const res = await fetch(url);
        await res.arrayBuffer();
        return res.ok;
      } catch {
        return false;
      }
    });
  }

  async #until(p: Started, timeoutMs: number, ready: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (p.child.exitCode !== null || p.child.signalCode !== null) {
        throw new Error(`${p.name} exited before it was ready; see ${this.logDir}/${p.name}.log`);
      }
      if (await ready()) return;
      await sleep(100);
    }
    throw new Error(`${p.name} was not ready in ${timeoutMs} ms; see ${this.logDir}`);
  }

  /** SIGTERM to every child, then waits for them all to exit. */
  async stopAll(): Promise<void> {
    for (const child of this.#children) child.kill("SIGTERM");
    await Promise.all(
      this.#children.map((c) =>
        c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once("exit", r)) : null,
      ),
    );
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
