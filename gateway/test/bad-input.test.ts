// Hostile and broken requests against the real system (backend process + PostgreSQL 15): each is
// answered with its documented 4xx as JSON, nothing reaches the database, and the gateway stays up.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type InProcessGateway, startGateway } from "./support/gateway.ts";
import { type RawResponse, rawRequest, request } from "./support/http.ts";
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

const auth = `Bearer ${writeToken}`;

interface Case {
  name: string;
  status: number;
  send(gw: InProcessGateway, port: number): Promise<RawResponse>;
}

const viaFetch =
  (path: string, init: RequestInit = {}) =>
  async (gw: InProcessGateway): Promise<RawResponse> => {
    const res = await request(`${gw.url}${path}`, init);
    const headers: Record<string, string> = {};
    res.headers.forEach((value, key) => {
      headers[key] = value;
    });
    return { status: res.status, headers, body: res.text };
  };

const post = (
  body: string | Uint8Array,
  type = "application/json",
  extra: Record<string, string> = {},
) =>
  viaFetch("/v1/greetings", {
    method: "POST",
    headers: { authorization: auth, "content-type": type, ...extra },
    body: body as BodyInit,
  });

const raw = (text: string | Buffer) => (_gw: InProcessGateway, port: number) =>
  rawRequest(port, text);

