// HEAD answers with the status and header fields GET would send, and no body (RFC 9110 §9.3.2),
// on every path the gateway serves: each GET route the router holds (unary and server-streaming),
// the operational endpoints on both ports, /docs, and the errors (bad query, no route, wrong
// method, backend down, the backend refusing a value).

import { TestingService } from "@infinity-pool/proto/infinitypool/testing/v1/testing_pb.js";
import { GreetingService } from "@infinity-pool/proto/infinitypool/v1/greeting_pb.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docsPaths } from "../src/docs.ts";
import { adminPaths, operationalPaths } from "../src/operational.ts";
import type { PathTemplate } from "../src/path-template.ts";
import { type InProcessGateway, startGateway } from "./support/gateway.ts";
import {
  type BackendProcess,
  backendOn,
  gatewayFor,
  type PostgresServer,
  skipWithoutPostgres,
  startPostgres,
} from "./support/system.ts";
import { startTestingBackend, type TestingBackend } from "./support/testing-backend.ts";

// What a HEAD answer must share with GET's; content-length where GET's body is fixed.
const compared = ["content-type", "cache-control", "allow", "location", "etag", "content-length"];

interface Answer {
  status: number;
  headers: Record<string, string | null>;
  body: string;
}

/**
 * One request; the body is read for HEAD (it must be empty) and for GET unless `headersOnly`
 * (a stream that stays open: its headers are what GET commits, then the client leaves).
 */
async function ask(
  method: "GET" | "HEAD",
  url: string,
  headers: Record<string, string> = {},
  headersOnly = false,
): Promise<Answer> {
  const stop = new AbortController();
  const res = await fetch(url, { method, headers, signal: stop.signal });
  const picked: Record<string, string | null> = {};
  for (const name of compared) picked[name] = res.headers.get(name);
  let body = "";
  if (headersOnly && method === "GET") stop.abort();
  else body = await res.text();
  return { status: res.status, headers: picked, body };
}

/** Asks GET then HEAD and expects the same status and header fields, and no body for HEAD. */
async function sameAsGet(
  url: string,
  headers: Record<string, string> = {},
  options: { headersOnly?: boolean; ignore?: string[] } = {},
): Promise<Answer> {
  const get = await ask("GET", url, headers, options.headersOnly);
  const head = await ask("HEAD", url, headers);
  for (const name of options.ignore ?? []) {
    delete get.headers[name];
    delete head.headers[name];
  }
  expect({ url, accept: headers.accept, ...head, body: undefined }).toEqual({
    url,
    accept: headers.accept,
    ...get,
    body: undefined,
  });
  expect(head.body).toBe("");
  return get;
}

/** A path the template matches, with "x" for each single-segment wildcard. */
function pathOf(template: PathTemplate): string {
  const segments = template.segments.map((s) =>
    s.kind === "literal" ? s.value : s.kind === "wildcard" ? "x" : "x/y",
  );
  const verb = template.verb === undefined ? "" : `:${template.verb}`;
  return `/${segments.join("/")}${verb}`;
}

const formats = [{}, { accept: "text/event-stream" }];

