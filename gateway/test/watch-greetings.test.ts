// WatchGreetings end to end: PostgreSQL → two backend processes behind one DNS name (as a headless
// Service) → the real gateway process → curl, NDJSON and Server-Sent Events clients.
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LISTENER_APPLICATION_NAME } from "../../backend/src/db/listener.ts";
import { clients } from "../../backend/test/support/clients.ts";
import { freePort } from "../../backend/test/support/postgres.ts";
import { type DnsServer, startDnsServer } from "./support/dns-server.ts";
import { type GatewayProcess, spawnGateway } from "./support/gateway.ts";
import { openStream, type StreamClient } from "./support/stream-client.ts";
import {
  type BackendProcess,
  backendOn,
  type PostgresServer,
  skipWithoutPostgres,
  startPostgres,
  writeToken,
} from "./support/system.ts";

const serviceName = "backend.infinity-pool.test";
const hosts = ["127.0.0.1", "127.0.0.2"];

describe.skipIf(skipWithoutPostgres)("WatchGreetings through the gateway", () => {
  let pg: PostgresServer;
  let dns: DnsServer;
  const backends: BackendProcess[] = [];
  let gateway: GatewayProcess;
  const streams: StreamClient[] = [];

  beforeAll(async () => {
    pg = await startPostgres();
    const port = await freePort("127.0.0.1");
    for (const host of hosts) {
      backends.push(await backendOn(pg, { host, env: { BACKEND_PORT: String(port) } }));
    }
    dns = await startDnsServer(serviceName, [...hosts]);
    gateway = await spawnGateway({
      BACKEND_ADDRESS: `dns://127.0.0.1:${dns.port}/${serviceName}:${port}`,
      GRPC_NODE_USE_ALTERNATIVE_RESOLVER: "true",
      WRITE_TOKENS: writeToken,
      SHUTDOWN_DELAY_MS: "0",
      // Far longer than any test: streams must end because the gateway ends them, not by timeout.
      SHUTDOWN_TIMEOUT_MS: "600000",
    });
    for (let i = 0; i < 100; i++) {
      const res = await fetch(`${gateway.url}/readyz`);
      await res.arrayBuffer();
      if (res.status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  afterAll(async () => {
    for (const s of streams) s.close();
    gateway?.child.kill("SIGKILL");
    for (const b of backends) b.kill("SIGKILL");
    await dns?.close();
    await pg?.destroy();
  });

  async function newestId(): Promise<bigint> {
    const { rows } = await pg.query("SELECT max(id)::text AS id FROM greetings");
    return BigInt(rows[0].id);
  }

  async function createThroughGateway(text: string): Promise<string> {
    const res = await fetch(`${gateway.url}/v1/greetings`, {
      method: "POST",
      headers: { authorization: `Bearer ${writeToken}`, "content-type": "application/json" },
      body: JSON.stringify({ text }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { id: string }).id;
  }

  /** NDJSON and SSE watchers, each known to be subscribed: each has received the newest greeting. */
  async function watchers(n: number): Promise<{ ids: () => string[][]; all: StreamClient[] }> {
    const since = (await newestId()) - 1n;
    const all = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        openStream(
          `${gateway.url}/v1/greetings:watch?since_id=${since}`,
          i % 2 === 0 ? {} : { accept: "text/event-stream" },
        ),
      ),
    );
    streams.push(...all);
    const ids = () =>
      all.map((s) =>
        s.events.length > 0
          ? s.events.filter((e) => e.event === "message").map((e) => e.id as string)
          : s.lines.map((l) => (l as { result: { id: string } }).result.id),
      );
    await expect
      .poll(() => ids().every((list) => list.length === 1), { timeout: 20_000 })
      .toBe(true);
    return { ids, all };
  }

  it("shows curl -N each NDJSON line as it happens", async () => {
    const since = (await newestId()) - 1n;
    const curl = spawn("curl", ["-sN", `${gateway.url}/v1/greetings:watch?since_id=${since}`]);
    let out = "";
    curl.stdout.setEncoding("utf8");
    curl.stdout.on("data", (chunk: string) => {
      out += chunk;
    });
    try {
      await expect.poll(() => out.split("\n").length - 1, { timeout: 10_000 }).toBe(1);
      const id = await createThroughGateway("seen by curl");
      await expect.poll(() => out.split("\n").length - 1).toBe(2);
      const line = JSON.parse(out.split("\n")[1] as string);
      expect(line).toMatchObject({ result: { id, text: "seen by curl" } });
      // Still streaming: curl has not exited.
      expect(curl.exitCode).toBeNull();
    } finally {
      curl.kill("SIGKILL");
    }
  });

  it("delivers a create through the gateway to every watcher within one second", async () => {
    const { ids } = await watchers(20);
    const id = await createThroughGateway("to every watcher");
    // Arrival within a second of the create returning (the promise to users), not a CPU timing.
    await expect
      .poll(() => ids().filter((list) => list.at(-1) === id).length, { timeout: 1_000 })
      .toBe(20);
  });

  it("spreads watchers over both backends, and a create through either reaches all of them", async () => {
    const { ids } = await watchers(12);
    // Round robin put streams on both replicas: each keeps its one listening session.
    const { rows } = await pg.query(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1",
      [LISTENER_APPLICATION_NAME],
    );
    expect(rows[0].n).toBe(2);
    const created: string[] = [];
    for (const backend of backends) {
      const { greeting } = await clients(backend.url, {
        token: writeToken,
      }).greetings.createGreeting({
        text: `through ${backend.address}`,
      });
      created.push(String(greeting?.id));
    }
    await expect
      .poll(() => ids().filter((list) => list.slice(1).join() === created.join()).length, {
        timeout: 10_000,
      })
      .toBe(12);
  });

  it("on SIGTERM ends every open stream with a final event and exits 0", async () => {
    const { all } = await watchers(6);
    gateway.child.kill("SIGTERM");
    expect(await gateway.exited).toEqual({ code: 0, signal: null });
    for (const s of all) {
      await s.ended;
      expect(s.text).toContain("the gateway is shutting down; reconnect to resume");
    }
  });
});
