// Both gRPC clients (see backend-clients.test.ts) over three servers behind one DNS name, the
// shape of a Kubernetes headless Service: calls spread over every address, and follow the DNS
// answers as addresses leave and come back.
import { create } from "@bufbuild/protobuf";
import {
  FailRequestSchema,
  TestingService,
} from "@infinity-pool/proto/infinitypool/testing/v1/testing_pb.js";
import { afterAll, beforeAll, expect, it } from "vitest";
import { freePort } from "../../backend/test/support/postgres.ts";
import type { Backend } from "../src/backend.ts";
import type { BackendClientOptions } from "../src/backend-client.ts";
import { type DnsServer, startDnsServer } from "./support/dns-server.ts";
import { startTestingBackend, type TestingBackend } from "./support/testing-backend.ts";

// grpc-js reads this when it is loaded; with it, it asks the DNS server the target names. Both
// clients are imported after it: the http2 client loads grpc-js too (for server streaming).
process.env.GRPC_NODE_USE_ALTERNATIVE_RESOLVER = "true";
const { BackendClient } = await import("../src/backend-client.ts");
const { Http2BackendClient } = await import("../src/http2-backend-client.ts");

const clients: Record<string, (o: BackendClientOptions) => Backend> = {
  "grpc-js": (o) => new BackendClient(o),
  http2: (o) => new Http2BackendClient(o),
};

const name = "backend.infinity-pool.test";
const hosts = ["127.0.0.1", "127.0.0.2", "127.0.0.3"];
let port: number;
let dns: DnsServer;
const servers: TestingBackend[] = [];

beforeAll(async () => {
  port = await freePort();
  for (const host of hosts) servers.push(await startTestingBackend({ host, port }));
  dns = await startDnsServer(name, [...hosts]);
});

afterAll(async () => {
  for (const s of servers) await s.close();
  await dns?.close();
});

/** Makes `count` calls, 8 at a time, and returns how many each server answered. */
async function spread(client: Backend, count: number): Promise<number[]> {
  const before = servers.map((s) => s.calls.get("Fail") ?? 0);
  let left = count;
  const worker = async () => {
    while (left-- > 0) {
      await client.call(TestingService.method.fail, create(FailRequestSchema), {
        deadline: Date.now() + 5_000,
        metadata: {},
        retry: false,
      });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return servers.map((s, i) => (s.calls.get("Fail") ?? 0) - (before[i] as number));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it.each(Object.keys(clients))(
  "%s: calls go to every address and follow the DNS answers",
  async (kind) => {
    dns.addresses = [...hosts];
    const client = clients[kind]?.({
      target: `dns://127.0.0.1:${dns.port}/${name}:${port}`,
      maxAttempts: 1,
      refreshMs: 1_000,
    }) as Backend;
    try {
      const all = await spread(client, 300);
      for (const n of all) expect(n, `per-server counts ${all}`).toBeGreaterThanOrEqual(60);

      dns.addresses = hosts.slice(0, 2);
      await sleep(1_500);
      const two = await spread(client, 150);
      expect(two[2], `per-server counts ${two}`).toBe(0);

      dns.addresses = [...hosts];
      await sleep(2_500);
      const three = await spread(client, 150);
      expect(three[2], `per-server counts ${three}`).toBeGreaterThanOrEqual(30);
    } finally {
      client.close();
    }
  },
  30_000,
);
