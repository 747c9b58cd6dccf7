// WatchGreetings under load, on real backend processes sharing one real PostgreSQL: how many
// database sessions watchers cost, fan-out across replicas, slow clients and connection churn.

import http2 from "node:http2";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import {
  GreetingService,
  WatchGreetingsRequestSchema,
  WatchGreetingsResponseSchema,
} from "@infinity-pool/proto/infinitypool/v1/greeting_pb.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LISTENER_APPLICATION_NAME } from "../src/db/listener.ts";
import { type BackendProcess, startBackend } from "./support/backend-process.ts";
import { clients } from "./support/clients.ts";
import { rawWatch } from "./support/grpc-wire.ts";
import { heapUsedAfterGc, inspectorEnv } from "./support/inspector.ts";
import { type PostgresServer, skipWithoutPostgres, startPostgres } from "./support/postgres.ts";
import { rssBytes, socketCount, Watcher, watchThenDisconnect } from "./support/watch.ts";

const MiB = 1024 * 1024;

describe.skipIf(skipWithoutPostgres)("WatchGreetings at scale on PostgreSQL", () => {
  let db: PostgresServer;
  let a: BackendProcess;
  let b: BackendProcess;
  const open: Watcher[] = [];

  beforeAll(async () => {
    db = await startPostgres();
    const env = { DATABASE_URL: db.url, LOG_LEVEL: "debug" };
    a = await startBackend({ env: { ...env, ...inspectorEnv } });
    b = await startBackend({ env: { ...env, MIGRATE_ON_START: "false" } });
  });
  afterAll(async () => {
    await Promise.all(open.map((w) => w.cancel()));
    a?.kill("SIGKILL");
    b?.kill("SIGKILL");
    await db?.destroy();
  });

  async function sessions(): Promise<{ listeners: number; total: number }> {
    const { rows } = await db.query(
      `SELECT count(*) FILTER (WHERE application_name = $2)::int AS listeners, count(*)::int AS total
         FROM pg_stat_activity WHERE usename = $1`,
      [db.user, LISTENER_APPLICATION_NAME],
    );
    return rows[0];
  }

  async function newestId(): Promise<bigint> {
    const { rows } = await db.query("SELECT max(id)::text AS id FROM greetings");
    return BigInt(rows[0].id);
  }

  /** Watchers that have each received the newest greeting, so each is known to be subscribed. */
  async function subscribed(backend: BackendProcess, n: number): Promise<Watcher[]> {
    const since = (await newestId()) - 1n;
    const api = clients(backend.url).greetings;
    const watchers = Array.from({ length: n }, () => new Watcher(api, since));
    open.push(...watchers);
    await Promise.all(watchers.map((w) => w.until(1, 30_000)));
    return watchers;
  }

  it("200 concurrent watchers share ONE listening session, and every one receives a create", async () => {
    const watchers = await subscribed(a, 200);
    const { listeners, total } = await sessions();
    // Backend b has no watcher yet, so it listens nowhere: one session for 200 streams.
    expect(listeners).toBe(1);
    // The pools (10 each at most) plus that one session: nothing per watcher.
    expect(total).toBeLessThanOrEqual(2 * 10 + 1);
    const { greeting } = await clients(a.url).greetings.createGreeting({ text: "to 200" });
    await expect
      .poll(() => watchers.filter((w) => w.last === greeting?.id).length, { timeout: 10_000 })
      .toBe(200);
    expect(watchers.every((w) => w.error === undefined)).toBe(true);
    await Promise.all(watchers.map((w) => w.cancel()));
  });

  it("a create through either backend reaches the watchers on both", async () => {
    const onA = await subscribed(a, 20);
    const onB = await subscribed(b, 20);
    const viaA = (await clients(a.url).greetings.createGreeting({ text: "via a" })).greeting?.id;
    const viaB = (await clients(b.url).greetings.createGreeting({ text: "via b" })).greeting?.id;
    for (const w of [...onA, ...onB]) {
      await expect.poll(() => w.ids.slice(1), { timeout: 10_000 }).toEqual([viaA, viaB]);
    }
    expect((await sessions()).listeners).toBe(2);
    await Promise.all([...onA, ...onB].map((w) => w.cancel()));
  });

  it("5 000 connect/disconnect cycles leave no listener, socket or memory behind", async () => {
    const pid = a.child.pid as number;
    const api = clients(a.url).greetings;
    const since = (await newestId()) - 1n;
    // Eight clients at a time, each cycle on a connection of its own.
    async function cycles(n: number): Promise<void> {
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let i = 0; i < n / 8; i++) await watchThenDisconnect(a.url, since);
        }),
      );
    }
    const measure = async () => ({
      heap: await heapUsedAfterGc(a),
      rss: rssBytes(pid),
      sockets: socketCount(pid),
      ...(await sessions()),
    });
    // A first thousand lets the heap and the allocator reach their working size.
    await cycles(1_000);
    const before = await measure();
    await cycles(5_000);
    const after = await measure();

    expect(after.listeners).toBe(before.listeners);
    // Pool sessions come and go with load (at most DB_POOL_MAX, 10, per backend), plus one
    // listener per backend: nothing per stream ever opened.
    expect(after.total).toBeLessThanOrEqual(2 * (10 + 1));
    expect(after.sockets).toBeLessThanOrEqual(before.sockets + 2);
    // What the process still holds after a full GC: a leak of even 1 kB per cycle shows here.
    expect((after.heap - before.heap) / MiB).toBeLessThan(4);
    // RSS follows the heap's capacity, which V8 grows in steps under churn (measured: up to
    // ~60 MiB over the first few thousand cycles, then flat); a bound, not an exact figure.
    expect((after.rss - before.rss) / MiB).toBeLessThan(96);
    // The feed itself holds no subscription of a stream that has gone: a create now is handed to
    // exactly the one watcher still open.
    const [still] = await subscribed(a, 1);
    const { greeting } = await api.createGreeting({ text: "after the churn" });
    await expect.poll(() => still?.last).toBe(greeting?.id);
    // The child's log line travels through a pipe and can arrive after the stream's message.
    const handedOut = () =>
      a
        .logs()
        .filter((l) => l.includes("new greetings handed out") && l.includes(`"${greeting?.id}"`))
        .map((l) => JSON.parse(l).subscribers);
    await expect.poll(handedOut).toEqual([1]);
  });
});

