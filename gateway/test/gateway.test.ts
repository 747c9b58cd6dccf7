// The gateway's dispatch against an in-process Backend: what an HTTP client sees and what reaches
// the backend, with no gRPC server or network hop behind it.
import { create, type DescMethod, type Message } from "@bufbuild/protobuf";
import {
  FailResponseSchema,
  GetShelfResponseSchema,
  TestingService,
} from "@infinity-pool/proto/infinitypool/testing/v1/testing_pb.js";
import { createLogger } from "@infinity-pool/runtime/logger";
import { Code } from "@infinity-pool/runtime/status";
import { TokenVerifier } from "@infinity-pool/runtime/tokens";
import { afterEach, describe, expect, it } from "vitest";
import { WriteAuth } from "../src/auth.ts";
import { type Backend, type CallOptions, type CallResult, UpstreamError } from "../src/backend.ts";
import { loadConfig } from "../src/config.ts";
import { Gateway } from "../src/gateway.ts";
import { createMetrics } from "../src/metrics.ts";
import { reservedPaths } from "../src/operational.ts";
import { Router } from "../src/router.ts";
import { buildRoutes } from "../src/routes.ts";
import { request } from "./support/http.ts";

interface Received {
  method: string;
  request: Message;
  options: CallOptions;
}

/** A Backend answering from a function of the method name, recording every call. */
class InProcessBackend implements Backend {
  readonly received: Received[] = [];
  serving = true;
  closed = false;
  answer: (method: string, request: Message) => Message | Promise<Message> = () => {
    throw new UpstreamError(Code.UNIMPLEMENTED, "no answer set", 1);
  };

  async call(method: DescMethod, request: Message, options: CallOptions): Promise<CallResult> {
    this.received.push({ method: method.name, request, options });
    return { message: await this.answer(method.name, request), attempts: 1 };
  }

  async healthy(): Promise<boolean> {
    return this.serving;
  }

  // biome-ignore lint/correctness/useYield: no streaming RPC is answered here (see stream tests)
  async *stream(): AsyncGenerator<Message> {
    throw new UpstreamError(Code.UNIMPLEMENTED, "no stream here", 1);
  }

  close(): void {
    this.closed = true;
  }
}

const token = "unit-test-token";
let running: Gateway | undefined;

async function startWith(backend: Backend) {
  const logs: Record<string, unknown>[] = [];
  const config = loadConfig({
    GATEWAY_HOST: "127.0.0.1",
    GATEWAY_PORT: "0",
    GATEWAY_ADMIN_PORT: "0",
  });
  const router = new Router(buildRoutes([TestingService]), reservedPaths);
  const gateway = new Gateway({
    config,
    router,
    backend,
    auth: new WriteAuth(new TokenVerifier([token])),
    metrics: createMetrics(),
    openApi: { openapi: "3.1.0" },
    logger: createLogger({
      service: "gateway",
      level: "info",
      destination: { write: (line: string) => void logs.push(JSON.parse(line)) },
    }),
  });
  running = gateway;
  const { port } = await gateway.listen();
  const admin = `http://127.0.0.1:${gateway.adminAddress().port}`;
  return { url: `http://127.0.0.1:${port}`, admin, logs, gateway };
}

afterEach(async () => {
  await running?.shutdown(0);
  running = undefined;
});

