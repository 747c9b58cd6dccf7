// Issue #11, generated: for every route the google.api.http annotations define (so a new RPC is
// covered with no new test), fast-check writes hostile path segments, query parameters, headers
// and bodies, sends them as raw HTTP/1.1, and checks what users rely on: never a 5xx, an error
// body shaped like google.rpc.Status, no error-level log, no row from a refused write, every stored
// greeting valid, both processes up. Failures found are kept as fixed cases in
// hostile-input.test.ts. Runs are bounded (1,200 requests, a few seconds) to keep the suite fast.
import { connect } from "node:net";
import { type DescField, type DescMessage, ScalarType } from "@bufbuild/protobuf";
import { TestingService } from "@infinity-pool/proto/infinitypool/testing/v1/testing_pb.js";
import { GreetingService } from "@infinity-pool/proto/infinitypool/v1/greeting_pb.js";
import fc from "fast-check";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectJson } from "../../backend/test/support/clients.ts";
import {
  encodedValue,
  headerValue,
  jsonBodyText,
  jsonFieldText,
  numberish,
  percentEncode,
} from "../../backend/test/support/hostile.ts";
import type { Route } from "../src/routes.ts";
import { type InProcessGateway, startGateway } from "./support/gateway.ts";
import { type RawResponse, rawResponses } from "./support/http.ts";
import {
  type BackendProcess,
  backendOn,
  gatewayFor,
  type PostgresServer,
  skipWithoutPostgres,
  startPostgres,
  writeToken,
} from "./support/system.ts";
import { startTestingBackend, type TestingBackend } from "./support/testing-backend.ts";

const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
const defaultDeadlineMs = 5_000;

interface HostileRequest {
  method: string;
  target: string;
  headers: [string, string][];
  body: string | undefined;
}

/** Query keys a route's request message understands (JSON and proto names, nested by "."). */
function queryKeys(message: DescMessage, prefix = "", depth = 0): string[] {
  const keys: string[] = [];
  for (const field of message.fields) {
    for (const name of new Set([field.jsonName, field.name])) {
      keys.push(prefix + name);
      if (field.fieldKind === "message" && depth < 1) {
        keys.push(...queryKeys(field.message, `${prefix}${name}.`, depth + 1));
      }
    }
  }
  return keys;
}

function bodyFor(route: Route): fc.Arbitrary<string | undefined> {
  const body = route.body;
  const none = fc.constant(undefined);
  if (body.kind === "none") {
    return fc.oneof(
      { weight: 9, arbitrary: none },
      { weight: 1, arbitrary: fc.constantFrom("{}", "x") },
    );
  }
  const field: DescField | undefined = body.kind === "field" ? body.field : undefined;
  const text =
    field === undefined
      ? jsonBodyText(route.method.input)
      : field.fieldKind === "message"
        ? jsonBodyText(field.message)
        : jsonFieldText(field);
  return fc.oneof({ weight: 1, arbitrary: none }, { weight: 9, arbitrary: text });
}

