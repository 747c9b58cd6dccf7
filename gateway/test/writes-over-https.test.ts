import { TestingService } from "@infinity-pool/proto/infinitypool/testing/v1/testing_pb.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type InProcessGateway, startGateway } from "./support/gateway.ts";
import { request } from "./support/http.ts";
import { startTestingBackend, type TestingBackend } from "./support/testing-backend.ts";

/**
 * GATEWAY_WRITES_REQUIRE_HTTPS (CONTRACTS.md; the chart sets it from gateway.auth.writesRequireHttps,
 * default true): behind an ALB listening on plain HTTP, a bearer token would cross the internet in
 * clear text, so such writes are refused before the token or the body is looked at.
 */
describe("writes only over HTTPS", () => {
  const token = "https-test-token-3b9e";
  let backend: TestingBackend;
  let gw: InProcessGateway;
  const write = (headers: Record<string, string>, body: string = JSON.stringify({ text: "hi" })) =>
    request(`${gw.url}/testing/v1/echo`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
    });

  beforeAll(async () => {
    backend = await startTestingBackend();
    gw = await startGateway([TestingService], {
      BACKEND_ADDRESS: backend.target,
      WRITE_TOKENS: token,
      GATEWAY_WRITES_REQUIRE_HTTPS: "true",
      GATEWAY_MAX_BODY_BYTES: "1024",
    });
  });
  afterAll(async () => {
    await gw?.stop();
    await backend?.close();
  });

  it("refuses a write the ALB received over HTTP, even with a valid token", async () => {
    const before = backend.calls.get("Echo") ?? 0;
    for (const proto of ["http", "HTTP", "https, http", "ws"]) {
      const res = await write({ authorization: `Bearer ${token}`, "x-forwarded-proto": proto });
      expect(res.status, proto).toBe(403);
      expect(res.body).toEqual({ code: 7, message: "writes require HTTPS", details: [] });
    }
    expect(backend.calls.get("Echo") ?? 0).toBe(before);
  });

  it("refuses before reading the body or the token", async () => {
    const res = await write({ "x-forwarded-proto": "http" }, "x".repeat(4096));
    expect(res.status).toBe(403);
  });

  it("accepts writes over HTTPS, and from callers that passed no proxy", async () => {
    expect(
      (await write({ authorization: `Bearer ${token}`, "x-forwarded-proto": "https" })).status,
    ).toBe(200);
    expect((await write({ authorization: `Bearer ${token}` })).status).toBe(200);
    expect((await write({ "x-forwarded-proto": "https" })).status).toBe(401);
  });

  it("leaves reads open over HTTP", async () => {
    const res = await request(`${gw.url}/testing/v1/shelves/s1`, {
      headers: { "x-forwarded-proto": "http" },
    });
    expect(res.status).toBe(200);
  });

  it("is off by default, for local runs without a proxy", async () => {
    const local = await startGateway([TestingService], {
      BACKEND_ADDRESS: backend.target,
      WRITE_TOKENS: token,
    });
    try {
      const res = await request(`${local.url}/testing/v1/echo`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "x-forwarded-proto": "http" },
        json: { text: "hi" },
      });
      expect(res.status).toBe(200);
    } finally {
      await local.stop();
    }
  });
});
