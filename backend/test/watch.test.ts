// WatchGreetings as its clients see it, on the embedded PGlite and on a real PostgreSQL: replay,
// live delivery, the seam between them, the clients users run (grpc-js, buf curl) and shutdown.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import { create as createMessage, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { HealthCheckResponse_ServingStatus } from "@infinity-pool/proto/grpc/health/v1/health_pb.js";
import {
  GreetingService,
  WatchGreetingsRequestSchema,
  type WatchGreetingsResponse,
  WatchGreetingsResponseSchema,
} from "@infinity-pool/proto/infinitypool/v1/greeting_pb.js";
import { Code } from "@infinity-pool/runtime/status";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BackendProcess, startBackend } from "./support/backend-process.ts";
import { clients } from "./support/clients.ts";
import { type PostgresServer, skipWithoutPostgres, startPostgres } from "./support/postgres.ts";
import { Watcher } from "./support/watch.ts";

const run = promisify(execFile);
const bufBin = new URL("../../node_modules/.bin/buf", import.meta.url).pathname;

type Setup = () => Promise<{ backend: BackendProcess; cleanup: () => Promise<void> }>;

const pglite: Setup = async () => {
  const backend = await startBackend();
  return { backend, cleanup: async () => backend.kill("SIGKILL") };
};

const postgres: Setup = async () => {
  const db = await startPostgres();
  const backend = await startBackend({ env: { DATABASE_URL: db.url } });
  return {
    backend,
    cleanup: async () => {
      backend.kill("SIGKILL");
      await db.destroy();
    },
  };
};

describe.each([
  { name: "embedded PGlite", setup: pglite, skip: false },
  { name: "PostgreSQL 15", setup: postgres, skip: skipWithoutPostgres },
])("WatchGreetings on $name", ({ setup, skip }) => {
  let backend: BackendProcess;
  let cleanup: () => Promise<void>;
  let api: ReturnType<typeof clients>["greetings"];
  const watchers: Watcher[] = [];

  beforeAll(async () => {
    if (skip) return;
    ({ backend, cleanup } = await setup());
    api = clients(backend.url).greetings;
  });
  afterAll(async () => {
    await Promise.all(watchers.map((w) => w.cancel()));
    await cleanup?.();
  });

  function watch(sinceId?: bigint): Watcher {
    const w = new Watcher(api, sinceId);
    watchers.push(w);
    return w;
  }

  async function create(text: string): Promise<bigint> {
    const res = await api.createGreeting({ text });
    return res.greeting?.id ?? -1n;
  }

  /** Every stored id, oldest first. */
  async function storedIds(): Promise<bigint[]> {
    const ids: bigint[] = [];
    let pageToken = "";
    do {
      const page = await api.listGreetings({ pageSize: 100, pageToken });
      ids.push(...page.greetings.map((g) => g.id));
      pageToken = page.nextPageToken;
    } while (pageToken);
    return ids;
  }

  it.skipIf(skip)("replays the greetings after since_id, then streams new ones live", async () => {
    const a = await create("replay a");
    const b = await create("replay b");
    const c = await create("replay c");
    const w = watch(a);
    await expect.poll(() => w.ids.length).toBe(2);
    const d = await create("live d");
    await expect.poll(() => w.ids.length).toBe(3);
    expect(w.ids).toEqual([b, c, d]);
    expect(w.texts).toEqual(["replay b", "replay c", "live d"]);
    // since_id 0 is "everything", which proto3 presence tells apart from "unset".
    const all = watch(0n);
    const stored = await storedIds();
    await expect.poll(() => all.ids.length).toBe(stored.length);
    expect(all.ids).toEqual(stored);
  });

  it.skipIf(skip)(
    "without since_id sends only greetings created after the call started",
    async () => {
      const before = await create("before the call");
      const w = watch();
      // The stream gives no sign that it is subscribed until a greeting arrives, so create until
      // one does, then one more.
      const created: bigint[] = [];
      while (w.ids.length === 0) {
        created.push(await create("probe"));
        await new Promise((r) => setTimeout(r, 50));
      }
      const last = await create("after");
      created.push(last);
      await expect.poll(() => w.last).toBe(last);
      expect(w.ids).not.toContain(before);
      // What arrived is every greeting from the first one it saw on, in order, each once.
      expect(w.ids).toEqual(created.slice(created.indexOf(w.ids[0] as bigint)));
      expect(w.error).toBeUndefined();
    },
  );

  it.skipIf(skip)(
    "has no gap and no duplicate at the seam while greetings are being created",
    async () => {
      const start = (await storedIds()).at(-1) ?? 0n;
      // Writers and watchers interleave: each watcher subscribes somewhere in the middle of the
      // writes, replaying what came before and receiving the rest live.
      const writes = (async () => {
        for (let i = 0; i < 60; i++) await create(`seam ${i}`);
      })();
      const seamWatchers: { since: bigint; watcher: Watcher }[] = [];
      for (let i = 0; i < 12; i++) {
        await new Promise((r) => setTimeout(r, 20));
        const since = start + BigInt(i);
        seamWatchers.push({ since, watcher: watch(since) });
      }
      await writes;
      const stored = await storedIds();
      const newest = stored.at(-1) as bigint;
      for (const { since, watcher } of seamWatchers) {
        await expect.poll(() => watcher.last, { timeout: 10_000 }).toBe(newest);
        expect(watcher.ids).toEqual(stored.filter((id) => id > since));
      }
    },
  );

  it.skipIf(skip)("rejects a negative since_id with INVALID_ARGUMENT", async () => {
    const w = watch(-1n);
    await w.done;
    expect(w.error?.code).toBe(Code.INVALID_ARGUMENT);
    expect(w.error?.rawMessage).toBe("since_id must not be negative");
  });

  it.skipIf(skip)("is seen by grpc-js, the most common Node gRPC client", async () => {
    const client = new grpc.Client(backend.address, grpc.credentials.createInsecure());
    try {
      const stored = await storedIds();
      const since = stored.at(-2) as bigint;
      const call = client.makeServerStreamRequest(
        `/${GreetingService.typeName}/WatchGreetings`,
        (r: { sinceId: bigint }) =>
          Buffer.from(
            toBinary(WatchGreetingsRequestSchema, createMessage(WatchGreetingsRequestSchema, r)),
          ),
        (b: Buffer) => fromBinary(WatchGreetingsResponseSchema, b),
        { sinceId: since },
      );
      const received: WatchGreetingsResponse[] = [];
      call.on("data", (m: WatchGreetingsResponse) => received.push(m));
      const ended = new Promise<grpc.StatusObject>((resolve) => call.on("status", resolve));
      call.on("error", () => undefined);
      await expect.poll(() => received.length).toBe(1);
      const id = await create("to grpc-js");
      await expect.poll(() => received.length).toBe(2);
      expect(received.map((m) => m.greeting?.id)).toEqual([stored.at(-1), id]);
      call.cancel();
      expect((await ended).code).toBe(grpc.status.CANCELLED);
    } finally {
      client.close();
    }
  });

  it.skipIf(skip)(
    "is seen live by buf curl, which finds the method through reflection",
    async () => {
      const { stdout } = await run(bufBin, ["curl", "--list-methods", backend.url]);
      expect(stdout).toContain("infinitypool.v1.GreetingService/WatchGreetings");
      const health = clients(backend.url).health;
      expect((await health.check({ service: GreetingService.typeName })).status).toBe(
        HealthCheckResponse_ServingStatus.SERVING,
      );

      const since = (await storedIds()).at(-1) as bigint;
      const curl = spawn(bufBin, [
        "curl",
        "--http2-prior-knowledge",
        "--protocol",
        "grpc",
        "-d",
        JSON.stringify({ since_id: String(since) }),
        `${backend.url}/${GreetingService.typeName}/WatchGreetings`,
      ]);
      try {
        const output = collect(curl);
        // buf curl prints each message as soon as it arrives, while the stream stays open.
        const first = await create("to buf curl 1");
        await expect.poll(() => documents(output()).length, { timeout: 10_000 }).toBe(1);
        const second = await create("to buf curl 2");
        await expect.poll(() => documents(output()).length).toBe(2);
        expect(documents(output()).map((d) => d.greeting.id)).toEqual([
          String(first),
          String(second),
        ]);
        expect(curl.exitCode).toBeNull();
      } finally {
        curl.kill("SIGKILL");
      }
    },
  );
});

