import { toJson } from "@bufbuild/protobuf";
import { ConnectError } from "@connectrpc/connect";
import {
  type Greeting,
  SayHelloResponseSchema,
} from "@infinity-pool/proto/infinitypool/v1/greeting_pb.js";
import { Code, codeName } from "@infinity-pool/runtime/status";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BackendProcess, startBackend } from "./support/backend-process.ts";
import { clients } from "./support/clients.ts";
import { type PostgresServer, skipWithoutPostgres, startPostgres } from "./support/postgres.ts";

type Setup = () => Promise<{ backend: BackendProcess; cleanup: () => Promise<void> }>;

const pglite: Setup = async () => {
  const backend = await startBackend();
  return { backend, cleanup: async () => backend.kill("SIGKILL") };
};

let pgServer: PostgresServer | undefined;
const postgres: Setup = async () => {
  pgServer = await startPostgres();
  const backend = await startBackend({ env: { DATABASE_URL: pgServer.url } });
  return {
    backend,
    cleanup: async () => {
      backend.kill("SIGKILL");
      await pgServer?.destroy();
    },
  };
};

async function expectCode(promise: Promise<unknown>, code: Code, message?: RegExp) {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, "call should have failed").toBeInstanceOf(ConnectError);
  expect(codeName((err as ConnectError).code)).toBe(codeName(code));
  if (message) expect((err as ConnectError).rawMessage).toMatch(message);
}

describe.each([
  { name: "embedded PGlite", setup: pglite, skip: false },
  { name: "PostgreSQL 15", setup: postgres, skip: skipWithoutPostgres },
])("GreetingService on $name", ({ setup, skip }) => {
  let backend: BackendProcess;
  let cleanup: () => Promise<void>;
  let api: ReturnType<typeof clients>["greetings"];

  beforeAll(async () => {
    if (skip) return;
    ({ backend, cleanup } = await setup());
    api = clients(backend.url).greetings;
  });
  afterAll(async () => {
    await cleanup?.();
  });

  async function allGreetings(pageSize = 100): Promise<Greeting[]> {
    const out: Greeting[] = [];
    let pageToken = "";
    do {
      const page = await api.listGreetings({ pageSize, pageToken });
      out.push(...page.greetings);
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    return out;
  }

  it.skipIf(skip)("SayHello answers the seed's exact JSON from the database", async () => {
    const res = await api.sayHello({});
    expect(JSON.stringify(toJson(SayHelloResponseSchema, res))).toBe(
      '{"data":{"greeting":"Hello World"},"message":"Response from infinity-pool database"}',
    );
  });

  it.skipIf(skip)("GetGreeting returns the seeded row and NOT_FOUND for a missing id", async () => {
    const { greeting } = await api.getGreeting({ id: 1n });
    expect(greeting?.text).toBe("Hello World");
    expect(greeting?.createTime?.seconds).toBeGreaterThan(0n);
    await expectCode(api.getGreeting({ id: 987_654_321n }), Code.NOT_FOUND, /987654321 not found/);
    await expectCode(api.getGreeting({ id: 0n }), Code.INVALID_ARGUMENT, /positive/);
    await expectCode(api.getGreeting({ id: -5n }), Code.INVALID_ARGUMENT);
  });

  it.skipIf(skip)("CreateGreeting stores a greeting that Get and List then return", async () => {
    const { greeting } = await api.createGreeting({ text: "  Hallo Welt  " });
    expect(greeting?.text).toBe("Hallo Welt");
    expect(greeting?.id).toBeGreaterThan(1n);
    const fetched = await api.getGreeting({ id: greeting?.id ?? 0n });
    expect(fetched.greeting?.text).toBe("Hallo Welt");
    expect((await allGreetings()).map((g) => g.text)).toContain("Hallo Welt");
  });

  it.skipIf(skip)("rejects invalid text with INVALID_ARGUMENT and stores nothing", async () => {
    const before = (await allGreetings()).length;
    const cases: [string, RegExp][] = [
      ["", /must not be empty/],
      ["   \t ", /must not be empty/],
      ["x".repeat(281), /at most 280 characters \(got 281\)/],
      ["bell\u0007", /control characters/],
      ["line\nbreak", /control characters/],
      ["tab\tinside", /control characters/],
    ];
    for (const [text, message] of cases) {
      await expectCode(api.createGreeting({ text }), Code.INVALID_ARGUMENT, message);
    }
    await expectCode(
      api.createGreeting({ text: "ok", requestId: "has spaces" }),
      Code.INVALID_ARGUMENT,
      /request_id/,
    );
    await expectCode(
      api.createGreeting({ text: "ok", requestId: "x".repeat(65) }),
      Code.INVALID_ARGUMENT,
    );
    expect((await allGreetings()).length).toBe(before);
    // 280 code points is the limit, counted as a person would: emoji are one character each.
    const { greeting } = await api.createGreeting({ text: "🌊".repeat(280) });
    expect([...(greeting?.text ?? "")].length).toBe(280);
  });

  it.skipIf(skip)("a retried create with the same request_id stores one row", async () => {
    const requestId = `retry-${Date.now()}`;
    const results = await Promise.all(
      Array.from({ length: 8 }, () => api.createGreeting({ text: "Bonjour", requestId })),
    );
    const ids = new Set(results.map((r) => r.greeting?.id));
    expect(ids.size).toBe(1);
    const again = await api.createGreeting({ text: "Bonjour", requestId });
    expect(again.greeting?.id).toBe(results[0]?.greeting?.id);
    expect((await allGreetings()).filter((g) => g.text === "Bonjour")).toHaveLength(1);
    await expectCode(
      api.createGreeting({ text: "Bonsoir", requestId }),
      Code.ALREADY_EXISTS,
      /different greeting/,
    );
    expect((await allGreetings()).some((g) => g.text === "Bonsoir")).toBe(false);
  });

  it.skipIf(skip)("ListGreetings pages with opaque tokens, no gaps or repeats", async () => {
    for (let i = 0; i < 7; i++) await api.createGreeting({ text: `page test ${i}` });
    const everything = await allGreetings(100);
    const paged = await allGreetings(3);
    expect(paged.map((g) => g.id)).toEqual(everything.map((g) => g.id));
    const first = await api.listGreetings({ pageSize: 3 });
    expect(first.greetings).toHaveLength(3);
    expect(first.nextPageToken).not.toBe("");
    expect(first.nextPageToken).not.toMatch(/^\d+$/);
    // Ids ascend: the list is stable under concurrent inserts.
    const ids = everything.map((g) => g.id);
    expect([...ids].sort((a, b) => (a < b ? -1 : 1))).toEqual(ids);
    // 0 means the default and an oversized request is capped rather than rejected.
    expect((await api.listGreetings({ pageSize: 0 })).greetings.length).toBe(
      Math.min(everything.length, 50),
    );
    expect((await api.listGreetings({ pageSize: 100_000 })).greetings.length).toBe(
      Math.min(everything.length, 100),
    );
    await expectCode(api.listGreetings({ pageSize: -1 }), Code.INVALID_ARGUMENT, /page_size/);
    await expectCode(
      api.listGreetings({ pageToken: "not-a-token" }),
      Code.INVALID_ARGUMENT,
      /page_token/,
    );
    await expectCode(api.listGreetings({ pageToken: "MTIz" }), Code.INVALID_ARGUMENT, /page_token/);
  });
});
