import type { Logger } from "./logger.ts";

/**
 * Runs `drain` once on the first SIGTERM or SIGINT and exits 0 when it resolves (1 if it throws).
 * A second signal while draining is ignored: Kubernetes follows up with SIGKILL on its own.
 */
export function onShutdownSignal(log: Logger, drain: () => Promise<void>): void {
  let draining = false;
  const handle = (signal: NodeJS.Signals) => {
    if (draining) return;
    draining = true;
    log.info({ signal }, "shutting down");
    drain().then(
      () => {
        log.info("shutdown complete");
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err: err instanceof Error ? err.message : String(err) }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", handle);
  process.on("SIGINT", handle);
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
