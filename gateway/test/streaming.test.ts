// Server-streaming transcoding against a real gRPC server (connect-node over HTTP/2): the generic
// TestingService.StreamEcho, which has no code of its own in the gateway and no stream_resumption.
import { connect } from "node:net";
import { TestingService } from "@infinity-pool/proto/infinitypool/testing/v1/testing_pb.js";
import { GreetingService } from "@infinity-pool/proto/infinitypool/v1/greeting_pb.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildOpenApi } from "../src/openapi.ts";
import { buildRoutes } from "../src/routes.ts";
import { type InProcessGateway, startGateway } from "./support/gateway.ts";
import { request } from "./support/http.ts";
import { openStream, type StreamClient } from "./support/stream-client.ts";
import { startTestingBackend, type TestingBackend } from "./support/testing-backend.ts";

const sse = { accept: "text/event-stream" };

describe("server-streaming routes", () => {
  let testing: TestingBackend;
  const gateways: InProcessGateway[] = [];
  const clients: StreamClient[] = [];

  beforeAll(async () => {
    testing = await startTestingBackend();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await Promise.all(gateways.splice(0).map((g) => g.stop()));
  });
  afterAll(async () => {
    await testing?.close();
  });

  async function gateway(env: Record<string, string> = {}): Promise<InProcessGateway> {
    const g = await startGateway([TestingService], { BACKEND_ADDRESS: testing.target, ...env });
    gateways.push(g);
    return g;
  }

  async function open(url: string, headers: Record<string, string> = {}): Promise<StreamClient> {
    const client = await openStream(url, headers);
    clients.push(client);
    return client;
  }

  const calls = (name: string) => testing.calls.get(name) ?? 0;

  it("answers NDJSON by default: one {result} line per message, flushed as each arrives", async () => {
    const { url } = await gateway();
    const done = await open(`${url}/testing/v1/stream?count=3&text=hi`);
    await done.ended;
    expect(done.status).toBe(200);
    expect(done.headers.get("content-type")).toBe("application/x-ndjson");
    expect(done.text).toBe(
      '{"result":{"index":0,"text":"hi"}}\n{"result":{"index":1,"text":"hi"}}\n' +
        '{"result":{"index":2,"text":"hi"}}\n',
    );
    // A stream that stays open shows its first message while it is still open.
    const open1 = await open(`${url}/testing/v1/stream?count=1&hold=true`);
    await expect.poll(() => open1.lines).toEqual([{ result: { index: 0, text: "" } }]);
    expect(open1.isEnded).toBe(false);
    // With nothing to send, the headers still go out (after 250 ms), so the stream is open.
    const idle = await open(`${url}/testing/v1/stream?hold=true`);
    expect(idle.status).toBe(200);
    expect(idle.headers.get("content-type")).toBe("application/x-ndjson");
    expect(idle.text).toBe("");
  });

  it("answers Server-Sent Events for Accept: text/event-stream, without ids when the RPC has no stream_resumption", async () => {
    const { url } = await gateway();
    const done = await open(`${url}/testing/v1/stream?count=2&text=a`, sse);
    await done.ended;
    expect(done.status).toBe(200);
    expect(done.headers.get("content-type")).toBe("text/event-stream");
    expect(done.headers.get("cache-control")).toBe("no-cache");
    expect(done.events).toEqual([
      { event: "message", data: '{"index":0,"text":"a"}', id: undefined },
      { event: "message", data: '{"index":1,"text":"a"}', id: undefined },
    ]);
  });

  it("ends a stream that fails midway with {error: Status} or an error event", async () => {
    const { url } = await gateway();
    const ndjson = await open(`${url}/testing/v1/stream?count=2&code=9`);
    await ndjson.ended;
    expect(ndjson.status).toBe(200);
    expect(ndjson.lines.at(-1)).toEqual({
      error: { code: 9, message: "status 9", details: [] },
    });
    expect(ndjson.lines).toHaveLength(3);
    const events = await open(`${url}/testing/v1/stream?count=2&code=9`, sse);
    await events.ended;
    expect(events.events.at(-1)).toEqual({
      event: "error",
      data: '{"code":9,"message":"status 9","details":[]}',
      id: undefined,
    });
  });

  it("gives a stream that fails before its first message the HTTP status, as grpc-gateway does", async () => {
    const { url } = await gateway();
    const invalid = await request(`${url}/testing/v1/stream?code=3`);
    expect(invalid.status).toBe(400);
    // The body every error of this API has (grpc-gateway would wrap it in {"error": …}).
    expect(invalid.text).toBe('{"code":3,"message":"status 3","details":[]}');
    const unavailable = await request(`${url}/testing/v1/stream?code=14`);
    expect(unavailable.status).toBe(503);
    expect(unavailable.body).toMatchObject({ code: 14 });
    // EventSource never retries an HTTP error, right for bad input...
    const invalidSse = await request(`${url}/testing/v1/stream?code=3`, { headers: sse });
    expect(invalidSse.status).toBe(400);
    // ...but a passing outage must let it reconnect: a 200 stream with one error event.
    const down = await open(`${url}/testing/v1/stream?code=14`, sse);
    await down.ended;
    expect(down.status).toBe(200);
    expect(down.events).toEqual([
      {
        event: "error",
        data: '{"code":14,"message":"the backend is unavailable, try again later","details":[]}',
        id: undefined,
      },
    ]);
  });

  it("cancels the upstream call at once when the client hangs up", async () => {
    const { url } = await gateway();
    const before = calls("StreamEcho:cancelled");
    const client = await open(`${url}/testing/v1/stream?count=1&hold=true`);
    await expect.poll(() => client.lines.length).toBe(1);
    expect(calls("StreamEcho:cancelled")).toBe(before);
    client.close();
    await expect.poll(() => calls("StreamEcho:cancelled")).toBe(before + 1);
  });

  it("is not cut by the call deadline", async () => {
    // Three messages 400 ms apart outlast a 200 ms deadline that unary calls get.
    const { url } = await gateway({ GATEWAY_DEADLINE_MS: "200", GATEWAY_MAX_DEADLINE_MS: "300" });
    const client = await open(`${url}/testing/v1/stream?count=3&interval=0.4s`);
    await client.ended;
    expect(client.lines).toHaveLength(3);
    expect(client.text).not.toContain("error");
  });

  it("ends at GATEWAY_STREAM_MAX_LIFETIME_MS with a final UNAVAILABLE and cancels upstream", async () => {
    const { url } = await gateway({ GATEWAY_STREAM_MAX_LIFETIME_MS: "1000" });
    const before = calls("StreamEcho:cancelled");
    const ndjson = await open(`${url}/testing/v1/stream?count=1&hold=true`);
    const events = await open(`${url}/testing/v1/stream?count=1&hold=true`, sse);
    await Promise.all([ndjson.ended, events.ended]);
    expect(ndjson.lines).toEqual([
      { result: { index: 0, text: "" } },
      {
        error: {
          code: 14,
          message: "the stream reached its maximum lifetime; reconnect to resume",
          details: [],
        },
      },
    ]);
    expect(events.events.map((e) => e.event)).toEqual(["message", "error"]);
    await expect.poll(() => calls("StreamEcho:cancelled")).toBe(before + 2);
  });

  it("keeps an idle Server-Sent Events stream open with heartbeat comments", async () => {
    const { url } = await gateway({ GATEWAY_SSE_HEARTBEAT_MS: "100" });
    // No message at all: the first heartbeat commits the headers, so the browser sees it open.
    const idle = await open(`${url}/testing/v1/stream?hold=true`, sse);
    expect(idle.status).toBe(200);
    await expect
      .poll(() => idle.events.filter((e) => e.comment === "heartbeat").length)
      .toBeGreaterThanOrEqual(3);
    expect(idle.events.every((e) => e.comment === "heartbeat")).toBe(true);
  });

  it("ends every open stream with a final event when the gateway shuts down", async () => {
    const g = await gateway();
    const open3 = await Promise.all([
      open(`${g.url}/testing/v1/stream?count=1&hold=true`),
      open(`${g.url}/testing/v1/stream?count=1&hold=true`),
      open(`${g.url}/testing/v1/stream?count=1&hold=true`, sse),
    ]);
    await expect.poll(() => open3.every((c) => c.text.length > 0)).toBe(true);
    // A drain budget far longer than the test: the streams must not be what it waits for.
    await g.gateway.shutdown(0);
    for (const c of open3) {
      await c.ended;
      expect(c.text).toContain("the gateway is shutting down; reconnect to resume");
    }
  });

  it("holds the backend back while the client does not read, instead of buffering", async () => {
    const { url } = await gateway();
    const { port } = new URL(url);
    const text = "x".repeat(1_000);
    const before = calls("StreamEcho:sent");
    // A client that sends its request and then never reads the response.
    const socket = connect(Number(port), "127.0.0.1");
    socket.pause();
    socket.write(`GET /testing/v1/stream?count=100000&text=${text} HTTP/1.1\r\nhost: x\r\n\r\n`);
    await expect.poll(() => calls("StreamEcho:sent") - before).toBeGreaterThan(100);
    // The backend stops once socket, HTTP/2 and grpc-js buffers are full: wait until it has.
    let sent = -1;
    await expect
      .poll(
        async () => {
          const previous = sent;
          await new Promise((r) => setTimeout(r, 500));
          sent = calls("StreamEcho:sent") - before;
          return sent === previous;
        },
        { timeout: 30_000, interval: 0 },
      )
      .toBe(true);
    // What those buffers hold is a small part of the 100 000 messages (100 MB) asked for.
    expect(sent).toBeLessThan(20_000);
    socket.destroy();
  });

  it("answers HEAD with what GET commits, then cancels the upstream call (head.test.ts: all routes)", async () => {
    const { url } = await gateway();
    const before = calls("StreamEcho:cancelled");
    const res = await fetch(`${url}/testing/v1/stream?count=1&hold=true`, {
      method: "HEAD",
      headers: sse,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    expect(await res.text()).toBe("");
    await expect.poll(() => calls("StreamEcho:cancelled")).toBe(before + 1);
    const invalid = await fetch(`${url}/testing/v1/stream?code=3`, { method: "HEAD" });
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get("content-type")).toBe("application/json");
  });

  it("counts open streams and messages sent in its metrics", async () => {
    const { url, adminUrl } = await gateway();
    const client = await open(`${url}/testing/v1/stream?count=2&hold=true`, sse);
    await expect.poll(() => client.events.length).toBe(2);
    const metrics = async () => (await request(`${adminUrl}/metrics`)).text;
    const route = 'route="/testing/v1/stream",format="sse"';
    expect(await metrics()).toContain(`gateway_open_streams{${route}} 1`);
    expect(await metrics()).toContain(`gateway_stream_messages_total{${route}} 2`);
    client.close();
    await expect.poll(metrics).toContain(`gateway_open_streams{${route}} 0`);
  });
});

describe("OpenAPI for streaming routes", () => {
  it("documents both media types and, with stream_resumption, Last-Event-ID", () => {
    const doc = buildOpenApi(buildRoutes([GreetingService]), "t", "v1") as {
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    const op = doc.paths["/v1/greetings:watch"]?.get as {
      parameters: { name: string; in: string }[];
      responses: Record<string, { content: Record<string, unknown> }>;
    };
    expect(Object.keys(op.responses["200"]?.content ?? {}).sort()).toEqual([
      "application/x-ndjson",
      "text/event-stream",
    ]);
    expect(op.parameters.map((p) => `${p.in} ${p.name}`)).toEqual(
      expect.arrayContaining(["query since_id", "header Last-Event-ID"]),
    );
  });
});