function collect(child: ChildProcess): () => string {
  let out = "";
  child.stdout?.setEncoding("utf8");
  child.stdout?.on("data", (chunk: string) => {
    out += chunk;
  });
  return () => out;
}

/** The JSON documents buf curl printed so far (pretty-printed, one after another). */
function documents(text: string): { greeting: { id: string; text: string } }[] {
  const docs = [];
  let depth = 0;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "{") {
      if (depth === 0) start = i;
      depth++;
    } else if (ch === "}") {
      depth--;
      if (depth === 0) docs.push(JSON.parse(text.slice(start, i + 1)));
    }
  }
  return docs;
}

describe.skipIf(skipWithoutPostgres)("WatchGreetings on PostgreSQL: commit order", () => {
  let db: PostgresServer;
  let backend: BackendProcess;

  beforeAll(async () => {
    db = await startPostgres();
    backend = await startBackend({ env: { DATABASE_URL: db.url } });
  });
  afterAll(async () => {
    backend?.kill("SIGKILL");
    await db?.destroy();
  });

  it("a client resuming after the last id it received misses nothing, even when inserts race", async () => {
    const api = clients(backend.url).greetings;
    const base = (await api.createGreeting({ text: "base" })).greeting?.id as bigint;
    const first = new Watcher(api, base - 1n);
    await expect.poll(() => first.ids).toEqual([base]);

    // An insert whose transaction is still open holds an id; a create made meanwhile must not
    // become visible before it, or a client could see the later id, resume after it and never
    // receive the earlier one.
    const slow = new pg.Client(db.url);
    await slow.connect();
    await slow.query("BEGIN");
    const early = (await slow.query("INSERT INTO greetings (text) VALUES ('early') RETURNING id"))
      .rows[0].id as string;
    const racing = api.createGreeting({ text: "racing" });
    // Either the racing create is held back behind the open insert, or it has already reached
    // the watcher ahead of the earlier id (the fault this test is for).
    await expect
      .poll(async () => (await db.lockWaiters()) > 0 || first.ids.length > 1, { timeout: 10_000 })
      .toBe(true);
    await first.cancel();
    const resumeAfter = first.last as bigint;

    await slow.query("COMMIT");
    await slow.end();
    const late = (await racing).greeting?.id as bigint;
    const resumed = new Watcher(api, resumeAfter);
    const after = (await api.createGreeting({ text: "after" })).greeting?.id as bigint;
    await expect.poll(() => resumed.last).toBe(after);
    await resumed.cancel();
    expect([...first.ids, ...resumed.ids]).toEqual([base, BigInt(early), late, after]);
  });
});