/** A request for `route`: every path variable, query value, header and body position generated. */
function hostileRequest(route: Route): fc.Arbitrary<HostileRequest> {
  const segments = route.template.segments.map((segment) => {
    if (segment.kind === "literal") return fc.constant(segment.value);
    if (segment.kind === "wildcard") return encodedValue.filter((v) => v !== "");
    return fc.array(encodedValue, { maxLength: 3 }).map((parts) => parts.join("/"));
  });
  const verb = route.template.verb === undefined ? "" : `:${route.template.verb}`;
  const keys = queryKeys(route.method.input);
  const key =
    keys.length === 0
      ? encodedValue
      : fc.oneof(
          { weight: 6, arbitrary: fc.constantFrom(...keys) },
          { weight: 1, arbitrary: encodedValue },
        );
  // A body:"*" route takes no query parameter at all: there, one request in eight has some.
  const query = fc.oneof(
    { weight: route.body.kind === "all" ? 14 : 2, arbitrary: fc.constant<[string, string][]>([]) },
    { weight: 3, arbitrary: fc.array(fc.tuple(key, encodedValue), { minLength: 1, maxLength: 3 }) },
  );
  type Header = [string, string] | undefined;
  const header = (name: string, value: fc.Arbitrary<string>) => value.map((v): Header => [name, v]);
  // A header in one request of `odds`, so most requests get past the gateway's first checks.
  const sometimes = (odds: number, value: fc.Arbitrary<Header>) =>
    fc.oneof(
      { weight: odds - 1, arbitrary: fc.constant<Header>(undefined) },
      { weight: 1, arbitrary: value },
    );
  const headers = fc.tuple(
    fc.oneof(
      { weight: 6, arbitrary: fc.constant<Header>(["authorization", `Bearer ${writeToken}`]) },
      { weight: 1, arbitrary: fc.constant<Header>(undefined) },
      { weight: 1, arbitrary: header("authorization", headerValue) },
      {
        weight: 1,
        arbitrary: header(
          "authorization",
          headerValue.map((v) => `Bearer ${v}`),
        ),
      },
    ),
    fc.oneof(
      { weight: 6, arbitrary: fc.constant<Header>(["content-type", "application/json"]) },
      {
        weight: 1,
        arbitrary: fc.constant<Header>(["content-type", "application/json; charset=UTF-8"]),
      },
      { weight: 1, arbitrary: header("content-type", headerValue) },
    ),
    sometimes(10, header("content-encoding", fc.oneof(fc.constant("identity"), headerValue))),
    sometimes(
      4,
      header(
        "grpc-timeout",
        fc.oneof(
          headerValue,
          numberish,
          fc.constantFrom("1n", "1m", "10S", "1H", "99999999H", "0m"),
        ),
      ),
    ),
    sometimes(4, header("x-request-id", headerValue)),
    sometimes(3, header("traceparent", fc.oneof(fc.constant(traceparent), headerValue))),
    sometimes(
      3,
      header(
        "tracestate",
        fc.oneof(headerValue, fc.constantFrom("a=1\tb=2", "a=1,\tb=2", "a=1,a=2")),
      ),
    ),
    sometimes(
      4,
      header("x-forwarded-proto", fc.oneof(fc.constantFrom("https", "http"), headerValue)),
    ),
    sometimes(4, header("x-forwarded-for", headerValue)),
    sometimes(4, header("x-amzn-trace-id", headerValue)),
    sometimes(12, header("expect", fc.oneof(fc.constant("100-continue"), headerValue))),
    sometimes(4, header("accept", headerValue)),
  );
  return fc
    .record({
      head: fc.integer({ min: 1, max: 8 }).map((n) => n === 1),
      path: fc.tuple(...segments),
      query,
      headers,
      body: bodyFor(route),
    })
    .map(({ head, path, query: pairs, headers: hs, body }) => {
      const q = pairs.map(([k, v]) => `${k}=${v}`).join("&");
      return {
        method: head && route.httpMethod === "GET" ? "HEAD" : route.httpMethod,
        target: `/${path.join("/")}${verb}${q === "" ? "" : `?${q}`}`,
        headers: hs.filter((h): h is [string, string] => h !== undefined),
        body,
      };
    });
}

/** Sends the request on its own connection; the final response (a 100 Continue is skipped). */
async function send(port: number, r: HostileRequest): Promise<RawResponse> {
  const body = r.body === undefined ? Buffer.alloc(0) : Buffer.from(r.body, "utf8");
  const head =
    `${r.method} ${r.target} HTTP/1.1\r\nHost: x\r\n` +
    r.headers.map(([k, v]) => `${k}: ${v}\r\n`).join("") +
    (r.body === undefined ? "" : `Content-Length: ${body.length}\r\n`) +
    "Connection: close\r\n\r\n";
  const responses = await rawResponses(port, Buffer.concat([Buffer.from(head, "latin1"), body]));
  return (
    responses.find((res) => res.status >= 200) ?? { status: Number.NaN, headers: {}, body: "" }
  );
}

/**
 * Like send, for a route whose answer may be a stream that never ends: a 200 is returned as soon
 * as its head is in (the connection is then dropped), anything else once the server closes.
 */
