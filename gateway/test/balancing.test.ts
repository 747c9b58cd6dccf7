// Three backend processes behind one DNS name, resolved through a real DNS server as grpc-js does
// for a headless Service: calls spread over all of them, and the set follows the DNS answers.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../backend/test/support/postgres.ts";
import { type DnsServer, startDnsServer } from "./support/dns-server.ts";
import { type GatewayProcess, spawnGateway } from "./support/gateway.ts";
import {
  type BackendProcess,
  backendOn,
  type PostgresServer,
  skipWithoutPostgres,
  startPostgres,
} from "./support/system.ts";

const serviceName = "backend.infinity-pool.test";
const hosts = ["127.0.0.1", "127.0.0.2", "127.0.0.3"];

/** Sends `count` GETs, `concurrency` at a time, with request ids `${prefix}-${i}`. */
async function load(url: string, prefix: string, count: number, concurrency = 8) {
  const statuses: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const res = await fetch(`${url}/v1/greetings/1`, {
        headers: { "x-request-id": `${prefix}-${i}` },
      });
      await res.arrayBuffer();
      statuses.push(res.status);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return statuses;
}

/** How many of the calls with this prefix each backend logged. */
function served(backends: BackendProcess[], prefix: string): number[] {
  const pattern = new RegExp(`"requestId":"${prefix}-\\d+"`);
  return backends.map((b) => b.logs().filter((l) => pattern.test(l)).length);
}

const settle = () => new Promise((r) => setTimeout(r, 300));

describe.skipIf(skipWithoutPostgres)("balancing over backend replicas", () => {
  let pg: PostgresServer;
  let dns: DnsServer;
  let port: number;
  const backends: BackendProcess[] = [];
  let gateway: GatewayProcess;

  beforeAll(async () => {
    pg = await startPostgres();
    port = await freePort("127.0.0.1");
    for (const host of hosts) {
      backends.push(await backendOn(pg, { host, env: { BACKEND_PORT: String(port) } }));
    }
    dns = await startDnsServer(serviceName, [...hosts]);
    gateway = await spawnGateway({
      // dns://<dns server>/<name>:<port>: grpc-js asks that server (with its c-ares based
      // resolver) instead of the system's, so the test needs no /etc/hosts or root.
      BACKEND_ADDRESS: `dns://127.0.0.1:${dns.port}/${serviceName}:${port}`,
      GRPC_NODE_USE_ALTERNATIVE_RESOLVER: "true",
      BACKEND_REFRESH_MS: "1000",
      SHUTDOWN_DELAY_MS: "0",
    });
    // Until the gateway reaches a backend: GET / goes through one (/readyz is the gateway's own
    // readiness and does not ask the backend).
    for (let i = 0; i < 100; i++) {
      const res = await fetch(`${gateway.url}/`);
      await res.arrayBuffer();
      if (res.status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  afterAll(async () => {
    gateway?.child.kill("SIGTERM");
    await gateway?.exited;
    for (const b of backends) b.kill();
    await Promise.all(backends.map((b) => b.exited));
    await dns?.close();
    await pg?.destroy();
  });

  it("gives every one of 3 backends at least 20% of 300 GETs", async () => {
    const statuses = await load(gateway.url, "spread", 300);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    await settle();
    const counts = served(backends, "spread");
    expect(counts.reduce((a, b) => a + b, 0)).toBe(300);
    for (const n of counts) expect(n, `per-backend counts ${counts}`).toBeGreaterThanOrEqual(60);
    expect(dns.queries).toBeGreaterThan(0);
  });

  it("follows the DNS answers when a replica leaves and comes back", async () => {
    // The replica is taken out of DNS first, then stopped, as Kubernetes does with a pod.
    dns.addresses = hosts.slice(0, 2);
    await new Promise((r) => setTimeout(r, 1_500));
    const leaving = backends[2] as BackendProcess;
    leaving.kill("SIGTERM");
    await leaving.exited;
    const during = await load(gateway.url, "two", 150);
    expect(during.filter((s) => s !== 200)).toEqual([]);
    await settle();
    expect(served(backends, "two")[2]).toBe(0);

    backends[2] = await backendOn(pg, { host: hosts[2], env: { BACKEND_PORT: String(port) } });
    dns.addresses = [...hosts];
    await new Promise((r) => setTimeout(r, 2_500));
    const after = await load(gateway.url, "three", 150);
    expect(after.filter((s) => s !== 200)).toEqual([]);
    await settle();
    const counts = served(backends, "three");
    expect(counts[2], `per-backend counts ${counts}`).toBeGreaterThanOrEqual(30);
  });
});
