// Issue #11, input by input, against the real system: a backend process on PostgreSQL 15 and the
// gateway in front of it. Each refused request gets its 4xx with a google.rpc.Status body, writes
// no row, logs nothing at error level, and leaves both processes up. Grouped by the issue's kinds;
// the generated inputs of the same kinds are in hostile-properties.test.ts.

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { connectJson } from "../../backend/test/support/clients.ts";
import type { InProcessGateway } from "./support/gateway.ts";
import { rawRequest, rawResponses, request } from "./support/http.ts";
import {
  type BackendProcess,
  backendOn,
  gatewayFor,
  greetingCount,
  type PostgresServer,
  skipWithoutPostgres,
  startPostgres,
  writeToken,
} from "./support/system.ts";

const auth = { authorization: `Bearer ${writeToken}` };
const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

interface Status {
  code: number;
  message: string;
  details: unknown[];
}

describe.skipIf(skipWithoutPostgres)("hostile input (issue #11) against the real system", () => {
  let pg: PostgresServer;
  let backend: BackendProcess;
  let gw: InProcessGateway;
  let port: number;

  beforeAll(async () => {
    pg = await startPostgres();
    backend = await backendOn(pg);
    gw = await gatewayFor(backend);
    port = Number(new URL(gw.url).port);
  });

  afterAll(async () => {
    await gw?.stop();
    backend?.kill();
    await backend?.exited;
    await pg?.destroy();
  });

  // Log lines written during the current test.
  let logMarks = { gateway: 0, backend: 0 };
  beforeEach(() => {
    logMarks = { gateway: gw.logs.length, backend: backend.logs().length };
  });

  afterEach(async () => {
    // Both processes still up and the database still answering through them.
    expect(backend.child.exitCode).toBeNull();
    const alive = await fetch(`${gw.url}/`);
    expect(alive.status).toBe(200);
    await alive.text();
    // Nothing a client sent made either service log at error level.
    const gatewayLines = gw.logs.slice(logMarks.gateway);
    expect(gatewayLines.filter((l) => l.level !== "info" && l.level !== "debug")).toEqual([]);
    const backendLines = backend.logs().slice(logMarks.backend);
    expect(backendLines.filter((l) => /"level":"(error|fatal)"/.test(l))).toEqual([]);
  });

  /** POSTs `body` with the write token; asserts a refusal with `status` and no row written. */
  async function refusedWrite(body: string, status: number, message: RegExp): Promise<Status> {
    const before = await greetingCount(pg);
    const res = await request(`${gw.url}/v1/greetings`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body,
    });
    expect(res.status, res.text).toBe(status);
    const error = res.body as Status;
    expect(error).toEqual({ code: 3, message: expect.stringMatching(message), details: [] });
    expect(await greetingCount(pg)).toBe(before);
    return error;
  }

  async function refusedGet(path: string, message: RegExp, headers: HeadersInit = {}) {
    const res = await request(`${gw.url}${path}`, { headers });
    expect(res.status, `${path}: ${res.text}`).toBe(400);
    expect(res.body).toEqual({ code: 3, message: expect.stringMatching(message), details: [] });
  }

  describe("1. text is canonicalised (NFC), then validated", () => {
    it("refuses 280 × U+1D160, which NFC expands to 840 code points", async () => {
      const text = "\u{1D160}".repeat(280);
      expect([...text.normalize("NFC")].length).toBe(840);
      await refusedWrite(JSON.stringify({ text }), 400, /at most 280 characters \(got 840\)/);
    });

    it("accepts 280 decomposed é (560 code points), stored as 280 precomposed ones", async () => {
      const res = await request(`${gw.url}/v1/greetings`, {
        method: "POST",
        headers: auth,
        json: { text: "e\u0301".repeat(280) },
      });
      expect(res.status, res.text).toBe(200);
      const { id } = res.body as { id: string };
      const row = await pg.query("select text from greetings where id = $1", [id]);
      expect(row.rows[0].text).toBe("\u00e9".repeat(280));
    });

    it.each([
      ["zero-width spaces", "\u200b\u200b"],
      ["a word joiner and a variation selector", "\u2060\ufe0f"],
      ["Hangul fillers", "\u3164\u115f"],
      ["a braille blank", "\u2800"],
      ["a lone combining mark", "\u0301"],
      ["a soft hyphen", "\u00ad"],
    ])("refuses text with no visible character: %s", async (_name, text) => {
      await refusedWrite(JSON.stringify({ text }), 400, /visible character/);
    });

    it("refuses white space only, including no-break and ideographic spaces", async () => {
      await refusedWrite(JSON.stringify({ text: "\u00a0\u3000 \u2003" }), 400, /must not be empty/);
    });

    it("refuses an unpaired surrogate (it would be stored as U+FFFD)", async () => {
      await refusedWrite('{"text":"a\\ud800b"}', 400, /unpaired surrogate/);
    });
  });

  describe("2. numbers a client sends never reach the database out of range", () => {
    const token = (cursor: string) => Buffer.from(cursor).toString("base64url");

    it.each([
      ["an id past int64", "g1:9999999999999999999"],
      ["int64 max plus one", "g1:9223372036854775808"],
      ["a zero id", "g1:0"],
      ["a padded id", "g1:01"],
      ["a negative id", "g1:-1"],
    ])("a forged page token with %s is INVALID_ARGUMENT", async (_name, cursor) => {
      await refusedGet(`/v1/greetings?pageToken=${token(cursor)}`, /page_token/);
    });

    it("a re-encoded page token (same cursor, other base64 spelling) is refused", async () => {
      const canonical = token("g1:1");
      const last = canonical.at(-1) as string;
      const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
      // Flipping the unused low bits of the last character decodes to the same bytes.
      const twin = canonical.slice(0, -1) + alphabet[alphabet.indexOf(last) ^ 1];
      expect(Buffer.from(twin, "base64url").toString()).toBe("g1:1");
      await refusedGet(`/v1/greetings?pageToken=${twin}`, /page_token/);
    });

    it("the largest cursor PostgreSQL can hold is an empty page, not an error", async () => {
      const res = await request(
        `${gw.url}/v1/greetings?pageToken=${token("g1:9223372036854775807")}`,
      );
      expect(res.status, res.text).toBe(200);
      expect(res.body).toEqual({ greetings: [], nextPageToken: "" });
    });

    it("ids at and past the int64 limits are 404 and 400, never 500", async () => {
      expect((await request(`${gw.url}/v1/greetings/9223372036854775807`)).status).toBe(404);
      await refusedGet("/v1/greetings/9223372036854775808", /out of range/);
      await refusedGet("/v1/greetings/-9223372036854775809", /out of range/);
    });

    it("the backend refuses the same token over Connect with INVALID_ARGUMENT", async () => {
      const res = await connectJson(
        backend.url,
        "ListGreetings",
        JSON.stringify({ pageToken: token("g1:9999999999999999999") }),
      );
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body)).toMatchObject({ code: "invalid_argument" });
    });
  });

  describe("3. forwarded headers are checked against the next hop", () => {
    it("a tracestate with a tab inside a member is dropped, not a 500", async () => {
      const res = await request(`${gw.url}/v1/greetings/1`, {
        headers: { traceparent, tracestate: "a=1\tb=2", "x-request-id": "tracestate-tab" },
      });
      expect(res.status, res.text).toBe(200);
      // The raw value is not logged either.
      expect(gw.rawLogs()).not.toContain("a=1\\tb=2");
    });

    it.each([
      ["authorization", "Bearer t\u00f6ken"],
      ["authorization", `Bearer ${writeToken}\u00ff`],
      ["x-request-id", "id-\u00e9"],
      ["traceparent", `${traceparent}\u00e9`],
      ["tracestate", "a=\u00e9"],
      ["grpc-timeout", "1\u00e9"],
      ["x-forwarded-proto", "h\u00e9"],
    ])("a latin-1 byte in %s gets a 4xx or is ignored, never a 500", async (name, value) => {
      const before = await greetingCount(pg);
      const res = await rawRequest(
        port,
        Buffer.from(
          `POST /v1/greetings HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${writeToken}\r\n` +
            `traceparent: ${traceparent}\r\n${name}: ${value}\r\nContent-Type: application/json\r\n` +
            'Content-Length: 12\r\nConnection: close\r\n\r\n{"text":"h"}',
          "latin1",
        ),
      );
      expect(res.status, res.body).toBeLessThan(500);
      if (res.status !== 200) expect(await greetingCount(pg)).toBe(before);
    });

    it("X-Forwarded-For and X-Amzn-Trace-Id are logged only in their documented forms", async () => {
      await request(`${gw.url}/v1/greeting`, {
        headers: {
          "x-request-id": "xff-garbage",
          "x-forwarded-for": "not-an-address, <script>",
          "x-amzn-trace-id": 'Root=1-5759e988-bd862e3fe1be46a994272793;Evil="x"',
        },
      });
      await request(`${gw.url}/v1/greeting`, {
        headers: {
          "x-request-id": "xff-good",
          "x-forwarded-for": "203.0.113.7, 2001:db8::1",
          "x-amzn-trace-id": "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1",
        },
      });
      const line = (id: string) => gw.logs.find((l) => l.requestId === id && l.msg === "request");
      expect(line("xff-garbage")).not.toHaveProperty("forwardedFor");
      expect(line("xff-garbage")).not.toHaveProperty("amznTraceId");
      expect(line("xff-good")).toMatchObject({
        forwardedFor: "203.0.113.7, 2001:db8::1",
        amznTraceId: "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1",
      });
    });
  });

  describe("4. ProtoJSON integers: decimal only, the same in path, query and body, gateway and backend", () => {
    it.each([
      "0x1",
      "0X1",
      "+1",
      "%201",
      "1%20",
      "01",
      "0b1",
      "0o1",
      "1.5",
      "1e-1",
      "Infinity",
      "%E2%80%8B1",
    ])("GET /v1/greetings/%s is 400", async (id) => {
      await refusedGet(`/v1/greetings/${id}`, /invalid value for "id"/);
    });

    it.each(["1", "1e0", "1.0", "10e-1", "0.1e1"])(
      "GET /v1/greetings/%s is greeting 1",
      async (id) => {
        const res = await request(`${gw.url}/v1/greetings/${id}`);
        expect(res.status, res.text).toBe(200);
        expect(res.body).toMatchObject({ id: "1", text: "Hello World" });
      },
    );

    it.each(["0x10", "+5", "05", " 5", "5 ", "5.5", "1e10"])("pageSize=%s is 400", async (size) => {
      await refusedGet(`/v1/greetings?pageSize=${encodeURIComponent(size)}`, /pageSize|page_size/);
    });

    it("the backend's own Connect JSON agrees with the gateway, form by form", async () => {
      const forms: [string, number][] = [
        ['"0x1"', 400],
        ['"+1"', 400],
        ['" 1"', 400],
        ['"01"', 400],
        ['"1.5"', 400],
        ["1.5", 400],
        ['"1"', 200],
        ['"1e0"', 200],
        ["1", 200],
        ["1.0", 200],
        ["1e0", 200],
      ];
      for (const [form, status] of forms) {
        const res = await connectJson(backend.url, "GetGreeting", `{"id":${form}}`);
        expect(res.status, `${form}: ${res.body}`).toBe(status);
        const path = JSON.parse(form);
        const viaGateway = await request(
          `${gw.url}/v1/greetings/${encodeURIComponent(String(path))}`,
        );
        expect(viaGateway.status, `gateway ${form}`).toBe(status);
      }
    });

    it("an int64 past 2^53 written as a JSON number is read exactly, not rounded", async () => {
      // JSON.parse would read 9007199254740993 as ...992: another greeting.
      const res = await connectJson(backend.url, "GetGreeting", '{"id":9007199254740993}');
      expect(JSON.parse(res.body)).toEqual({
        code: "not_found",
        message: "greeting 9007199254740993 not found",
      });
    });
  });

  describe("5. the gateway refuses what protobuf's JSON reading refuses", () => {
    it("duplicate keys are refused by both, and nothing is stored", async () => {
      const body = '{"text":"first","text":"second"}';
      await refusedWrite(body, 400, /duplicate object key "text"/);
      const direct = await connectJson(backend.url, "CreateGreeting", body, auth);
      expect(direct.status).toBe(400);
      expect(JSON.parse(direct.body)).toMatchObject({
        message: expect.stringMatching(/duplicate/),
      });
    });

    it.each([
      ["an escaped duplicate key", '{"text":"a","t\\u0065xt":"b"}', /duplicate/],
      [
        "a duplicate under the proto name",
        '{"requestId":"a","request_id":"b","text":"x"}',
        /duplicate|request_id/,
      ],
      [
        "nesting past protobuf's recursion limit",
        `{"text":${"[".repeat(101)}${"]".repeat(101)}}`,
        /deeper/,
      ],
      ["a number for a string", '{"text":5}', /text/],
    ])("%s", async (_name, body, message) => {
      await refusedWrite(body, 400, message);
    });

    it("bytes that are not UTF-8 are refused by the backend too, not replaced", async () => {
      const body = Buffer.concat([
        Buffer.from('{"text":"'),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('"}'),
      ]);
      const direct = await connectJson(backend.url, "CreateGreeting", body, auth);
      expect(direct.status).toBe(400);
    });
  });

  describe("6. pipelined requests are answered in order", () => {
    it("an authorised POST followed by a malformed request: 200 first, then 400 and close", async () => {
      const before = await greetingCount(pg);
      const body = '{"text":"pipelined"}';
      const responses = await rawResponses(
        port,
        `POST /v1/greetings HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${writeToken}\r\n` +
          `X-Request-Id: pipelined-post\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${body.length}\r\n\r\n${body}` +
          "HELLO THERE\r\n\r\n",
      );
      expect(responses.map((r) => r.status)).toEqual([200, 400]);
      expect(JSON.parse(responses[0]?.body ?? "")).toMatchObject({ text: "pipelined" });
      expect(JSON.parse(responses[1]?.body ?? "")).toMatchObject({ code: 3 });
      expect(await greetingCount(pg)).toBe(before + 1);
      const line = gw.logs.find((l) => l.requestId === "pipelined-post" && l.msg === "request");
      expect(line).toMatchObject({ status: 200 });
    });

    it("three pipelined GETs come back in the order they were sent", async () => {
      const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;
      const responses = await rawResponses(
        port,
        get("/v1/greetings/1") +
          get("/v1/greetings/0x1") +
          get("/v1/greeting") +
          "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      );
      expect(responses.map((r) => r.status)).toEqual([200, 400, 200, 200]);
    });
  });

  describe("7. request targets", () => {
    it("accepts the absolute-form (RFC 9112 §3.2.2)", async () => {
      for (const target of [
        `http://127.0.0.1:${port}/v1/greetings/1`,
        "HTTP://elsewhere/v1/greetings/1?",
      ]) {
        const res = await rawRequest(
          port,
          `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
        );
        expect(res.status, target).toBe(200);
        expect(JSON.parse(res.body)).toMatchObject({ id: "1" });
      }
      const root = await rawRequest(
        port,
        "GET http://x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      );
      expect(root.status).toBe(200);
    });

    it.each([
      ["the asterisk-form", "OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"],
      ["the asterisk-form with GET", "GET * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"],
      ["the authority-form (CONNECT)", "CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n"],
      ["a fragment", "GET /v1/greetings/1#top HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"],
    ])("refuses %s with a JSON 400", async (_name, raw) => {
      const res = await rawRequest(port, raw);
      expect(res.status).toBe(400);
      expect(res.headers["content-type"]).toBe("application/json");
      expect(JSON.parse(res.body)).toMatchObject({ code: 3, details: [] });
    });
  });

  describe("8. the backend authorises writes itself; reads stay open", () => {
    it("CreateGreeting straight to the backend without credentials is UNAUTHENTICATED, no row", async () => {
      const before = await greetingCount(pg);
      const body = JSON.stringify({ text: "sneaky" });
      for (const headers of [
        {},
        { authorization: "Bearer not-the-token" },
        { authorization: `Basic ${btoa(`u:${writeToken}`)}` },
        { authorization: writeToken },
      ]) {
        const res = await connectJson(backend.url, "CreateGreeting", body, headers);
        expect(res.status, JSON.stringify(headers)).toBe(401);
        expect(JSON.parse(res.body)).toMatchObject({ code: "unauthenticated" });
      }
      // The same over gRPC, as grpcurl or buf curl would call it.
      const grpc = await import("@grpc/grpc-js");
      const client = new grpc.Client(backend.address, grpc.credentials.createInsecure());
      const code = await new Promise<number | undefined>((resolve) =>
        client.makeUnaryRequest(
          "/infinitypool.v1.GreetingService/CreateGreeting",
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.from([0x0a, 0x01, 0x78]),
          (err) => resolve(err?.code),
        ),
      );
      client.close();
      expect(code).toBe(16);
      expect(await greetingCount(pg)).toBe(before);
    });

    it("reads need no credentials", async () => {
      const res = await connectJson(backend.url, "GetGreeting", '{"id":"1"}');
      expect(res.status).toBe(200);
    });

    it("the backend checks the token the gateway forwards: a token only the gateway knows writes nothing", async () => {
      const other = await gatewayFor(backend, { WRITE_TOKENS: "only-the-gateway-knows-this" });
      try {
        const before = await greetingCount(pg);
        const res = await request(`${other.url}/v1/greetings`, {
          method: "POST",
          headers: { authorization: "Bearer only-the-gateway-knows-this" },
          json: { text: "gateway says yes, backend says no" },
        });
        expect(res.status).toBe(401);
        expect(res.body).toEqual({
          code: 16,
          message: "the bearer token is not valid",
          details: [],
        });
        expect(await greetingCount(pg)).toBe(before);
        expect(other.rawLogs()).not.toContain("only-the-gateway-knows-this");
      } finally {
        await other.stop();
      }
    });

    it("no token appears in either service's logs", () => {
      for (const secret of [writeToken, "not-the-token", btoa(`u:${writeToken}`)]) {
        expect(gw.rawLogs()).not.toContain(secret);
        expect(backend.logs().join("\n")).not.toContain(secret);
      }
    });

    it("GATEWAY_WRITES_REQUIRE_HTTPS: a write that came over plain HTTP is 403 before its body is read", async () => {
      const https = await gatewayFor(backend, { GATEWAY_WRITES_REQUIRE_HTTPS: "true" });
      const httpsPort = Number(new URL(https.url).port);
      try {
        const before = await greetingCount(pg);
        // Declares a body it never sends: the answer must not wait for it.
        const refused = await rawRequest(
          httpsPort,
          `POST /v1/greetings HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${writeToken}\r\n` +
            "X-Forwarded-Proto: http\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n",
        );
        expect(refused.status).toBe(403);
        expect(JSON.parse(refused.body)).toEqual({
          code: 7,
          message: "writes require HTTPS",
          details: [],
        });
        expect(await greetingCount(pg)).toBe(before);
        for (const proto of ["https", undefined]) {
          const res = await request(`${https.url}/v1/greetings`, {
            method: "POST",
            headers: { ...auth, ...(proto ? { "x-forwarded-proto": proto } : {}) },
            json: { text: `over ${proto ?? "the cluster network"}` },
          });
          expect(res.status, String(proto)).toBe(200);
        }
        const read = await request(`${https.url}/v1/greetings/1`, {
          headers: { "x-forwarded-proto": "http" },
        });
        expect(read.status).toBe(200);
      } finally {
        await https.stop();
      }
    });
  });
});
