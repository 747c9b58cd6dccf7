import { HealthCheckResponse_ServingStatus as Status } from "@infinity-pool/proto/grpc/health/v1/health_pb.js";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBackend } from "./support/backend-process.ts";
import { clients } from "./support/clients.ts";
import { type PostgresServer, skipWithoutPostgres, startPostgres } from "./support/postgres.ts";

describe.skipIf(skipWithoutPostgres)("graceful shutdown", () => {
  let db: PostgresServer;

  beforeAll(async () => {
    db = await startPostgres();
  });
  afterAll(async () => {
    await db?.destroy();
  });

  it("SIGTERM with 50 calls in flight: all 50 succeed, health turns NOT_SERVING, exit 0", async () => {
    const backend = await startBackend({ env: { DATABASE_URL: db.url } });
    const { greetings, health } = clients(backend.url);
    expect((await greetings.sayHello({})).data?.greeting).toBe("Hello World");

    // Hold the table locked so that every call is genuinely in flight inside the server when the
    // signal arrives, then release it while the server is draining.
    const blocker = new pg.Client(db.superuserConfig());
    await blocker.connect();
    await blocker.query("BEGIN");
    await blocker.query("LOCK TABLE greetings IN ACCESS EXCLUSIVE MODE");

    const watch = (async () => {
      const seen: Status[] = [];
      for await (const u of health.watch({})) seen.push(u.status);
      return seen;
    })();
    const calls = Array.from({ length: 50 }, () => greetings.sayHello({}));
    await expect.poll(() => backend.logs().length, { timeout: 5_000 }).toBeGreaterThan(0);
    // Wait until the server has taken the calls: the pool's connections queue on the lock.
    await expect
      .poll(() => db.lockWaiters(), { timeout: 10_000, interval: 50 })
      .toBeGreaterThanOrEqual(5);

    backend.kill("SIGTERM");
    await expect
      .poll(() => backend.logs().some((l) => l.includes("shutting down")), { timeout: 5_000 })
      .toBe(true);
    // A health watcher learns of the shutdown before the process goes.
    expect(await watch).toEqual([Status.SERVING, Status.NOT_SERVING]);
    await new Promise((r) => setTimeout(r, 300));
    await blocker.query("COMMIT");
    await blocker.end();

    const results = await Promise.allSettled(calls);
    const failed = results.filter((r) => r.status === "rejected");
    expect(failed, JSON.stringify(failed.slice(0, 2))).toHaveLength(0);
    for (const r of results) {
      if (r.status === "fulfilled") expect(r.value.data?.greeting).toBe("Hello World");
    }
    const exit = await backend.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(backend.logs().some((l) => l.includes("shutdown complete"))).toBe(true);
  });

  it("after SIGTERM new connections are refused, and the drain is bounded by SHUTDOWN_TIMEOUT_MS", async () => {
    const backend = await startBackend({
      env: { DATABASE_URL: db.url, SHUTDOWN_TIMEOUT_MS: "1000" },
    });
    const blocker = new pg.Client(db.superuserConfig());
    await blocker.connect();
    await blocker.query("BEGIN");
    await blocker.query("LOCK TABLE greetings IN ACCESS EXCLUSIVE MODE");
    const stuck = clients(backend.url)
      .greetings.sayHello({})
      .then(
        () => "answered",
        () => "cut off",
      );
    await new Promise((r) => setTimeout(r, 300));
    const started = performance.now();
    backend.kill("SIGTERM");
    const exit = await backend.exited;
    const took = performance.now() - started;
    await blocker.query("ROLLBACK");
    await blocker.end();
    expect(exit.code).toBe(0);
    // A call that cannot finish is cut off after the timeout instead of holding the pod forever.
    expect(took).toBeLessThan(4_500);
    expect(await stuck).toBe("cut off");
    await expect(clients(backend.url).greetings.sayHello({})).rejects.toMatchObject({
      code: 14,
    });
  });
});
