// Loads nothing slow: an entry point imports this before anything else (see ShutdownSignals).
import type { Logger } from "pino";
import { errorMessage } from "./errors.ts";

/** Drains the service after a signal; the signal tells how (the gateway skips its delay on SIGINT). */
export type Drain = (signal: NodeJS.Signals) => Promise<void>;

/**
 * Owns SIGTERM and SIGINT for the whole life of the process. Construct it first in `main.ts`,
 * before anything slow loads: Node running as PID 1 in a container ignores SIGTERM until a handler
 * exists (https://nodejs.org/api/process.html#signal-events), so a pod stopped while it is still
 * starting would otherwise hang until SIGKILL.
 *
 * Before `ready`, a signal exits 0 at once with one line on stderr (nothing is served yet). After
 * it, the first signal logs "shutting down", runs the drain and exits 0 ("shutdown complete"), or
 * 1 if the drain throws ("shutdown failed"). Later signals are logged and otherwise ignored:
 * Kubernetes follows up with SIGKILL on its own after the grace period.
 */
export class ShutdownSignals {
  readonly #service: string;
  readonly #exit: (code: number) => void;
  #log: Logger | undefined;
  #drain: Drain | undefined;
  #draining = false;

  /**
   * @param service prefixes the stderr line written before `ready`, e.g. `"backend"`.
   * @param exit ends the process (tests pass a recorder); `process.exit` by default.
   */
  constructor(service: string, exit: (code: number) => void = process.exit) {
    this.#service = service;
    this.#exit = exit;
    process.on("SIGTERM", this.#handle);
    process.on("SIGINT", this.#handle);
  }

  /** From now on a signal drains with `drain`, logging to `log`, then exits. */
  ready(log: Logger, drain: Drain): void {
    this.#log = log;
    this.#drain = drain;
  }

  /** Removes the handlers (for tests; a service keeps them until it exits). */
  dispose(): void {
    process.off("SIGTERM", this.#handle);
    process.off("SIGINT", this.#handle);
  }

  #handle = (signal: NodeJS.Signals): void => {
    const log = this.#log;
    const drain = this.#drain;
    if (this.#draining) {
      log?.info({ signal }, "already shutting down");
      return;
    }
    this.#draining = true;
    if (!drain || !log) {
      process.stderr.write(`${this.#service}: ${signal} during startup; exiting\n`);
      this.#exit(0);
      return;
    }
    log.info({ signal }, "shutting down");
    drain(signal).then(
      () => {
        log.info("shutdown complete");
        log.flush(() => this.#exit(0));
      },
      (err: unknown) => {
        log.error({ err: errorMessage(err) }, "shutdown failed");
        log.flush(() => this.#exit(1));
      },
    );
  };
}

/**
 * Waits for `work` for at most `ms` milliseconds. Resolves true when it settled in time, false when
 * the time ran out first (whatever it still holds is the caller's to cut or leave to process
 * exit); rejects when `work` rejects in time.
 */
export async function atMost(ms: number, work: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([work.then(() => true as const), expired]);
  } finally {
    clearTimeout(timer);
  }
}