describe("HEAD answers as GET does (generic routes, in-process backend)", () => {
  let testing: TestingBackend;
  let gw: InProcessGateway;
  let down: InProcessGateway;

  beforeAll(async () => {
    testing = await startTestingBackend();
    gw = await startGateway([TestingService], { BACKEND_ADDRESS: testing.target });
    // Nothing listens on port 1: every call fails UNAVAILABLE.
    down = await startGateway([TestingService], {
      BACKEND_ADDRESS: "dns:///127.0.0.1:1",
      GATEWAY_GET_MAX_ATTEMPTS: "1",
    });
  });
  afterAll(async () => {
    await Promise.all([gw?.stop(), down?.stop()]);
    await testing?.close();
  });

  it("on every path of every route the router holds, in both stream formats", async () => {
    const seen = new Set<string>();
    for (const route of gw.router.routes) {
      const path = pathOf(route.template);
      if (seen.has(path)) continue;
      seen.add(path);
      for (const headers of formats) {
        // POST-only paths answer 405 with Allow to both; GET paths their GET answer.
        const get = await sameAsGet(`${gw.url}${path}`, headers, { ignore: ["content-length"] });
        expect(get.status).toBeLessThan(500);
      }
    }
    expect(seen.size).toBeGreaterThan(3);
  });

  it("on a stream's early errors, end and idle open, and cancels the upstream call it made", async () => {
    const stream = `${gw.url}/testing/v1/stream`;
    for (const headers of formats) {
      for (const [query, status] of [
        ["code=3", 400],
        ["code=14", headers.accept ? 200 : 503],
        ["count=2", 200],
        ["count=abc", 400],
        ["nope=1", 400],
      ] as const) {
        const get = await sameAsGet(`${stream}?${query}`, headers, { ignore: ["content-length"] });
        expect(get.status).toBe(status);
      }
      const calls = (name: string) => testing.calls.get(name) ?? 0;
      const [made, cancelled] = [calls("StreamEcho"), calls("StreamEcho:cancelled")];
      // An idle stream and one with a message pending: GET commits 200 and stays open.
      for (const query of ["hold=true", "count=1&hold=true"]) {
        const get = await sameAsGet(`${stream}?${query}`, headers, { headersOnly: true });
        expect(get.status).toBe(200);
      }
      // HEAD asked the backend, and neither its call nor its stream stays open.
      expect(calls("StreamEcho")).toBe(made + 4);
      await expect.poll(() => calls("StreamEcho:cancelled")).toBe(cancelled + 4);
      const route = `route="/testing/v1/stream",format="${headers.accept ? "sse" : "ndjson"}"`;
      const metrics = async () => (await fetch(`${gw.adminUrl}/metrics`)).text();
      await expect.poll(metrics).toContain(`gateway_open_streams{${route}} 0`);
    }
  });

  it("with the backend down, on unary and streaming routes", async () => {
    for (const headers of formats) {
      const unary = await sameAsGet(`${down.url}/testing/v1/echo`, headers, {
        ignore: ["content-length"],
      });
      expect(unary.status).toBe(503);
      const stream = await sameAsGet(`${down.url}/testing/v1/stream`, headers, {
        ignore: ["content-length"],
      });
      expect(stream.status).toBe(headers.accept ? 200 : 503);
    }
  });

  it("on the operational endpoints of both ports, /docs, and paths nobody serves", async () => {
    const publicPaths = [...operationalPaths.map((p) => p.path), "/metrics", "/nowhere"];
    for (const path of [...publicPaths, "/docs", ...docsPaths]) {
      await sameAsGet(`${gw.url}${path}`);
    }
    await sameAsGet(`${gw.url}/docs/init.js`, { "accept-encoding": "gzip" });
    for (const path of [...adminPaths, "/openapi.json"]) {
      // The metrics text changes between two requests (the first is counted): not its length.
      await sameAsGet(`${gw.adminUrl}${path}`, {}, { ignore: ["content-length"] });
    }
  });
});

describe.skipIf(skipWithoutPostgres)(
  "HEAD answers as GET does (GreetingService, real backend)",
  () => {
    let pg: PostgresServer;
    let backend: BackendProcess;
    let gw: InProcessGateway;
    let down: InProcessGateway;

    beforeAll(async () => {
      pg = await startPostgres();
      backend = await backendOn(pg);
      gw = await gatewayFor(backend);
      down = await startGateway([GreetingService], {
        BACKEND_ADDRESS: "dns:///127.0.0.1:1",
        GATEWAY_GET_MAX_ATTEMPTS: "1",
      });
    }, 180_000);
    afterAll(async () => {
      await Promise.all([gw?.stop(), down?.stop()]);
      backend?.kill();
      await backend?.exited;
      await pg?.stop();
    });

    it("on /v1/greetings:watch: the backend's refusal, an open stream, the backend down", async () => {
      const watch = "/v1/greetings:watch";
      for (const headers of formats) {
        const refused = await sameAsGet(`${gw.url}${watch}?since_id=-1`, headers, {
          ignore: ["content-length"],
        });
        expect(refused.status).toBe(400);
        const open = await sameAsGet(`${gw.url}${watch}`, headers, { headersOnly: true });
        expect(open.status).toBe(200);
        const unavailable = await sameAsGet(`${down.url}${watch}`, headers, {
          ignore: ["content-length"],
        });
        expect(unavailable.status).toBe(headers.accept ? 200 : 503);
      }
      // Every watch the gateway opened (two per format) ended CANCELLED at the backend.
      const cancelled = () =>
        backend
          .logs()
          .filter((l) => l.includes("WatchGreetings") && l.includes('"code":"CANCELLED"')).length;
      await expect.poll(cancelled).toBe(4);
      const metrics = async () => (await fetch(`${gw.adminUrl}/metrics`)).text();
      await expect.poll(metrics).not.toMatch(/gateway_open_streams\{[^}]*\} [1-9]/);
    });

    it("on the unary routes, up and down", async () => {
      for (const path of [
        "/",
        "/v1/greeting",
        "/v1/greetings",
        "/v1/greetings/1",
        "/v1/greetings/x",
      ]) {
        await sameAsGet(`${gw.url}${path}`, {}, { ignore: ["content-length"] });
        const get = await sameAsGet(`${down.url}${path}`, {}, { ignore: ["content-length"] });
        expect(get.status).toBe(path.endsWith("/x") ? 400 : 503);
      }
    });
  },
);