const cases: Case[] = [
  { name: "malformed JSON", status: 400, send: post('{"text":') },
  { name: "JSON array instead of object", status: 400, send: post('["hi"]') },
  { name: "JSON string instead of object", status: 400, send: post('"hi"') },
  { name: "JSON null", status: 400, send: post("null") },
  { name: "unknown body field", status: 400, send: post('{"text":"a","admin":true}') },
  { name: "wrong field type", status: 400, send: post('{"text":5}') },
  { name: "oversized body", status: 413, send: post(`{"text":"${"x".repeat(70_000)}"}`) },
  {
    name: "oversized declared Content-Length",
    status: 413,
    send: raw(
      `POST /v1/greetings HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\n` +
        "Content-Type: application/json\r\nContent-Length: 10000000\r\nConnection: close\r\n\r\n{",
    ),
  },
  {
    name: "oversized chunked body",
    status: 413,
    send: raw(
      `POST /v1/greetings HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\n` +
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
        `${(40_000).toString(16)}\r\n${" ".repeat(40_000)}\r\n`.repeat(2) +
        "0\r\n\r\n",
    ),
  },
  { name: "text/plain body", status: 415, send: post('{"text":"a"}', "text/plain") },
  { name: "XML body", status: 415, send: post("<text>a</text>", "application/xml") },
  {
    name: "latin-1 charset",
    status: 415,
    send: post('{"text":"a"}', "application/json; charset=iso-8859-1"),
  },
  {
    name: "body without Content-Type",
    status: 415,
    send: raw(
      `POST /v1/greetings HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\n` +
        'Content-Length: 12\r\nConnection: close\r\n\r\n{"text":"a"}',
    ),
  },
  {
    name: "non-UTF-8 body",
    status: 400,
    send: post(
      Buffer.concat([Buffer.from('{"text":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]),
    ),
  },
  {
    name: "unknown query parameter on a write",
    status: 400,
    send: viaFetch("/v1/greetings?admin=1", {
      method: "POST",
      headers: { authorization: auth, "content-type": "application/json" },
      body: '{"text":"a"}',
    }),
  },
  { name: "empty text", status: 400, send: post('{"text":""}') },
  { name: "text over 280 characters", status: 400, send: post(`{"text":"${"y".repeat(281)}"}`) },
  { name: "control characters in text", status: 400, send: post('{"text":"a\\u0000b"}') },
  { name: "malformed request id", status: 400, send: post('{"text":"a","requestId":"no spaces"}') },
  { name: "non-numeric id", status: 400, send: viaFetch("/v1/greetings/abc") },
  { name: "fractional id", status: 400, send: viaFetch("/v1/greetings/1.5") },
  { name: "id beyond int64", status: 400, send: viaFetch("/v1/greetings/99999999999999999999999") },
  { name: "non-UTF-8 path", status: 400, send: viaFetch("/v1/greetings/%FF") },
  { name: "truncated escape in path", status: 400, send: viaFetch("/v1/greetings/%E0%A4%A") },
  { name: "non-numeric page_size", status: 400, send: viaFetch("/v1/greetings?page_size=ten") },
  { name: "negative page_size", status: 400, send: viaFetch("/v1/greetings?page_size=-5") },
  {
    name: "repeated singular query parameter",
    status: 400,
    send: viaFetch("/v1/greetings?page_size=1&page_size=2"),
  },
  { name: "unknown query parameter", status: 400, send: viaFetch("/v1/greetings?sort=desc") },
  { name: "forged page token", status: 400, send: viaFetch("/v1/greetings?page_token=forged") },
  { name: "non-UTF-8 query", status: 400, send: viaFetch("/v1/greetings?page_token=%C3%28") },
  {
    name: "malformed Grpc-Timeout",
    status: 400,
    send: viaFetch("/v1/greetings/1", { headers: { "grpc-timeout": "1 hour" } }),
  },
  {
    name: "GET with a body",
    status: 400,
    send: raw(
      "GET /v1/greetings/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
    ),
  },
  { name: "PUT on a collection", status: 405, send: viaFetch("/v1/greetings", { method: "PUT" }) },
  {
    name: "DELETE on an item",
    status: 405,
    send: viaFetch("/v1/greetings/1", { method: "DELETE" }),
  },
  { name: "unknown path", status: 404, send: viaFetch("/v2/greetings") },
  { name: "path below an item", status: 404, send: viaFetch("/v1/greetings/1/edit") },
  { name: "trailing slash", status: 404, send: viaFetch("/v1/greetings/") },
  {
    name: "write without a token",
    status: 401,
    send: viaFetch("/v1/greetings", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"text":"x"}',
    }),
  },
  {
    name: "write with a wrong token",
    status: 401,
    send: post('{"text":"x"}', undefined, { authorization: "Bearer nope" }),
  },
  {
    name: "write with Basic auth",
    status: 401,
    send: post('{"text":"x"}', undefined, { authorization: `Basic ${btoa(`u:${writeToken}`)}` }),
  },
  {
    name: "header flood (one 20 KiB header)",
    status: 431,
    send: raw(
      `GET / HTTP/1.1\r\nHost: x\r\nX-Flood: ${"a".repeat(20_000)}\r\nConnection: close\r\n\r\n`,
    ),
  },
  {
    name: "header flood (150 headers)",
    status: 431,
    send: raw(
      `GET / HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 150 }, (_, i) => `X-H${i}: v\r\n`).join("")}Connection: close\r\n\r\n`,
    ),
  },
  { name: "malformed request line", status: 400, send: raw("HELLO THERE\r\n\r\n") },
  {
    name: "asterisk-form request target",
    status: 400,
    send: raw("OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
  },
  {
    name: "authority-form request target (CONNECT)",
    status: 400,
    send: raw("CONNECT elsewhere.example:443 HTTP/1.1\r\nHost: elsewhere.example:443\r\n\r\n"),
  },
  {
    name: "absolute-form target with userinfo",
    status: 400,
    send: raw("GET http://user@x/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
  },
  {
    name: "absolute-form target of another scheme",
    status: 400,
    send: raw("GET ftp://x/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
  },
  {
    name: "conflicting Content-Length and Transfer-Encoding",
    status: 400,
    send: raw(
      `POST /v1/greetings HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Type: application/json\r\n` +
        'Content-Length: 12\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nc\r\n{"text":"a"}\r\n0\r\n\r\n',
    ),
  },
];

describe.skipIf(skipWithoutPostgres)("bad input against the real system", () => {
  let pg: PostgresServer;
  let backend: BackendProcess;
  let gw: InProcessGateway;
  let port: number;
  let rowsBefore: number;

  beforeAll(async () => {
    pg = await startPostgres();
    backend = await backendOn(pg);
    gw = await gatewayFor(backend);
    port = Number(new URL(gw.url).port);
    rowsBefore = await greetingCount(pg);
  });

  afterAll(async () => {
    await gw?.stop();
    backend?.kill();
    await backend?.exited;
    await pg?.destroy();
  });

  it("has at least 25 cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  it.each(cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const res = await c.send(gw, port);
    expect(res.status, res.body).toBe(c.status);
    expect(res.headers["content-type"]).toBe("application/json");
    const body = JSON.parse(res.body) as { code: number; message: string; details: unknown[] };
    expect(body).toEqual({ code: expect.any(Number), message: expect.any(String), details: [] });
    // No internals: no stack frames, file paths, addresses or driver words.
    expect(body.message).not.toMatch(/\bat \S+:\d+|\/src\/|127\.0\.0\.1|postgres|drizzle|SQL/i);
    // The gateway is still up and the database still answers through it.
    const alive = await fetch(`${gw.url}/`);
    expect(alive.status).toBe(200);
    await alive.text();
  });

  it("wrote no row for any of them", async () => {
    expect(await greetingCount(pg)).toBe(rowsBefore);
  });

  it("drops slow clients that never finish their headers (408 as JSON)", async () => {
    const slow = await startGateway(
      [],
      { BACKEND_ADDRESS: `dns:///${backend.address}` },
      {
        headersTimeoutMs: 500,
        requestTimeoutMs: 1_000,
      },
    );
    try {
      const started = Date.now();
      const res = await rawRequest(Number(new URL(slow.url).port), "GET / HTTP/1.1\r\nHost: x\r\n");
      expect(res.status).toBe(408);
      expect(JSON.parse(res.body)).toMatchObject({ code: 4, details: [] });
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      await slow.stop();
    }
  });
});
