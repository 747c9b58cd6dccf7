// Every annotated GreetingService route through the gateway, to a real backend process on a real
// PostgreSQL 15.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { operationalPaths } from "../src/operational.ts";
import type { InProcessGateway } from "./support/gateway.ts";
import { request } from "./support/http.ts";
import { openStream } from "./support/stream-client.ts";
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

describe.skipIf(skipWithoutPostgres)("Greeting routes on PostgreSQL", () => {
  let pg: PostgresServer;
  let backend: BackendProcess;
  let gw: InProcessGateway;

  beforeAll(async () => {
    pg = await startPostgres();
    backend = await backendOn(pg);
    gw = await gatewayFor(backend);
  });

  afterAll(async () => {
    await gw?.stop();
    backend?.kill();
    await backend?.exited;
    await pg?.destroy();
  });

  it("GET / answers the seed's exact JSON", async () => {
    const res = await fetch(`${gw.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.text()).toBe(
      '{"data":{"greeting":"Hello World"},"message":"Response from infinity-pool database"}',
    );
  });

  it("GET /v1/greeting is the same RPC on its versioned path", async () => {
    const res = await request(`${gw.url}/v1/greeting`);
    expect(res.body).toEqual({
      data: { greeting: "Hello World" },
      message: "Response from infinity-pool database",
    });
  });

  it("POST /v1/greetings with a token creates a row and answers the greeting", async () => {
    const before = await greetingCount(pg);
    const res = await request(`${gw.url}/v1/greetings`, {
      method: "POST",
      headers: auth,
      json: { text: "Hallo Welt" },
    });
    expect(res.status).toBe(200);
    const greeting = res.body as { id: string; text: string; createTime: string };
    expect(greeting.text).toBe("Hallo Welt");
    expect(greeting.id).toMatch(/^\d+$/);
    expect(Date.parse(greeting.createTime)).not.toBeNaN();
    expect(await greetingCount(pg)).toBe(before + 1);
    const row = await pg.query("select text from greetings where id = $1", [greeting.id]);
    expect(row.rows[0].text).toBe("Hallo Welt");
  });

  it("the same create without a token is 401 and writes nothing", async () => {
    const before = await greetingCount(pg);
    for (const headers of [{}, { authorization: "Bearer not-the-token" }] as HeadersInit[]) {
      const res = await request(`${gw.url}/v1/greetings`, {
        method: "POST",
        headers,
        json: { text: "sneaky" },
      });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ code: 16, details: [] });
    }
    expect(await greetingCount(pg)).toBe(before);
    const rows = await pg.query("select 1 from greetings where text = 'sneaky'");
    expect(rows.rowCount).toBe(0);
  });

  it("a retried create with the same request_id stores one row (either JSON spelling)", async () => {
    const before = await greetingCount(pg);
    const first = await request(`${gw.url}/v1/greetings`, {
      method: "POST",
      headers: auth,
      json: { text: "once", requestId: "retry-1" },
    });
    const second = await request(`${gw.url}/v1/greetings`, {
      method: "POST",
      headers: auth,
      json: { text: "once", request_id: "retry-1" },
    });
    expect(second.body).toEqual(first.body);
    expect(await greetingCount(pg)).toBe(before + 1);
    const conflict = await request(`${gw.url}/v1/greetings`, {
      method: "POST",
      headers: auth,
      json: { text: "different", requestId: "retry-1" },
    });
    expect(conflict.status).toBe(409);
  });

  it("invalid text is 400 with the backend's message and writes nothing", async () => {
    const before = await greetingCount(pg);
    for (const text of ["", "x".repeat(281), "bell\u0007"]) {
      const res = await request(`${gw.url}/v1/greetings`, {
        method: "POST",
        headers: auth,
        json: { text },
      });
      expect(res.status, JSON.stringify(text)).toBe(400);
      expect((res.body as { message: string }).message).toMatch(/text/);
    }
    expect(await greetingCount(pg)).toBe(before);
  });

  it("GET /v1/greetings/{id} maps the path to the id and NOT_FOUND to 404", async () => {
    const one = await request(`${gw.url}/v1/greetings/1`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: "1", text: "Hello World" });
    const missing = await request(`${gw.url}/v1/greetings/987654`);
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ code: 5, message: expect.any(String), details: [] });
  });

  it("GET /v1/greetings pages with page_size and page_token from the query", async () => {
    for (let i = 0; i < 5; i++) {
      await request(`${gw.url}/v1/greetings`, {
        method: "POST",
        headers: auth,
        json: { text: `page item ${i}` },
      });
    }
    const total = await greetingCount(pg);
    const seen: string[] = [];
    let token = "";
    let pages = 0;
    do {
      const query = `page_size=2${token ? `&page_token=${encodeURIComponent(token)}` : ""}`;
      const res = await request(`${gw.url}/v1/greetings?${query}`);
      expect(res.status).toBe(200);
      const body = res.body as { greetings: { id: string }[]; nextPageToken: string };
      expect(body.greetings.length).toBeLessThanOrEqual(2);
      seen.push(...body.greetings.map((g) => g.id));
      token = body.nextPageToken;
      pages++;
    } while (token !== "" && pages < 50);
    expect(seen.length).toBe(total);
    expect(new Set(seen).size).toBe(total);
    expect(pages).toBe(Math.ceil(total / 2));
    // camelCase query names work as well as the proto names.
    const camel = await request(`${gw.url}/v1/greetings?pageSize=1`);
    expect((camel.body as { greetings: unknown[] }).greetings).toHaveLength(1);
    const negative = await request(`${gw.url}/v1/greetings?page_size=-1`);
    expect(negative.status).toBe(400);
  });

  it("forwards the request id to the backend, which logs it", async () => {
    const id = "trace-me-42";
    const res = await request(`${gw.url}/v1/greetings/1`, { headers: { "x-request-id": id } });
    expect(res.headers.get("x-request-id")).toBe(id);
    await new Promise((r) => setTimeout(r, 100));
    expect(backend.logs().some((l) => l.includes(id))).toBe(true);
    expect(gw.logs.some((l) => l.requestId === id && l.status === 200)).toBe(true);
  });

  it("serves every operation that /openapi.json documents", async () => {
    const doc = (await request(`${gw.url}/openapi.json`)).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => [method.toUpperCase(), path] as const),
    );
    expect(operations.length).toBe(gw.router.routes.length + operationalPaths.length);
    for (const [method, path] of operations) {
      const url = `${gw.url}${path.replace("{id}", "1")}`;
      if (path.endsWith(":watch")) {
        // A stream never ends by itself: its status line is enough, then the client hangs up.
        const stream = await openStream(url);
        stream.close();
        expect(stream.status, `${method} ${path}`).toBe(200);
        continue;
      }
      const res = await request(url, {
        method,
        ...(method === "POST" ? { json: { text: "from the OpenAPI check" } } : {}),
      });
      // Served means routed: anything but "no route" or "wrong method". The POST has no token.
      expect([200, 401], `${method} ${path}`).toContain(res.status);
    }
  });

  it("is ready (readiness is the gateway's own, not the backend's)", async () => {
    expect((await request(`${gw.url}/readyz`)).status).toBe(200);
  });
});
