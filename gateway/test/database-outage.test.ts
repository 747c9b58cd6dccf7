// A database outage (an Aurora failover or resume) against the real processes: PostgreSQL, the
// backend and the gateway's own entry point, wired as in the cluster.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GatewayProcess, spawnGateway } from "./support/gateway.ts";
import {
  type BackendProcess,
  backendOn,
  type PostgresServer,
  skipWithoutPostgres,
  startPostgres,
} from "./support/system.ts";

const greeting = {
  data: { greeting: "Hello World" },
  message: "Response from infinity-pool database",
};

async function get(url: string) {
  const res = await fetch(url);
  const text = await res.text();
  return { status: res.status, type: res.headers.get("content-type"), body: JSON.parse(text) };
}

describe.skipIf(skipWithoutPostgres)("database outage", () => {
  let pg: PostgresServer;
  let backend: BackendProcess;
  let gateway: GatewayProcess;
  let pids: number[];

  beforeAll(async () => {
    pg = await startPostgres();
    backend = await backendOn(pg, { env: { HEALTH_CHECK_INTERVAL_MS: "250" } });
    gateway = await spawnGateway({ BACKEND_ADDRESS: `dns:///${backend.address}` });
    pids = [backend.child.pid ?? 0, gateway.child.pid ?? 0];
  });
  afterAll(async () => {
    gateway?.child.kill("SIGKILL");
    backend?.kill();
    await backend?.exited;
    await pg?.destroy();
  });

  it("keeps the gateway ready, answers 503 JSON within the deadline, and recovers on its own", async () => {
    expect(await get(`${gateway.url}/`)).toMatchObject({ status: 200, body: greeting });

    await pg.stop();
    // The ALB health check and the kubelet probe: still ready, so the target stays registered.
    for (const url of [`${gateway.url}/readyz`, `${gateway.adminUrl}/readyz`]) {
      expect(await get(url), url).toMatchObject({ status: 200, body: { status: "ready" } });
    }
    // The API answers for itself: UNAVAILABLE as 503 JSON. A 504 would mean the gateway's deadline
    // (GATEWAY_DEADLINE_MS, 5 s) ran out first: the outage must be answered, not waited out.
    for (const path of ["/", "/v1/greetings/1"]) {
      const res = await get(`${gateway.url}${path}`);
      expect(res, path).toMatchObject({
        status: 503,
        body: { code: 14, message: "the backend is unavailable, try again later", details: [] },
      });
      expect(res.type).toContain("application/json");
    }
    expect((await get(`${gateway.url}/readyz`)).status).toBe(200);

    await pg.start();
    // Back within a few seconds: the pool reconnects, nothing was restarted.
    await expect
      .poll(async () => (await get(`${gateway.url}/`)).status, { timeout: 10_000, interval: 250 })
      .toBe(200);
    expect(await get(`${gateway.url}/`)).toMatchObject({ status: 200, body: greeting });
    expect([backend.child.pid, gateway.child.pid]).toEqual(pids);
    expect(backend.child.exitCode).toBeNull();
    expect(gateway.child.exitCode).toBeNull();
  });
});