describe("dispatch", () => {
  it("maps the path onto the request, forwards the request id and renders response_body", async () => {
    const backend = new InProcessBackend();
    backend.answer = () =>
      create(GetShelfResponseSchema, { shelf: { name: "shelves/s1", theme: "sea" } });
    const { url } = await startWith(backend);
    const before = Date.now();
    const res = await request(`${url}/testing/v1/shelves/s1`, {
      headers: { "x-request-id": "req-42" },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ name: "shelves/s1", theme: "sea" });
    expect(res.headers.get("x-request-id")).toBe("req-42");
    const [call] = backend.received;
    expect(call?.method).toBe("GetShelf");
    expect(call?.request).toMatchObject({ name: "shelves/s1" });
    expect(call?.options.metadata).toEqual({ "x-request-id": "req-42" });
    // GETs are safe to retry; the default deadline is 5 s from the request.
    expect(call?.options.retry).toBe(true);
    expect(call?.options.deadline).toBeGreaterThanOrEqual(before + 5_000);
    expect(call?.options.deadline).toBeLessThanOrEqual(Date.now() + 5_000);
  });

  it("refuses a write without a token before it calls the backend", async () => {
    const backend = new InProcessBackend();
    const { url } = await startWith(backend);
    const res = await request(`${url}/testing/v1/status/0`, { method: "POST", json: {} });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="infinity-pool"');
    expect(backend.received).toEqual([]);
  });

  it("sends an authorised write once, without retries, with its body mapped", async () => {
    const backend = new InProcessBackend();
    backend.answer = () => create(FailResponseSchema, { code: 0 });
    const { url } = await startWith(backend);
    const res = await request(`${url}/testing/v1/status/0`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      json: { message: "hello", delayMs: 5 },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ code: 0 });
    expect(backend.received[0]?.request).toMatchObject({ code: 0, message: "hello", delayMs: 5 });
    expect(backend.received[0]?.options.retry).toBe(false);
  });

  it("answers an upstream status by the table, with its public message", async () => {
    const backend = new InProcessBackend();
    const { url, logs } = await startWith(backend);
    backend.answer = () => {
      throw new UpstreamError(Code.NOT_FOUND, "shelf shelves/s9 not found", 1);
    };
    const missing = await request(`${url}/testing/v1/shelves/s9`);
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ code: 5, message: "shelf shelves/s9 not found", details: [] });
    backend.answer = () => {
      throw new UpstreamError(Code.UNAVAILABLE, "connect ECONNREFUSED 10.0.0.7:50051", 3);
    };
    const down = await request(`${url}/testing/v1/shelves/s1`);
    expect(down.status).toBe(503);
    expect(down.text).not.toContain("10.0.0.7");
    await expect.poll(() => logs.filter((l) => l.msg === "request").length).toBe(2);
    expect(logs.filter((l) => l.msg === "request")).toEqual([
      expect.objectContaining({ status: 404, grpcCode: "NOT_FOUND" }),
      expect.objectContaining({ status: 503, grpcCode: "UNAVAILABLE", attempts: 3 }),
    ]);
  });

  it("answers a fault of its own as 500 INTERNAL and logs it", async () => {
    const backend = new InProcessBackend();
    backend.answer = () => {
      throw new TypeError("cannot read properties of undefined (reading 'shelf')");
    };
    const { url, logs } = await startWith(backend);
    const res = await request(`${url}/testing/v1/shelves/s1`);
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ code: 13, message: "internal error", details: [] });
    expect(logs.some((l) => l.msg === "unexpected gateway error")).toBe(true);
  });

  it("answers 404 and 405 from the routes without calling the backend", async () => {
    const backend = new InProcessBackend();
    const { url } = await startWith(backend);
    const missing = await request(`${url}/testing/v2/nothing`);
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ code: 5, message: "no route for this path", details: [] });
    const wrong = await request(`${url}/testing/v1/status/0`, { method: "PATCH" });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET, HEAD, POST");
    expect(backend.received).toEqual([]);
  });
});

describe("operational endpoints", () => {
  it("report readiness as the gateway's own, whatever the backend's health, and 503 once draining", async () => {
    const backend = new InProcessBackend();
    const { url, admin, gateway } = await startWith(backend);
    expect((await request(`${url}/readyz`)).body).toEqual({ status: "ready" });
    backend.serving = false;
    for (const base of [url, admin]) {
      expect(await request(`${base}/readyz`)).toMatchObject({
        status: 200,
        body: { status: "ready" },
      });
    }
    const draining = gateway.shutdown(300);
    for (const base of [url, admin]) {
      const drainingAnswer = await request(`${base}/readyz`);
      expect(drainingAnswer.status).toBe(503);
      expect(drainingAnswer.body).toEqual({ status: "draining" });
    }
    await draining;
    expect(backend.closed).toBe(true);
  });

  it("serve liveness and the OpenAPI document publicly, Prometheus metrics on the admin port only", async () => {
    const { url, admin } = await startWith(new InProcessBackend());
    expect((await request(`${url}/healthz`)).body).toEqual({ status: "ok" });
    expect((await request(`${url}/openapi.json`)).body).toEqual({ openapi: "3.1.0" });
    await request(`${url}/healthz`);
    const metrics = await request(`${admin}/metrics`);
    expect(metrics.headers.get("content-type")).toContain("text/plain");
    expect(metrics.text).toMatch(
      /gateway_http_requests_total\{route="\/healthz",method="GET",status="200"\} [1-9]/,
    );
    const outside = await request(`${url}/metrics`);
    expect(outside.status).toBe(404);
    expect(outside.text).not.toContain("gateway_http_requests_total");
  });
});