function sendForHead(port: number, r: HostileRequest): Promise<RawResponse> {
  const body = r.body === undefined ? Buffer.alloc(0) : Buffer.from(r.body, "utf8");
  const head =
    `${r.method} ${r.target} HTTP/1.1\r\nHost: x\r\n` +
    r.headers.map(([k, v]) => `${k}: ${v}\r\n`).join("") +
    (r.body === undefined ? "" : `Content-Length: ${body.length}\r\n`) +
    "Connection: close\r\n\r\n";
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let text = "";
    const finish = () => {
      socket.destroy();
      const responses = parseHead(text);
      resolve(responses ?? { status: Number.NaN, headers: {}, body: "" });
    };
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString("latin1");
      const response = parseHead(text);
      if (response?.status === 200) finish();
    });
    socket.on("error", reject);
    socket.on("close", finish);
    socket.write(Buffer.concat([Buffer.from(head, "latin1"), body]));
    setTimeout(finish, 5_000).unref();
  });
}

/** The final response's status and headers (a 100 Continue skipped) and its body so far. */
function parseHead(text: string): RawResponse | undefined {
  let rest = text;
  for (;;) {
    const end = rest.indexOf("\r\n\r\n");
    if (!rest.startsWith("HTTP/") || end < 0) return undefined;
    const [statusLine = "", ...headerLines] = rest.slice(0, end).split("\r\n");
    const status = Number(statusLine.split(" ")[1]);
    rest = rest.slice(end + 4);
    if (status < 200) continue;
    const headers: Record<string, string> = {};
    for (const line of headerLines) {
      const i = line.indexOf(":");
      headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
    }
    const length = Number(headers["content-length"] ?? 0);
    return {
      status,
      headers,
      body: Buffer.from(rest.slice(0, length), "latin1").toString("utf8"),
    };
  }
}

/** A Grpc-Timeout the gateway honours that is shorter than its own default deadline. */
function clientDeadlineShorterThanDefault(r: HostileRequest): boolean {
  const value = r.headers.find(([k]) => k === "grpc-timeout")?.[1];
  const m = value === undefined ? null : /^(\d{1,8})([HMSmun])$/.exec(value.trim());
  if (!m) return false;
  const unit = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 0.001, n: 0.000_001 }[m[2] as "H"];
  return Number(m[1]) * unit < defaultDeadlineMs;
}

/** The checks every generated response must pass. */
function checkResponse(
  r: HostileRequest,
  res: { status: number; headers: Record<string, string>; body: string },
) {
  const what = `${r.method} ${r.target} ${JSON.stringify(r.headers)} ${r.body ?? ""}`;
  expect(Number.isInteger(res.status), `no response to ${what}`).toBe(true);
  // The one 5xx a client can ask for: its own Grpc-Timeout passing before the answer (504,
  // google.rpc.Code DEADLINE_EXCEEDED's HTTP mapping). Everything else stays below 500.
  if (!(res.status === 504 && clientDeadlineShorterThanDefault(r))) {
    expect(res.status, `${what} → ${res.body}`).toBeLessThan(500);
  }
  if (res.status >= 400 && r.method !== "HEAD") {
    expect(res.headers["content-type"], what).toBe("application/json");
    expect(JSON.parse(res.body), what).toEqual({
      code: expect.any(Number),
      message: expect.any(String),
      details: [],
    });
  }
}

const integerScalars = new Set([
  ScalarType.INT32,
  ScalarType.SINT32,
  ScalarType.SFIXED32,
  ScalarType.UINT32,
  ScalarType.FIXED32,
  ScalarType.INT64,
  ScalarType.SINT64,
  ScalarType.SFIXED64,
  ScalarType.UINT64,
  ScalarType.FIXED64,
]);
const unsignedScalars = new Set([
  ScalarType.UINT32,
  ScalarType.FIXED32,
  ScalarType.UINT64,
  ScalarType.FIXED64,
]);

function integerField(field: DescField | undefined): ScalarType | undefined {
  if (field?.fieldKind === "scalar" && integerScalars.has(field.scalar)) return field.scalar;
  if (
    field?.fieldKind === "list" &&
    field.listKind === "scalar" &&
    integerScalars.has(field.scalar)
  ) {
    return field.scalar;
  }
  return undefined;
}

function decoded(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw.replaceAll("+", " "));
  } catch {
    return undefined;
  }
}

/**
 * One string, one value: when a request succeeds, every path or query value it bound to an
 * integer field was written as ProtoJSON writes integers (JSON number syntax, no sign on unsigned).
 */
