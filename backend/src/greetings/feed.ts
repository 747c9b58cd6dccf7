import { ConnectError } from "@connectrpc/connect";
import type { Logger } from "@infinity-pool/runtime/logger";
import { Code } from "@infinity-pool/runtime/status";
import type { Database } from "../db/database.ts";
import { errorFields, toConnectError } from "../db/errors.ts";
import type { Listener } from "../db/listener.ts";
import type { GreetingRow } from "../db/schema.ts";
import * as repo from "./repository.ts";

/** The channel drizzle/0002_greeting_notifications.sql notifies after every insert. */
export const GREETINGS_CHANNEL = "infinitypool_greetings";

// Rows read per query when catching up; subscribers drain between pages.
const PAGE_SIZE = 256;

export interface FeedOptions {
  /** Greetings a subscription may hold undelivered before it fails with RESOURCE_EXHAUSTED. */
  bufferMessages: number;
  /** How long subscriptions wait for a lost LISTEN session to return before UNAVAILABLE. */
  reconnectGraceMs: number;
}

type State = "idle" | "starting" | "live" | "reconnecting" | "closed";

interface ListenSession {
  listener: Listener;
  /** True once it is the feed's session: from then on its events are acted on. */
  current: boolean;
  lostEarly: Error | undefined;
}

/**
 * The greetings stream of one backend process: ONE listening session fanned out to every
 * subscriber, however many there are.
 *
 * A notification only wakes the feed; it then reads the rows after the newest id it has handed
 * out (`#newest`) and gives each to every subscriber, so the table is the single source of truth.
 * This needs ids to become visible in id order, which the insert trigger guarantees (see the
 * migration). When the session is lost the feed logs in again and reads from `#newest`, so the
 * subscribers miss nothing; if it cannot within the grace period they fail with UNAVAILABLE.
 */
export class GreetingFeed {
  readonly #database: Database;
  readonly #log: Logger;
  readonly #options: FeedOptions;
  readonly #subscribers = new Set<Subscription>();
  #state: State = "idle";
  #starting: Promise<void> | undefined;
  #listener: Listener | undefined;
  // Every greeting with an id up to this one has been handed to the subscribers of its time.
  #newest = 0n;
  #reading = false;
  #readAgain = false;
  #retry: NodeJS.Timeout | undefined;

  constructor(database: Database, options: FeedOptions, log: Logger) {
    this.#database = database;
    this.#options = options;
    this.#log = log;
  }

  /** Open subscriptions (for tests and logs). */
  get subscribers(): number {
    return this.#subscribers.size;
  }

