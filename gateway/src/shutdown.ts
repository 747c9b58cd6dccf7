import type { Logger } from "./logger.ts";
import type { Gateway } from "./server.ts";

/**
 * SIGTERM (Kubernetes) drains with the configured delay so the load balancer can stop sending
 * traffic first; SIGINT (Ctrl-C at a terminal) drains at once. Further signals are ignored: the
 * drain is already bounded by the shutdown timeout.
 */
export function handleSignals(gateway: Gateway, log: Logger, exit = process.exit): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.info({ signal }, "already shutting down");
      return;
    }
    stopping = true;
    log.info({ signal }, "shutdown requested");
    gateway
      .shutdown(signal === "SIGINT" ? 0 : undefined)
      .then(() => log.flush(() => exit(0)))
      .catch((error: unknown) => {
        log.error({ err: error }, "shutdown failed");
        log.flush(() => exit(1));
      });
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
