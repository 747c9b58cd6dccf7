import { HealthCheckResponse_ServingStatus as Status } from "@infinity-pool/proto/grpc/health/v1/health_pb.js";
import { Code } from "@infinity-pool/runtime/status";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BackendProcess, startBackend } from "./support/backend-process.ts";
import { clients } from "./support/clients.ts";
import { type PostgresServer, skipWithoutPostgres, startPostgres } from "./support/postgres.ts";

describe.skipIf(skipWithoutPostgres)("database outage", () => {
  let db: PostgresServer;
  let backend: BackendProcess;

  beforeAll(async () => {
    db = await startPostgres();
    backend = await startBackend({
      env: { DATABASE_URL: db.url, HEALTH_CHECK_INTERVAL_MS: "250" },
    });
  });
  afterAll(async () => {
    backend?.kill("SIGKILL");
    await db?.destroy();
  });

  it("fails fast with UNAVAILABLE, GreetingService NOT_SERVING, server still SERVING; recovers without a restart", async () => {
    const { greetings, health } = clients(backend.url);
    const service = "infinitypool.v1.GreetingService";
    expect((await greetings.sayHello({})).data?.greeting).toBe("Hello World");
    expect((await health.check({})).status).toBe(Status.SERVING);
    expect((await health.check({ service })).status).toBe(Status.SERVING);

    // Watch must report the change as it happens, not only on the next Check.
    const abort = new AbortController();
    const seen: Status[] = [];
    const seenByServer: Status[] = [];
    const watch = (name: string, into: Status[]) =>
      (async () => {
        for await (const update of health.watch({ service: name }, { signal: abort.signal }))
          into.push(update.status);
      })().catch(() => undefined);
    const watching = Promise.all([watch(service, seen), watch("", seenByServer)]);

    await db.stop();
    const started = performance.now();
    const err = await greetings.sayHello({}).catch((e: unknown) => e);
    const elapsed = performance.now() - started;
    expect(err).toMatchObject({ code: Code.UNAVAILABLE, rawMessage: "database unavailable" });
    // Fast means well under the 5 s connect timeout: a refused connection is not waited out.
    expect(elapsed).toBeLessThan(2_000);
    await expect
      .poll(async () => (await health.check({ service })).status, { timeout: 5_000 })
      .toBe(Status.NOT_SERVING);
    // The readiness probe asks for the server: a database outage keeps the pod in its Service.
    expect((await health.check({})).status).toBe(Status.SERVING);
    await expect(greetings.getGreeting({ id: 1n })).rejects.toMatchObject({
      code: Code.UNAVAILABLE,
    });

    await db.start();
    await expect
      .poll(async () => (await health.check({ service })).status, { timeout: 10_000 })
      .toBe(Status.SERVING);
    expect((await greetings.sayHello({})).data?.greeting).toBe("Hello World");
    abort.abort();
    await watching;
    expect(seen).toEqual([Status.SERVING, Status.NOT_SERVING, Status.SERVING]);
    expect(seenByServer).toEqual([Status.SERVING]);
    expect(backend.child.exitCode).toBeNull();
  });
});
