import type { PGlite } from "@electric-sql/pglite";
import pg from "pg";

/**
 * One LISTEN registration on a session of its own. PostgreSQL delivers a NOTIFY to the sessions
 * listening when the notifying transaction commits, in commit order
 * (https://www.postgresql.org/docs/current/sql-notify.html).
 */
export interface Listener {
  /** Stops listening and ends the session; `lost` is not called afterwards. */
  close(): Promise<void>;
}

export interface ListenHandlers {
  /** One notification on the channel, with its payload ("" when none was given). */
  notify(payload: string): void;
  /**
   * The session ended or stopped answering (database restart, failover, terminated backend): no
   * notification arrives any more. Called at most once, never after close().
   */
  lost(err: Error): void;
}

/** `application_name` of listening sessions, so operators can tell them apart in pg_stat_activity. */
export const LISTENER_APPLICATION_NAME = "infinity-pool-backend-listener";

// A listening session sends nothing by itself, so a peer that vanished without a TCP reset (a
// failed-over host) would go unnoticed until the kernel's keepalive, two hours by default. A
// round trip this often, bounded by the pool's query_timeout, finds it within seconds.
const PING_INTERVAL_MS = 10_000;

/**
 * LISTENs on `channel` over a new connection made with the pool's settings, so it has the same
 * host, TLS and credentials (including a password function that reads the current Secrets Manager
 * value). Rejects with the driver's error when the connection or the LISTEN fails.
 *
 * @param channel a lower-case SQL identifier; it is not quoted.
 */
export async function listenPostgres(
  settings: pg.ClientConfig,
  channel: string,
  handlers: ListenHandlers,
): Promise<Listener> {
  const client = new pg.Client({
    ...settings,
    // pg-pool keeps the password out of enumerable options, so the spread above drops it.
    password: settings.password,
    application_name: LISTENER_APPLICATION_NAME,
  });
  let ended = false;
  let timer: NodeJS.Timeout | undefined;
  const end = () => {
    ended = true;
    clearInterval(timer);
    client.end().catch(() => undefined);
  };
  const lose = (err: Error) => {
    if (ended) return;
    end();
    handlers.lost(err);
  };
  // Until connect() resolves, failures reach the caller as a rejection instead.
  client.on("error", (err) => lose(err));
  client.on("end", () => lose(new Error("listening connection closed")));
  client.on("notification", (message) => {
    if (!ended && message.channel === channel) handlers.notify(message.payload ?? "");
  });
  try {
    await client.connect();
    await client.query(`LISTEN ${channel}`);
  } catch (err) {
    end();
    throw err;
  }
  timer = setInterval(() => {
    client.query("SELECT 1").catch((err: unknown) => lose(err as Error));
  }, PING_INTERVAL_MS);
  timer.unref();
  return {
    async close() {
      if (ended) return;
      end();
    },
  };
}

/**
 * LISTENs on the embedded PGlite instance. PGlite runs in this process, so the registration
 * cannot be lost; notifications arrive as the notifying query completes.
 */
export async function listenPglite(
  client: PGlite,
  channel: string,
  handlers: ListenHandlers,
): Promise<Listener> {
  const unlisten = await client.listen(channel, (payload) => handlers.notify(payload));
  let closed = false;
  return {
    async close() {
      if (closed) return;
      closed = true;
      await unlisten().catch(() => undefined);
    },
  };
}