describe.skipIf(skipWithoutPostgres)("WatchGreetings with a client that never reads", () => {
  let db: PostgresServer;
  let backend: BackendProcess;
  let client: grpc.Client;

  beforeAll(async () => {
    db = await startPostgres();
    backend = await startBackend({
      env: { DATABASE_URL: db.url, LOG_LEVEL: "debug", ...inspectorEnv },
    });
    client = new grpc.Client(backend.address, grpc.credentials.createInsecure());
  });
  afterAll(async () => {
    client?.close();
    backend?.kill("SIGKILL");
    await db?.destroy();
  });

  const FLOOD = 20_000;
  // 280 code points of 4 UTF-8 bytes: the longest greeting the API accepts, about 1.1 kB.
  const longText = "😀".repeat(280);
  let newest = 1n;

  /** A grpc-js call that is never read, then a flood of greetings it would have to buffer. */
  async function floodNonReader(): Promise<{ status: () => grpc.StatusObject | undefined }> {
    const call = client.makeServerStreamRequest(
      `/${GreetingService.typeName}/WatchGreetings`,
      (r: { sinceId: bigint }) =>
        Buffer.from(toBinary(WatchGreetingsRequestSchema, create(WatchGreetingsRequestSchema, r))),
      (bytes: Buffer) => fromBinary(WatchGreetingsResponseSchema, bytes),
      { sinceId: newest - 1n },
    );
    // No "data" listener: grpc-js stops reading and HTTP/2 flow control holds the server back.
    call.on("error", () => undefined);
    let status: grpc.StatusObject | undefined;
    call.on("status", (s) => {
      status = s;
    });
    // Headers come with the first message, which is sent once the stream is subscribed.
    await new Promise((resolve) => call.once("metadata", resolve));
    await db.query("INSERT INTO greetings (text) SELECT $1 FROM generate_series(1, $2::int)", [
      longText,
      FLOOD,
    ]);
    newest += BigInt(FLOOD);
    // The feed logs the newest id it has dealt with once it has read the whole flood.
    const done = `"newest":"${newest}"`;
    await expect
      .poll(() => backend.logs().some((l) => l.includes(done)), { timeout: 30_000 })
      .toBe(true);
    return { status: () => status };
  }

  it("ends it with RESOURCE_EXHAUSTED instead of buffering, and memory stays bounded", async () => {
    const pid = backend.child.pid as number;
    // One round first, so the heap has grown to what reading a flood costs anyway.
    const first = await floodNonReader();
    await expect.poll(() => first.status()?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const before = { heap: await heapUsedAfterGc(backend), rss: rssBytes(pid) };
    const rounds = [await floodNonReader(), await floodNonReader()];
    const after = { heap: await heapUsedAfterGc(backend), rss: rssBytes(pid) };
    for (const round of rounds) {
      await expect.poll(() => round.status()?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    }
    // Had the streams kept what they were sent, the process would hold at least the flooded
    // greetings' text: 280 astral code points are 1 120 bytes of UTF-16 each.
    const retained = rounds.length * FLOOD * 1_120;
    expect(after.heap - before.heap).toBeLessThan(retained / 10);
    expect(after.rss - before.rss).toBeLessThan(retained);
    const lastRound = backend
      .logs()
      .filter((l) => l.includes("new greetings handed out"))
      .at(-1);
    expect(JSON.parse(lastRound as string).subscribers).toBe(0);
    // Each of those streams has really finished on the server, not just left the feed.
    // The call lines come through the child's stdout pipe, possibly after the client saw the status.
    const ended = () =>
      backend
        .logs()
        .filter((l) => l.includes("WatchGreetings") && l.includes('"code":"RESOURCE_EXHAUSTED"'));
    await expect.poll(() => ended().length).toBe(3);
    expect(backend.logs().filter((l) => l.includes("handler for rpc"))).toEqual([]);
  });

  it("ends the call of a client that stops reading and then drops its connection", async () => {
    // Replaying a few megabytes to a client that reads one chunk and stops leaves the server's
    // write waiting on flow control; then the connection goes, with that write still pending.
    await db.query("INSERT INTO greetings (text) SELECT $1 FROM generate_series(1, 3000)", [
      longText,
    ]);
    newest += 3000n;
    const session = http2.connect(backend.url);
    session.on("error", () => undefined);
    const call = rawWatch(session, 0n);
    await new Promise((resolve) => call.once("data", resolve));
    call.pause();
    const calls = () => backend.logs().filter((l) => l.includes("WatchGreetings")).length;
    const before = calls();
    await new Promise((r) => setTimeout(r, 500));
    expect(calls()).toBe(before);
    session.destroy();
    await expect.poll(calls, { timeout: 10_000 }).toBe(before + 1);
    expect(backend.logs().at(-1)).toContain('"code":"CANCELLED"');
  });
});