  /**
   * Subscribes to every greeting with an id greater than the returned subscription's `after`.
   * Starts listening on first use.
   *
   * @throws ConnectError UNAVAILABLE while the database cannot be reached or after close().
   */
  async subscribe(): Promise<Subscription> {
    if (this.#state === "idle") this.#starting = this.#start();
    if (this.#state === "starting") await this.#starting;
    if (this.#state === "closed") throw shuttingDown();
    if (this.#state !== "live") throw new ConnectError("database unavailable", Code.UNAVAILABLE);
    const subscription = new Subscription(this.#newest, this.#options.bufferMessages, (s) =>
      this.#subscribers.delete(s),
    );
    this.#subscribers.add(subscription);
    return subscription;
  }

  /** Ends every subscription with UNAVAILABLE and stops listening; for shutdown. */
  async close(): Promise<void> {
    this.#state = "closed";
    clearTimeout(this.#retry);
    this.#failAll(shuttingDown());
    const listener = this.#listener;
    this.#listener = undefined;
    await listener?.close();
  }

  async #start(): Promise<void> {
    this.#state = "starting";
    try {
      const session = await this.#listen();
      try {
        // Read after LISTEN took effect, so nothing committed from here on goes unnoticed.
        this.#newest = await this.#database.run((db) => repo.newestGreetingId(db));
      } catch (err) {
        await session.listener.close();
        throw err;
      }
      if (this.#state !== "starting") {
        await session.listener.close();
        return;
      }
      this.#goLive(session);
      this.#log.info({ channel: GREETINGS_CHANNEL }, "listening for new greetings");
    } catch (err) {
      if (this.#state === "starting") this.#state = "idle";
      this.#log.warn({ err: errorFields(err) }, "cannot listen for new greetings");
      throw toConnectError(err);
    }
  }

  /**
   * LISTENs on a new session. Its notifications and its loss only count once it is made current
   * by #goLive; until then they are remembered, so the caller can tell it died while starting.
   */
  async #listen(): Promise<ListenSession> {
    const flags: Omit<ListenSession, "listener"> = { current: false, lostEarly: undefined };
    const listener = await this.#database.listen(GREETINGS_CHANNEL, {
      notify: (payload) => {
        if (flags.current) this.#notified(payload);
      },
      lost: (err) => {
        if (flags.current) this.#lost(err);
        else flags.lostEarly = err;
      },
    });
    return Object.assign(flags, { listener });
  }

  #goLive(session: ListenSession): void {
    if (session.lostEarly) throw session.lostEarly;
    session.current = true;
    this.#listener = session.listener;
    this.#state = "live";
    // Notifications that arrived before the session was current were not acted on: one read
    // catches up with whatever they announced (and with anything missed while nobody listened).
    void this.#read();
  }

  #notified(payload: string): void {
    if (this.#state !== "live") return;
    const id = /^\d{1,19}$/.test(payload) ? BigInt(payload) : undefined;
    if (this.#subscribers.size === 0 && id !== undefined && !this.#reading) {
      // Nobody to give the rows to. Ids commit in order, so every id up to this one is settled.
      if (id > this.#newest) this.#newest = id;
      return;
    }
    if (id !== undefined && id <= this.#newest && !this.#reading) return;
    void this.#read();
  }

  /** Hands every greeting after #newest to the subscribers; one reader at a time. */
  async #read(): Promise<void> {
    if (this.#reading) {
      this.#readAgain = true;
      return;
    }
    this.#reading = true;
    try {
      for (;;) {
        this.#readAgain = false;
        if (this.#subscribers.size === 0) {
          // Nobody to hand rows to (the last subscriber left mid-burst): skip to the newest id.
          const newest = await this.#database.run((db) => repo.newestGreetingId(db));
          // A subscriber that joined meanwhile is owed every row after its start: read them.
          if (this.#subscribers.size > 0) continue;
          if (newest > this.#newest) this.#newest = newest;
          if (this.#readAgain) continue;
          break;
        }
        const after = this.#newest;
        const rows = await this.#database.run((db) => repo.listGreetings(db, after, PAGE_SIZE));
        if (this.#state === "closed") return;
        for (const row of rows) {
          if (row.id <= this.#newest) continue;
          this.#newest = row.id;
          for (const subscriber of this.#subscribers) subscriber.push(row);
        }
        if (rows.length < PAGE_SIZE && !this.#readAgain) break;
      }
      this.#log.debug(
        { newest: String(this.#newest), subscribers: this.#subscribers.size },
        "new greetings handed out",
      );
    } catch (err) {
      // The listening session notices a real outage by itself; a failed read on a healthy one
      // (a pool timeout) is retried so the notification is not lost.
      this.#log.warn({ err: errorFields(err) }, "cannot read new greetings; retrying");
      if (this.#state === "live") {
        clearTimeout(this.#retry);
        this.#retry = setTimeout(() => void this.#read(), 500);
      }
    } finally {
      this.#reading = false;
    }
  }

  #lost(err: Error): void {
    this.#listener = undefined;
    if (this.#state !== "live") return;
    this.#log.warn({ err: errorFields(err) }, "lost the listening connection");
    if (this.#subscribers.size === 0) {
      // Nothing to resume: the next subscriber starts afresh.
      this.#state = "idle";
      return;
    }
    this.#state = "reconnecting";
    void this.#reconnect(Date.now() + this.#options.reconnectGraceMs, 100);
  }

  async #reconnect(deadline: number, backoffMs: number): Promise<void> {
    if (this.#state !== "reconnecting") return;
    if (this.#subscribers.size === 0) {
      this.#state = "idle";
      return;
    }
    try {
      const session = await this.#listen();
      if (this.#state !== "reconnecting") {
        await session.listener.close();
        return;
      }
      this.#goLive(session);
      this.#log.info({ channel: GREETINGS_CHANNEL }, "listening for new greetings again");
    } catch (err) {
      if (this.#state !== "reconnecting") return;
      if (Date.now() + backoffMs > deadline) {
        this.#log.warn({ err: errorFields(err) }, "cannot listen again; ending the streams");
        this.#state = "idle";
        this.#failAll(new ConnectError("database unavailable", Code.UNAVAILABLE));
        return;
      }
      this.#retry = setTimeout(
        () => void this.#reconnect(deadline, Math.min(backoffMs * 2, 2_000)),
        backoffMs,
      );
    }
  }

  #failAll(err: ConnectError): void {
    for (const subscriber of this.#subscribers) subscriber.fail(err);
    this.#subscribers.clear();
  }
}

/**
 * One subscriber's queue of greetings not yet taken. Bounded: a subscriber that falls
 * `bufferMessages` behind fails with RESOURCE_EXHAUSTED and its queue is dropped at once.
 */
export class Subscription {
  /** The subscription receives every greeting with a greater id, and none with a smaller one. */
  readonly after: bigint;
  readonly #limit: number;
  readonly #remove: (s: Subscription) => void;
  #queue: GreetingRow[] = [];
  #error: ConnectError | undefined;
  #waiter: { resolve: (row: GreetingRow) => void; reject: (err: unknown) => void } | undefined;
  /**
   * Called when the subscription fails while nobody waits in next(), i.e. while its consumer is
   * blocked elsewhere (typically on a client that does not read), so it can be stopped there.
   */
  onStalledFailure: ((err: ConnectError) => void) | undefined;

  constructor(after: bigint, limit: number, remove: (s: Subscription) => void) {
    this.after = after;
    this.#limit = limit;
    this.#remove = remove;
  }

  /** Set once the subscription has failed; it then receives nothing more. */
  get error(): ConnectError | undefined {
    return this.#error;
  }

  push(row: GreetingRow): void {
    if (this.#error) return;
    if (this.#waiter) {
      const { resolve } = this.#waiter;
      this.#waiter = undefined;
      resolve(row);
      return;
    }
    if (this.#queue.length >= this.#limit) {
      this.#remove(this);
      this.fail(
        new ConnectError(
          "the client reads too slowly: stream buffer full; resume with since_id",
          Code.RESOURCE_EXHAUSTED,
        ),
      );
      return;
    }
    this.#queue.push(row);
  }

  /**
   * The next greeting, waiting for one if needed.
   *
   * @throws ConnectError the subscription's failure, or the signal's reason once it aborts.
   */
  next(signal: AbortSignal): Promise<GreetingRow> {
    const row = this.#queue.shift();
    if (row) return Promise.resolve(row);
    if (this.#error) return Promise.reject(this.#error);
    if (signal.aborted) return Promise.reject(ConnectError.from(signal.reason));
    return new Promise((resolve, reject) => {
      const abort = () => {
        this.#waiter = undefined;
        reject(ConnectError.from(signal.reason));
      };
      signal.addEventListener("abort", abort, { once: true });
      this.#waiter = {
        resolve: (r) => {
          signal.removeEventListener("abort", abort);
          resolve(r);
        },
        reject: (e) => {
          signal.removeEventListener("abort", abort);
          reject(e);
        },
      };
    });
  }

  fail(err: ConnectError): void {
    if (this.#error) return;
    this.#error = err;
    this.#queue = [];
    if (this.#waiter) {
      const { reject } = this.#waiter;
      this.#waiter = undefined;
      reject(err);
    } else {
      this.onStalledFailure?.(err);
    }
  }

  /** Unsubscribes; idempotent. */
  close(): void {
    this.#remove(this);
    this.#queue = [];
    this.#error ??= new ConnectError("subscription closed", Code.CANCELLED);
  }
}

function shuttingDown(): ConnectError {
  return new ConnectError("the server is shutting down; resume with since_id", Code.UNAVAILABLE);
}