function checkIntegerSpellings(route: Route, r: HostileRequest, status: number): void {
  if (status >= 300) return;
  const path = r.target.split("?")[0] ?? "";
  const query = r.target.includes("?") ? r.target.slice(r.target.indexOf("?") + 1) : "";
  const spelled: [ScalarType, string | undefined][] = [];
  const raw = path === "/" ? [] : path.slice(1).split("/");
  for (const binding of route.pathBindings) {
    const variable = route.template.variables[route.pathBindings.indexOf(binding)];
    const scalar = integerField(binding.fields.at(-1));
    if (scalar !== undefined && variable && !binding.multiSegment) {
      spelled.push([scalar, decoded(raw[variable.start] ?? "")]);
    }
  }
  for (const pair of query.split("&")) {
    const [k = "", v = ""] = pair.split("=");
    const field = route.method.input.fields.find(
      (f) => f.jsonName === decoded(k) || f.name === decoded(k),
    );
    const scalar = integerField(field);
    if (scalar !== undefined) spelled.push([scalar, decoded(v)]);
  }
  for (const [scalar, text] of spelled) {
    expect(text, `${r.method} ${r.target} succeeded`).toMatch(
      unsignedScalars.has(scalar)
        ? /^(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/
        : /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/,
    );
  }
}

function seriousLogs(lines: Record<string, unknown>[]) {
  return lines.filter((l) => l.level !== "info" && l.level !== "debug");
}

const visible =
  /[^\p{White_Space}\p{Default_Ignorable_Code_Point}\p{M}\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\p{Zs}\u2800]/u;

describe.skipIf(skipWithoutPostgres)("generated hostile requests: GreetingService routes", () => {
  let postgres: PostgresServer;
  let db: pg.Client;
  let backend: BackendProcess;
  let gw: InProcessGateway;
  let port: number;

  beforeAll(async () => {
    postgres = await startPostgres();
    // One session for the hundreds of row checks (a new connection each would double the run).
    db = new pg.Client(postgres.superuserConfig());
    await db.connect();
    backend = await backendOn(postgres);
    gw = await gatewayFor(backend);
    port = Number(new URL(gw.url).port);
  });

  afterAll(async () => {
    await db?.end();
    await gw?.stop();
    backend?.kill();
    await backend?.exited;
    await postgres?.destroy();
  });

  const rows = async () =>
    (await db.query("select count(*)::int as n from greetings")).rows[0].n as number;

  it("routes come from the annotations", () => {
    expect(gw.router.routes.map((r) => r.operationId)).toContain(
      "infinitypool.v1.GreetingService.CreateGreeting",
    );
  });

  it("never a 5xx, no row from a refused write, every stored greeting valid", async () => {
    // Streams never end by themselves: the next property reads only their status line.
    const routes = gw.router.routes.filter((r) => !r.streaming);
    await fc.assert(
      fc.asyncProperty(
        fc
          .constantFrom(...routes)
          .chain((route) => hostileRequest(route).map((r) => ({ route, r }))),
        async ({ route, r }) => {
          const before = route.write ? await rows() : 0;
          const res = await send(port, r);
          checkResponse(r, res);
          checkIntegerSpellings(route, r, res.status);
          if (!route.write) return;
          const after = await rows();
          // A 504 leaves the outcome open (the deadline passed while the backend worked): the
          // row may exist, and a retry with the same request_id finds it. Any other answer but
          // 200 is a refusal, and a refusal writes nothing.
          if (res.status === 504) return;
          if (res.status !== 200) {
            expect(after, `a refused write stored a row: ${JSON.stringify(r)}`).toBe(before);
            return;
          }
          const { id } = JSON.parse(res.body) as { id: string };
          const row = await db.query("select text from greetings where id = $1", [id]);
          const text = row.rows[0].text as string;
          expect(text).toBe(text.normalize("NFC").trim());
          expect([...text].length).toBeLessThanOrEqual(280);
          expect(text).not.toMatch(/\p{Cc}/u);
          expect(text).toMatch(visible);
        },
      ),
      { numRuns: 600 },
    );
    expect(seriousLogs(gw.logs)).toEqual([]);
    expect(backend.logs().filter((l) => /"level":"(error|fatal)"/.test(l))).toEqual([]);
    expect(backend.child.exitCode).toBeNull();
  });

  it("streaming routes: never a 5xx, an error body or a stream", async () => {
    const streaming = gw.router.routes.filter((r) => r.streaming);
    expect(streaming.map((r) => r.method.name)).toEqual(["WatchGreetings"]);
    await fc.assert(
      fc.asyncProperty(
        fc
          .constantFrom(...streaming)
          .chain((route) => hostileRequest(route).map((r) => ({ route, r }))),
        async ({ route, r }) => {
          const res = await sendForHead(port, r);
          checkResponse(r, res);
          checkIntegerSpellings(route, r, res.status);
          if (res.status === 200 && r.method !== "HEAD") {
            expect(res.headers["content-type"], r.target).toMatch(
              /^(application\/x-ndjson|text\/event-stream)$/,
            );
          }
        },
      ),
      { numRuns: 150 },
    );
    expect(seriousLogs(gw.logs)).toEqual([]);
    expect(backend.logs().filter((l) => /"level":"(error|fatal)"/.test(l))).toEqual([]);
  });

  it("the backend's Connect JSON and the gateway agree: what one refuses, the other refuses", async () => {
    const create = GreetingService.method.createGreeting;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          // An empty id is an empty path segment, which no route matches (404), not a value.
          numberish.filter((id) => id !== "").map((id) => ({ kind: "id" as const, id })),
          jsonBodyText(create.input).map((body) => ({ kind: "body" as const, body })),
        ),
        async (input) => {
          if (input.kind === "id") {
            const direct = await connectJson(
              backend.url,
              "GetGreeting",
              `{"id":${JSON.stringify(input.id)}}`,
            );
            const via = await send(port, {
              method: "GET",
              target: `/v1/greetings/${percentEncode(input.id)}`,
              headers: [],
              body: undefined,
            });
            // Both refuse (400), or both read the same greeting (200) or none (404).
            expect(via.status, `id ${JSON.stringify(input.id)}: ${direct.body} / ${via.body}`).toBe(
              direct.status === 200 || direct.status === 404 ? direct.status : 400,
            );
            return;
          }
          const before = await rows();
          const direct = await connectJson(backend.url, "CreateGreeting", input.body, {
            authorization: `Bearer ${writeToken}`,
          });
          const via = await send(port, {
            method: "POST",
            target: "/v1/greetings",
            headers: [
              ["authorization", `Bearer ${writeToken}`],
              ["content-type", "application/json"],
            ],
            body: input.body,
          });
          const what = `${input.body}: backend ${direct.status} ${direct.body}, gateway ${via.status} ${via.body}`;
          expect(direct.status, what).toBeLessThan(500);
          if (direct.status === 400) expect(via.status, what).toBe(400);
          if (direct.status === 200 && via.status === 200) {
            const a = (JSON.parse(direct.body) as { greeting: { text: string } }).greeting.text;
            const b = (JSON.parse(via.body) as { text: string }).text;
            expect(b, what).toBe(a);
          }
          const written = (direct.status === 200 ? 1 : 0) + (via.status === 200 ? 1 : 0);
          // A replayed request id answers 200 without a new row.
          expect(await rows(), what).toBeLessThanOrEqual(before + written);
          if (written === 0) expect(await rows(), what).toBe(before);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("generated hostile requests: every TestingService route", () => {
  let testing: TestingBackend;
  let gw: InProcessGateway;
  let port: number;

  beforeAll(async () => {
    testing = await startTestingBackend();
    gw = await startGateway([TestingService], {
      BACKEND_ADDRESS: testing.target,
      WRITE_TOKENS: writeToken,
    });
    port = Number(new URL(gw.url).port);
  });

  afterAll(async () => {
    await gw?.stop();
    await testing?.close();
  });

  it("never a 5xx and no error-level log", async () => {
    // Fail answers whatever status and delay its request names: a 5xx there is the test double's
    // job, not a gateway fault.
    // StreamEcho too answers with whatever count, delay and status its request names.
    const routes = gw.router.routes.filter(
      (r) => r.method.name !== "Fail" && r.method.name !== "StreamEcho",
    );
    expect(routes.length).toBeGreaterThan(8);
    await fc.assert(
      fc.asyncProperty(
        fc
          .constantFrom(...routes)
          .chain((route) => hostileRequest(route).map((r) => ({ route, r }))),
        async ({ route, r }) => {
          const res = await send(port, r);
          checkResponse(r, res);
          checkIntegerSpellings(route, r, res.status);
        },
      ),
      { numRuns: 600 },
    );
    expect(seriousLogs(gw.logs)).toEqual([]);
  });
});
