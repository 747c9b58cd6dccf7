// Issue #11, generated, straight to the backend: every RPC of every service it registers (so a
// new RPC is covered with no new test) called over gRPC, gRPC-Web and Connect (JSON and binary)
// with request messages fast-check builds from the method's descriptor, plus raw Connect JSON in
// every number spelling. What users rely on: never INTERNAL, UNKNOWN or DATA_LOSS, never an HTTP
// 5xx, no error-level log, no row from a refused call, every stored greeting valid, the process
// up. Failures found are kept as fixed cases in gateway/test/hostile-input.test.ts.
import { create, type DescMethod, type DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import { Health } from "@infinity-pool/proto/grpc/health/v1/health_pb.js";
import { GreetingService } from "@infinity-pool/proto/infinitypool/v1/greeting_pb.js";
import fc from "fast-check";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BackendProcess, startBackend } from "./support/backend-process.ts";
import { http2Request } from "./support/clients.ts";
import { jsonBodyText, messageValue } from "./support/hostile.ts";
import { type PostgresServer, skipWithoutPostgres, startPostgres } from "./support/postgres.ts";

const writeToken = "backend-property-token-93c1";
// Unary and server-streaming methods of the API and health services; reflection is a
// bidirectional stream a generated message cannot exercise meaningfully.
const services: DescService[] = [GreetingService, Health];
const methods = services.flatMap((s) =>
  s.methods.filter((m) => m.methodKind === "unary" || m.methodKind === "server_streaming"),
);
const faults = new Set([Code.Internal, Code.Unknown, Code.DataLoss, Code.Unavailable]);

const visible =
  /[^\p{White_Space}\p{Default_Ignorable_Code_Point}\p{M}\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\p{Zs}\u2800]/u;

