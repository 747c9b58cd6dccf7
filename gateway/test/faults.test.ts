// Failures under load: a backend that dies and returns, and a gateway told to stop mid-load.
import { TestingService } from "@infinity-pool/proto/infinitypool/testing/v1/testing_pb.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../backend/test/support/postgres.ts";
import { spawnGateway, startGateway } from "./support/gateway.ts";
import {
  type BackendProcess,
  backendOn,
  gatewayFor,
  type PostgresServer,
  skipWithoutPostgres,
  startPostgres,
} from "./support/system.ts";
import { startTestingBackend } from "./support/testing-backend.ts";

interface Sample {
  at: number;
  ms: number;
  status: number;
  body: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Workers that GET `path` in a loop until stop() resolves; every outcome is recorded. */
function startLoad(url: string, workers: number, pauseMs = 5) {
  const samples: Sample[] = [];
  let running = true;
  const loop = async () => {
    while (running) {
      const started = Date.now();
      try {
        const res = await fetch(url);
        samples.push({
          at: started,
          ms: Date.now() - started,
          status: res.status,
          body: await res.text(),
        });
      } catch (error) {
        samples.push({ at: started, ms: Date.now() - started, status: 0, body: String(error) });
      }
      if (pauseMs > 0) await sleep(pauseMs);
    }
  };
  const done = Promise.all(Array.from({ length: workers }, loop));
  return {
    samples,
    /** Resolves once `n` requests have been answered (any status), polling. */
    answered: async (n: number) => {
      while (samples.length < n) await sleep(20);
    },
    stop: async () => {
      running = false;
      await done;
      return samples;
    },
    set running(value: boolean) {
      running = value;
    },
  };
}

describe.skipIf(skipWithoutPostgres)("faults under load", () => {
  let pg: PostgresServer;

  beforeAll(async () => {
    pg = await startPostgres();
  });

  afterAll(async () => {
    await pg?.destroy();
  });

  it("answers 503 JSON within the deadline while the backend is dead, and recovers", async () => {
    const port = await freePort();
    let backend: BackendProcess = await backendOn(pg, { env: { BACKEND_PORT: String(port) } });
    const gw = await gatewayFor(backend, { GATEWAY_DEADLINE_MS: "2000" });
    try {
      const load = startLoad(`${gw.url}/v1/greetings/1`, 6);
      await sleep(600);
      const killedAt = Date.now();
      backend.kill("SIGKILL");
      await backend.exited;
      await sleep(1_500);
      backend = await backendOn(pg, { env: { BACKEND_PORT: String(port) } });
      const restartedAt = Date.now();
      await sleep(4_000);
      const samples = await load.stop();

      const failures = samples.filter((s) => s.status !== 200);
      expect(samples.filter((s) => s.at < killedAt && s.status === 200).length).toBeGreaterThan(0);
      expect(failures.length).toBeGreaterThan(0);
      for (const f of failures) {
        expect(f.status).toBe(503);
        expect(JSON.parse(f.body)).toEqual({
          code: 14,
          message: "the backend is unavailable, try again later",
          details: [],
        });
        expect(f.ms).toBeLessThan(2_500);
      }
      // Full recovery: within 3 s of the restart every request succeeds again.
      const late = samples.filter((s) => s.at > restartedAt + 3_000);
      expect(late.length).toBeGreaterThan(0);
      expect(late.filter((s) => s.status !== 200)).toEqual([]);
    } finally {
      await gw.stop();
      backend.kill();
      await backend.exited;
    }
  });

  it("loses no request when the gateway gets SIGTERM under load, and exits 0", async () => {
    const backend = await backendOn(pg);
    const gateway = await spawnGateway({
      BACKEND_ADDRESS: `dns:///${backend.address}`,
      // Stands in for the load balancer's deregistration window (the chart's preStop sleep); long
      // enough for the load loop below to notice readiness failing even on a 2-core machine
      // shared by parallel test runs (load 15-20).
      SHUTDOWN_DELAY_MS: "5000",
      SHUTDOWN_TIMEOUT_MS: "5000",
    });
    try {
      const load = startLoad(`${gateway.url}/v1/greetings/1`, 8, 0);
      // Real load first, however long a busy machine takes to serve it: the signal goes out once
      // more than 50 requests have been answered, not after a fixed time.
      await load.answered(51);
      const signalledAt = Date.now();
      gateway.child.kill("SIGTERM");
      // Like a load balancer, stop sending new requests once readiness fails. Polls until the
      // gateway says so or exits (bounded by the test's timeout, not by a count of polls).
      let notReadyAt = 0;
      while (notReadyAt === 0 && gateway.child.exitCode === null) {
        const res = await fetch(`${gateway.url}/readyz`).catch(() => undefined);
        await res?.arrayBuffer();
        if (res?.status === 503) notReadyAt = Date.now();
        else await sleep(50);
      }
      const samples = await load.stop();
      const exit = await gateway.exited;

      expect(notReadyAt).toBeGreaterThan(0);
      expect(samples.length).toBeGreaterThan(50);
      // Requests in flight at the signal, or sent before readiness was seen failing, were answered.
      expect(samples.filter((s) => s.at + s.ms >= signalledAt).length).toBeGreaterThan(0);
      const failed = samples.filter((s) => s.status !== 200);
      expect(failed, `not ready after ${notReadyAt - signalledAt} ms`).toEqual([]);
      expect(exit).toEqual({ code: 0, signal: null });
      const logs = gateway.logs().join("\n");
      expect(logs).toContain("gateway stopped");
    } finally {
      gateway.child.kill("SIGKILL");
      backend.kill();
      await backend.exited;
    }
  });
});

describe("graceful shutdown", () => {
  it("fails readiness first, finishes slow in-flight calls, then refuses connections", async () => {
    const testing = await startTestingBackend();
    const gw = await startGateway([TestingService], {
      BACKEND_ADDRESS: testing.target,
      SHUTDOWN_TIMEOUT_MS: "5000",
    });
    try {
      const slow = Array.from({ length: 5 }, () =>
        fetch(`${gw.url}/testing/v1/status/0?delay_ms=800`).then(async (r) => ({
          status: r.status,
          body: await r.json(),
        })),
      );
      await sleep(100);
      const stopping = gw.gateway.shutdown(300);
      const ready = await fetch(`${gw.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: "draining" });
      const results = await Promise.all(slow);
      for (const r of results) expect(r).toEqual({ status: 200, body: { code: 0 } });
      await stopping;
      await expect(fetch(`${gw.url}/healthz`)).rejects.toThrow();
    } finally {
      await gw.stop();
      await testing.close();
    }
  });

  it("cuts requests that outlive the shutdown timeout", async () => {
    const testing = await startTestingBackend();
    const gw = await startGateway([TestingService], {
      BACKEND_ADDRESS: testing.target,
      SHUTDOWN_TIMEOUT_MS: "300",
    });
    try {
      // Far longer than the test may run: only the shutdown timeout can end it in time.
      const stuck = fetch(`${gw.url}/testing/v1/status/0?delay_ms=600000`).then(
        (r) => r.status,
        () => "cut",
      );
      await sleep(100);
      await gw.gateway.shutdown(0);
      expect(await stuck).toBe("cut");
    } finally {
      await testing.close();
    }
  });
});
