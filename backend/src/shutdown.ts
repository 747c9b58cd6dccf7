import { flushLogs, type Logger } from "./logger.ts";

/**
 * Owns SIGTERM and SIGINT for the whole life of the process. It is installed before anything slow
 * loads, because Node running as PID 1 in a container ignores SIGTERM until a handler exists: a
 * pod stopped while still starting would otherwise hang until SIGKILL.
 */
export class ShutdownSignals {
  #log: Logger | undefined;
  #drain: (() => Promise<void>) | undefined;
  #draining = false;

  constructor() {
    process.on("SIGTERM", this.#handle);
    process.on("SIGINT", this.#handle);
  }

  /** From now on a signal drains with `drain`, then exits 0 (1 if draining throws). */
  ready(log: Logger, drain: () => Promise<void>): void {
    this.#log = log;
    this.#drain = drain;
  }

  #handle = (signal: NodeJS.Signals) => {
    // A second signal while draining is ignored: Kubernetes follows up with SIGKILL on its own.
    if (this.#draining) return;
    this.#draining = true;
    const log = this.#log;
    if (!this.#drain || !log) {
      // Nothing is served yet, so there is nothing to drain.
      process.stderr.write(`backend: ${signal} during startup; exiting\n`);
      process.exit(0);
    }
    log.info({ signal }, "shutting down");
    this.#drain().then(
      async () => {
        log.info("shutdown complete");
        await flushLogs(log);
        process.exit(0);
      },
      async (err: unknown) => {
        log.error({ err: err instanceof Error ? err.message : String(err) }, "shutdown failed");
        await flushLogs(log);
        process.exit(1);
      },
    );
  };
}

/** Waits for `work` at most `ms`; whatever it still holds is released when the process exits. */
export async function atMost(ms: number, work: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  await Promise.race([work, expired]);
  clearTimeout(timer);
}
