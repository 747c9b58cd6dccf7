// CORS (Fetch standard, "CORS protocol") at the HTTP level: what a browser reads from the answers.
// The browser itself is in browser.test.ts.
import { GreetingService } from "@infinity-pool/proto/infinitypool/v1/greeting_pb.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { corsMaxAgeSeconds, parseAllowedOrigins } from "../src/cors.ts";
import { type InProcessGateway, startGateway } from "./support/gateway.ts";

const app = "https://app.example.com";
const other = "https://evil.example.net";

function corsHeaders(res: Response): Record<string, string> {
  const found: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    if (name.startsWith("access-control-")) found[name] = value;
  });
  return found;
}

function preflight(
  url: string,
  origin: string,
  method = "POST",
  headers = "authorization, content-type",
) {
  return fetch(url, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": method,
      "access-control-request-headers": headers,
    },
  });
}

describe("GATEWAY_CORS_ALLOWED_ORIGINS", () => {
  it("is empty by default: no CORS", () => {
    expect(loadConfig({}).corsAllowedOrigins).toEqual([]);
  });

  it("takes comma-separated origins, normalised as browsers send them", () => {
    expect(
      parseAllowedOrigins(" https://app.example.com, http://localhost:5173/ ,HTTPS://A.EXAMPLE"),
    ).toEqual(["https://app.example.com", "http://localhost:5173", "https://a.example"]);
  });

  it.each([
    ["*"],
    ["null"],
    ["app.example.com"],
    ["https://app.example.com/path"],
    ["https://app.example.com?x=1"],
  ])("refuses %s with one line naming the variable", (value) => {
    expect(() => loadConfig({ GATEWAY_CORS_ALLOWED_ORIGINS: value })).toThrow(
      /^invalid configuration: GATEWAY_CORS_ALLOWED_ORIGINS must list origins/,
    );
  });
});

describe("CORS answers", () => {
  let open: InProcessGateway;
  let closed: InProcessGateway;

  beforeAll(async () => {
    // No backend is needed: CORS headers go on every answer, errors included.
    const env = { BACKEND_ADDRESS: "dns:///127.0.0.1:9", GATEWAY_GET_MAX_ATTEMPTS: "1" };
    [open, closed] = await Promise.all([
      startGateway([GreetingService], {
        ...env,
        GATEWAY_CORS_ALLOWED_ORIGINS: `${app},http://localhost:5173`,
      }),
      startGateway([GreetingService], env),
    ]);
  });

  afterAll(async () => {
    await open?.stop();
    await closed?.stop();
  });

  it("an allowed origin's request gets Access-Control-Allow-Origin, the exposed request id and Vary: Origin", async () => {
    for (const path of ["/healthz", "/v1/greetings/1", "/no/such/route"]) {
      const res = await fetch(`${open.url}${path}`, { headers: { origin: app } });
      expect(corsHeaders(res), path).toEqual({
        "access-control-allow-origin": app,
        "access-control-expose-headers": "x-request-id",
      });
      expect(res.headers.get("vary"), path).toMatch(/\bOrigin\b/);
    }
  });

  it("another origin's request gets no CORS headers, and Vary: Origin", async () => {
    const res = await fetch(`${open.url}/healthz`, { headers: { origin: other } });
    expect(res.status).toBe(200);
    expect(corsHeaders(res)).toEqual({});
    expect(res.headers.get("vary")).toMatch(/\bOrigin\b/);
  });

  it("a preflight from an allowed origin: 204 with methods, headers including authorization, and max-age", async () => {
    const res = await preflight(`${open.url}/v1/greetings`, app);
    expect(res.status).toBe(204);
    const headers = corsHeaders(res);
    expect(headers["access-control-allow-origin"]).toBe(app);
    expect(headers["access-control-allow-methods"]?.split(", ").sort()).toEqual([
      "GET",
      "HEAD",
      "POST",
    ]);
    expect(headers["access-control-allow-headers"]?.split(", ")).toEqual(
      // Every non-safelisted header the API reads from a page's own requests.
      expect.arrayContaining([
        "authorization",
        "content-type",
        "grpc-timeout",
        "last-event-id",
        "traceparent",
        "tracestate",
        "x-request-id",
      ]),
    );
    expect(headers["access-control-max-age"]).toBe(String(corsMaxAgeSeconds));
    expect(res.headers.get("vary")?.split(/,\s*/)).toEqual(
      expect.arrayContaining([
        "Origin",
        "Access-Control-Request-Method",
        "Access-Control-Request-Headers",
      ]),
    );
    expect(await res.text()).toBe("");
  });

  it("a preflight from another origin: 403 PERMISSION_DENIED as JSON, no CORS headers", async () => {
    const res = await preflight(`${open.url}/v1/greetings`, other);
    expect(res.status).toBe(403);
    expect(corsHeaders(res)).toEqual({});
    expect(await res.json()).toMatchObject({
      code: 7,
      message: expect.stringMatching(/not allowed/),
    });
  });

  it("with no origins configured (the default) nothing is CORS: no headers, no Vary, OPTIONS is not served", async () => {
    const res = await fetch(`${closed.url}/healthz`, { headers: { origin: app } });
    expect(corsHeaders(res)).toEqual({});
    expect(res.headers.get("vary") ?? "").not.toMatch(/Origin/);
    const pre = await preflight(`${closed.url}/v1/greetings`, app);
    expect(pre.status).toBe(405);
    expect(corsHeaders(pre)).toEqual({});
  });
});
