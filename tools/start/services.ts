// The two services as child processes of `npm start`, each in its own process group so that a
// Ctrl-C reaches them once, through this launcher, which waits for both to finish draining.
import { type ChildProcess, spawn } from "node:child_process";
import { constants } from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const repoDir = fileURLToPath(new URL("../..", import.meta.url));

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  /** Resolves with the exit code (128 + signal number when a signal ended it). */
  exited: Promise<number>;
}

/**
 * Starts `node <entry>` with this Node.js and the launcher's environment. Every line the service
 * writes, on stdout or stderr, goes to `onLine` with the stream it came from.
 */
export function startService(
  name: string,
  entry: string,
  onLine: (line: string, stream: "stdout" | "stderr") => void,
): ServiceProcess {
  const child = spawn(process.execPath, [entry], {
    cwd: repoDir,
    env: process.env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  for (const stream of ["stdout", "stderr"] as const) {
    const source = child[stream];
    if (source)
      createInterface({ input: source, crlfDelay: Infinity }).on("line", (line) =>
        onLine(line, stream),
      );
  }
  const exited = new Promise<number>((resolve) => {
    child.once("close", (code, signal) =>
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 1) : 1)),
    );
  });
  return { name, child, exited };
}

/** Sends `signal` to the service's process group; a group already gone is fine. */
export function signalService(service: ServiceProcess, signal: NodeJS.Signals): void {
  if (service.child.pid === undefined || service.child.exitCode !== null) return;
  try {
    process.kill(-service.child.pid, signal);
  } catch {
    // Exited meanwhile.
  }
}