describe.skipIf(skipWithoutPostgres)("generated hostile calls straight to the backend", () => {
  let postgres: PostgresServer;
  let db: pg.Client;
  let backend: BackendProcess;
  let transports: Record<string, Transport>;

  beforeAll(async () => {
    postgres = await startPostgres();
    db = new pg.Client(postgres.superuserConfig());
    await db.connect();
    backend = await startBackend({
      env: {
        DATABASE_URL: postgres.url,
        DB_SSL_MODE: "disable",
        WRITE_TOKENS: writeToken,
      },
    });
    const baseUrl = backend.url;
    transports = {
      grpc: createGrpcTransport({ baseUrl }),
      "grpc-web": createGrpcWebTransport({ baseUrl, httpVersion: "2" }),
      "connect+json": createConnectTransport({ baseUrl, httpVersion: "2" }),
      "connect+proto": createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: true }),
    };
  });

  afterAll(async () => {
    await db?.end();
    backend?.kill();
    await backend?.exited;
    await postgres?.destroy();
  });

  const rows = async () =>
    (await db.query("select count(*)::int as n from greetings")).rows[0].n as number;

  async function call(
    transport: Transport,
    method: DescMethod,
    init: Record<string, unknown>,
    headers: Headers,
  ) {
    const client = createClient(method.parent, transport) as unknown as Record<
      string,
      (req: unknown, options: unknown) => unknown
    >;
    const request = create(method.input, init as never);
    const invoke = client[method.localName] as (req: unknown, options: unknown) => unknown;
    if (method.methodKind === "unary") {
      return (await invoke(request, { headers, timeoutMs: 10_000 })) as Record<string, unknown>;
    }
    // A server stream: its first message is the answer to the request; then hang up. A stream
    // with nothing to send yet (WatchGreetings with no replay) is accepted: hang up after 250 ms.
    const abort = new AbortController();
    const idle = setTimeout(() => abort.abort(), 250);
    const stream = invoke(request, { headers, signal: abort.signal }) as AsyncIterable<unknown>;
    try {
      for await (const message of stream) {
        abort.abort();
        return message as Record<string, unknown>;
      }
    } catch (e) {
      if (abort.signal.aborted && ConnectError.from(e).code === Code.Canceled) return {};
      throw e;
    } finally {
      clearTimeout(idle);
    }
    return {};
  }

  it("covers every RPC the backend serves", () => {
    expect(methods.map((m) => `${m.parent.typeName}/${m.name}`)).toEqual(
      expect.arrayContaining([
        "infinitypool.v1.GreetingService/CreateGreeting",
        "grpc.health.v1.Health/Check",
      ]),
    );
  });

  it("typed calls over gRPC, gRPC-Web and Connect: no fault status, no row from a refusal", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.keys(transports)),
        fc
          .constantFrom(...methods)
          .chain((method) => messageValue(method.input).map((init) => ({ method, init }))),
        fc.oneof(
          fc.constant(`Bearer ${writeToken}`),
          fc.constant(undefined),
          fc.stringMatching(/^[\x21-\x7e]{0,20}$/).map((t) => `Bearer ${t}`),
        ),
        fc.dictionary(
          fc.constantFrom("x-request-id", "traceparent", "tracestate", "x-forwarded-for"),
          fc.stringMatching(/^[\x20-\x7e]{0,40}$/).map((v) => v.trim()),
          { maxKeys: 3 },
        ),
        async (protocol, { method, init }, authorization, extra) => {
          const headers = new Headers(extra);
          if (authorization !== undefined) headers.set("authorization", authorization);
          let request: unknown;
          try {
            request = create(method.input, init as never);
          } catch {
            return; // A value no client could encode.
          }
          expect(request).toBeDefined();
          const before = await rows();
          let answer: Record<string, unknown> | undefined;
          let failure: ConnectError | undefined;
          try {
            answer = await call(transports[protocol] as Transport, method, init, headers);
          } catch (e) {
            failure = ConnectError.from(e);
          }
          const what = `${protocol} ${method.name} ${JSON.stringify(init, (_k, v) => (typeof v === "bigint" ? `${v}n` : v))}`;
          if (failure) {
            expect(
              faults.has(failure.code),
              `${what} → ${Code[failure.code]} ${failure.rawMessage}`,
            ).toBe(false);
          }
          const after = await rows();
          if (method !== GreetingService.method.createGreeting || failure) {
            expect(after, `${what} wrote a row`).toBe(before);
            return;
          }
          const greeting = answer?.greeting as { id: bigint; text: string };
          const stored = await db.query("select text from greetings where id = $1", [
            String(greeting.id),
          ]);
          const text = stored.rows[0].text as string;
          expect(text).toBe(text.normalize("NFC").trim());
          expect([...text].length).toBeLessThanOrEqual(280);
          expect(text).not.toMatch(/\p{Cc}/u);
          expect(text).toMatch(visible);
        },
      ),
      { numRuns: 400 },
    );
    expect(backend.logs().filter((l) => /"level":"(error|fatal)"/.test(l))).toEqual([]);
    expect(backend.child.exitCode).toBeNull();
  });

  it("raw Connect JSON in every number spelling: never a 5xx, no row from a refusal", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .constantFrom(...methods.filter((m) => m.methodKind === "unary"))
          .chain((method) => jsonBodyText(method.input).map((body) => ({ method, body }))),
        async ({ method, body }) => {
          const before = await rows();
          const res = await http2Request(
            backend.url,
            `/${method.parent.typeName}/${method.name}`,
            body,
            { "content-type": "application/json", authorization: `Bearer ${writeToken}` },
          );
          const what = `${method.name} ${body} → ${res.status} ${res.body}`;
          expect(res.status, what).toBeLessThan(500);
          if (res.status !== 200) expect(await rows(), what).toBe(before);
        },
      ),
      { numRuns: 300 },
    );
    expect(backend.logs().filter((l) => /"level":"(error|fatal)"/.test(l))).toEqual([]);
    expect(backend.child.exitCode).toBeNull();
  });
});
