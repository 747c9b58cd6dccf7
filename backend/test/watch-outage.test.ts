import { Code } from "@infinity-pool/runtime/status";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LISTENER_APPLICATION_NAME } from "../src/db/listener.ts";
import { type BackendProcess, startBackend } from "./support/backend-process.ts";
import { clients } from "./support/clients.ts";
import { type PostgresServer, skipWithoutPostgres, startPostgres } from "./support/postgres.ts";
import {
  type RotatingCredentials,
  startWithRotatingCredentials,
} from "./support/rotating-credentials.ts";
import { ResumingWatcher, Watcher } from "./support/watch.ts";

describe.skipIf(skipWithoutPostgres)("WatchGreetings through database outages", () => {
  let db: PostgresServer;
  const backends: BackendProcess[] = [];
  const watchers: { stop(): Promise<void> }[] = [];

  beforeAll(async () => {
    db = await startPostgres();
  });
  afterAll(async () => {
    await Promise.all(watchers.map((w) => w.stop()));
    for (const b of backends) b.kill("SIGKILL");
    await db?.destroy();
  });

  async function backend(env: Record<string, string> = {}): Promise<BackendProcess> {
    const b = await startBackend({ env: { DATABASE_URL: db.url, ...env } });
    backends.push(b);
    return b;
  }

  async function newestId(): Promise<bigint> {
    const { rows } = await db.query("SELECT max(id)::text AS id FROM greetings");
    return BigInt(rows[0].id);
  }

  /** Inserts as another client of the database would, straight through SQL. */
  async function insert(text: string): Promise<bigint> {
    const { rows } = await db.query("INSERT INTO greetings (text) VALUES ($1) RETURNING id::text", [
      text,
    ]);
    return BigInt(rows[0].id);
  }

  async function subscribedResumer(b: BackendProcess): Promise<ResumingWatcher> {
    const since = (await newestId()) - 1n;
    const w = new ResumingWatcher(clients(b.url).greetings, since);
    watchers.push(w);
    await expect.poll(() => w.received.length).toBe(1);
    return w;
  }

  it("open streams survive a PostgreSQL restart and receive what is created after it", async () => {
    const b = await backend();
    const w = await subscribedResumer(b);
    const beforeRestart = await insert("before the restart");
    await expect.poll(() => w.received.at(-1)).toBe(beforeRestart);

    await db.stop();
    await db.start();
    const afterRestart = await insert("after the restart");
    await expect.poll(() => w.received.at(-1), { timeout: 15_000 }).toBe(afterRestart);
    // The stream itself stayed open: no resume was needed.
    expect(w.endings).toEqual([]);
    expect(w.received.slice(1)).toEqual([beforeRestart, afterRestart]);
    expect(b.logs().some((l) => l.includes("listening for new greetings again"))).toBe(true);
  });

  it("an outage longer than the grace ends streams with UNAVAILABLE; a client that resumes misses nothing", async () => {
    const b = await backend({ WATCH_RECONNECT_GRACE_MS: "300", HEALTH_CHECK_INTERVAL_MS: "250" });
    const w = await subscribedResumer(b);
    const first = w.received[0] as bigint;
    const beforeOutage = await insert("before the outage");
    await expect.poll(() => w.received.at(-1)).toBe(beforeOutage);

    await db.stop();
    await expect.poll(() => w.endings[0], { timeout: 15_000 }).toBe(Code.UNAVAILABLE);
    // A new watch fails fast while the database is down instead of hanging.
    const meanwhile = new Watcher(clients(b.url).greetings);
    await meanwhile.done;
    expect(meanwhile.error?.code).toBe(Code.UNAVAILABLE);

    await db.start();
    const afterOutage = [await insert("after 1"), await insert("after 2")];
    await expect.poll(() => w.received.at(-1), { timeout: 15_000 }).toBe(afterOutage[1]);
    expect(w.received).toEqual([first, beforeOutage, ...afterOutage]);
  });

  it("a failover that ends only the listening session loses nothing committed meanwhile", async () => {
    const b = await backend();
    const w = await subscribedResumer(b);
    // The listening session ends and cannot log in again for a while, as during a failover.
    await db.query(`ALTER ROLE ${db.user} NOLOGIN`);
    await db.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
      [LISTENER_APPLICATION_NAME],
    );
    let meanwhile: bigint[];
    try {
      // Committed while no session listens: only reading the table again can find these.
      meanwhile = [await insert("unheard 1"), await insert("unheard 2")];
      await expect
        .poll(() => b.logs().some((l) => l.includes("lost the listening connection")))
        .toBe(true);
    } finally {
      await db.query(`ALTER ROLE ${db.user} LOGIN`);
    }
    await expect.poll(() => w.received.slice(1), { timeout: 15_000 }).toEqual(meanwhile);
    const after = await insert("heard");
    await expect.poll(() => w.received.at(-1)).toBe(after);
    expect(w.endings).toEqual([]);
  });

  it("SIGTERM ends open streams at once with UNAVAILABLE, and the process exits 0", async () => {
    // A drain budget far longer than the test: the streams must not be what it waits for.
    const b = await backend({ SHUTDOWN_TIMEOUT_MS: "600000" });
    const api = clients(b.url).greetings;
    const since = (await newestId()) - 1n;
    const open = Array.from({ length: 20 }, () => new Watcher(api, since));
    await Promise.all(open.map((w) => w.until(1)));
    b.kill("SIGTERM");
    expect(await b.exited).toEqual({ code: 0, signal: null });
    for (const w of open) {
      await w.done;
      // A status in trailers, not a connection cut off by the drain timeout.
      expect(w.error?.code).toBe(Code.UNAVAILABLE);
      expect(w.error?.rawMessage).toMatch(/shutting down; resume with since_id/);
    }
    expect(b.logs().some((l) => l.includes("shutdown complete"))).toBe(true);
  });
});

describe.skipIf(skipWithoutPostgres)("WatchGreetings with credentials from Secrets Manager", () => {
  let setup: RotatingCredentials;

  beforeAll(async () => {
    // No health probe that could fetch the rotated secret on the listener's behalf.
    setup = await startWithRotatingCredentials({ HEALTH_CHECK_INTERVAL_MS: "600000" });
  });
  afterAll(async () => {
    await setup?.close();
  });

  it("the listening session logs in again with the rotated password", async () => {
    const { db, backend, passwords } = setup;
    const api = clients(backend.url).greetings;
    const seed = (await api.createGreeting({ text: "seed" })).greeting?.id as bigint;
    const w = new ResumingWatcher(api, seed - 1n);
    try {
      await expect.poll(() => w.received).toEqual([seed]);
      // Rotation as RDS does it, then a failover that ends every session: the listener must
      // fetch the secret again rather than retry the stale password.
      await setup.rotate();
      await db.terminateAppSessions();
      // Written by another client, so nothing but the listener itself needs the new password.
      const inserted = await db.query(
        "INSERT INTO greetings (text) VALUES ('after rotation') RETURNING id::text",
      );
      const created = BigInt(inserted.rows[0].id);
      await expect.poll(() => w.received, { timeout: 15_000 }).toEqual([seed, created]);
      expect(w.endings).toEqual([]);
      const { rows } = await db.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1",
        [LISTENER_APPLICATION_NAME],
      );
      expect(rows[0].n).toBe(1);
    } finally {
      await w.stop();
    }
    for (const password of passwords) {
      expect(backend.logs().filter((l) => l.includes(password)).length).toBe(0);
    }
  });
});
