import type { ServiceImpl } from "@connectrpc/connect";
import { ConnectError } from "@connectrpc/connect";
import {
  type Health,
  HealthCheckResponse_ServingStatus as Status,
} from "@infinity-pool/proto/grpc/health/v1/health_pb.js";
import { GreetingService } from "@infinity-pool/proto/infinitypool/v1/greeting_pb.js";
import type { Logger } from "@infinity-pool/runtime/logger";
import { Code } from "@infinity-pool/runtime/status";
import type { Database } from "./db/database.ts";

/** The whole server: what the kubelet's readiness probe asks (CONTRACTS.md, "Readiness"). */
const SERVER = "";
const KNOWN_SERVICES = new Set([SERVER, GreetingService.typeName]);

/**
 * grpc.health.v1 for the backend (https://github.com/grpc/grpc/blob/master/doc/health-checking.md).
 * The server ("") is SERVING until shutdown begins, whatever the database does: it is what the
 * readiness probe asks, and a database outage must not take every backend out of its Service (the
 * API answers UNAVAILABLE itself, fast, and recovers on its own). The GreetingService, which needs
 * the database, is SERVING exactly while the database answers: a timer probes it, and every
 * database call reports its own outcome so a failure shows at once.
 */
export class HealthMonitor {
  readonly #database: Database;
  readonly #intervalMs: number;
  readonly #log: Logger;
  #serving = false;
  #shuttingDown = false;
  #timer: NodeJS.Timeout | undefined;
  #waiters = new Set<() => void>();

  constructor(database: Database, intervalMs: number, log: Logger) {
    this.#database = database;
    this.#intervalMs = intervalMs;
    this.#log = log;
  }

  /** The status of `service`: "" for the server, or the GreetingService's full name. */
  #status(service: string = GreetingService.typeName): Status {
    if (this.#shuttingDown) return Status.NOT_SERVING;
    if (service === SERVER) return Status.SERVING;
    return this.#serving ? Status.SERVING : Status.NOT_SERVING;
  }

  /** Probes the database once, then every `intervalMs` (the timer does not keep the process alive). */
  async start(): Promise<void> {
    await this.#probe();
    this.#timer = setInterval(() => void this.#probe(), this.#intervalMs);
    this.#timer.unref();
  }

  async #probe(): Promise<void> {
    try {
      await this.#database.ping();
      this.report(true);
    } catch {
      this.report(false);
    }
  }

  /** Records whether the database just answered; a change is logged and wakes Watch streams. */
  report(databaseAnswered: boolean): void {
    if (this.#serving === databaseAnswered) return;
    this.#serving = databaseAnswered;
    if (!this.#shuttingDown) {
      this.#log.info(
        { healthService: GreetingService.typeName, status: Status[this.#status()] },
        "health status changed",
      );
    }
    this.#notify();
  }

  /** From now on every check answers NOT_SERVING and Watch streams end after saying so. */
  shutdown(): void {
    this.#shuttingDown = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#notify();
  }

  #notify(): void {
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }

  #nextChange(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        signal.removeEventListener("abort", wake);
        this.#waiters.delete(wake);
        resolve();
      };
      this.#waiters.add(wake);
      signal.addEventListener("abort", wake, { once: true });
    });
  }

  async *#watch(service: string, signal: AbortSignal) {
    if (!KNOWN_SERVICES.has(service)) {
      yield { status: Status.SERVICE_UNKNOWN };
      await this.#nextChange(signal);
      return;
    }
    let last: Status | undefined;
    while (!signal.aborted) {
      const status = this.#status(service);
      if (status !== last) {
        yield { status };
        last = status;
      }
      if (this.#shuttingDown) return;
      await this.#nextChange(signal);
    }
  }

  /**
   * grpc.health.v1.Health (https://github.com/grpc/grpc/blob/master/doc/health-checking.md) for
   * the server ("") and infinitypool.v1.GreetingService: SERVING while the database answers and the
   * server is not shutting down. Check of another name is NOT_FOUND; Watch of one answers
   * SERVICE_UNKNOWN, as the protocol asks.
   */
  service(): ServiceImpl<typeof Health> {
    return {
      check: (req) => {
        if (!KNOWN_SERVICES.has(req.service)) {
          throw new ConnectError(`unknown service ${req.service}`, Code.NOT_FOUND);
        }
        return { status: this.#status(req.service) };
      },
      watch: (req, ctx) => this.#watch(req.service, ctx.signal),
    };
  }
}
