import { randomBytes } from "node:crypto";
import { HealthCheckResponse_ServingStatus } from "@infinity-pool/proto/grpc/health/v1/health_pb.js";
import { Code } from "@infinity-pool/runtime/status";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BackendProcess, startBackend } from "./support/backend-process.ts";
import { clients } from "./support/clients.ts";
import { type PostgresServer, skipWithoutPostgres, startPostgres } from "./support/postgres.ts";
import {
  type FakeSecretsManager,
  secretsManagerEnv,
  startSecretsManager,
} from "./support/secrets-manager.ts";

const secretId = "infinity-pool-dev/aurora-master";

describe.skipIf(skipWithoutPostgres)("credentials from Secrets Manager", () => {
  let db: PostgresServer;
  let sm: FakeSecretsManager;
  let backend: BackendProcess;
  const passwords: string[] = [];

  beforeAll(async () => {
    db = await startPostgres();
    sm = await startSecretsManager();
    passwords.push(db.password);
    sm.setSecret(secretId, { username: db.user, password: db.password });
    backend = await startBackend({
      env: {
        ...secretsManagerEnv(sm, secretId),
        DB_HOST: db.host,
        DB_PORT: String(db.port),
        DB_NAME: db.database,
        DB_SSL_MODE: "disable",
        LOG_LEVEL: "trace",
        HEALTH_CHECK_INTERVAL_MS: "500",
      },
    });
  });
  afterAll(async () => {
    backend?.kill("SIGKILL");
    await sm?.close();
    await db?.destroy();
  });

  async function rotate(): Promise<string> {
    const next = randomBytes(18).toString("base64url");
    passwords.push(next);
    // RDS rotation changes the role's password and the secret; live sessions are unaffected, so
    // also end them to force the pool to log in again with whatever it has cached.
    await db.query(`ALTER ROLE ${db.user} PASSWORD '${next}'`);
    sm.setSecret(secretId, { username: db.user, password: next });
    await db.terminateAppSessions();
    await new Promise((r) => setTimeout(r, 300));
    return next;
  }

  it("reads the secret once and serves calls with it", async () => {
    const { greetings } = clients(backend.url);
    for (let i = 0; i < 5; i++) {
      expect((await greetings.sayHello({})).data?.greeting).toBe("Hello World");
    }
    expect(sm.requests).toBe(1);
  });

  it("heals after the password rotates, without a restart or a failed call", async () => {
    const { greetings } = clients(backend.url);
    const before = sm.requests;
    for (let round = 0; round < 2; round++) {
      await rotate();
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, () => greetings.sayHello({})),
      );
      expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    }
    // Concurrent failures share one refresh: a rotation costs a request or two, not one per call.
    expect(sm.requests - before).toBeGreaterThanOrEqual(2);
    expect(sm.requests - before).toBeLessThanOrEqual(4);
    expect(backend.child.exitCode).toBeNull();
  });

  it("reports a secret the database rejects as UNAVAILABLE, then recovers once it is fixed", async () => {
    const { greetings, health } = clients(backend.url);
    const actual = randomBytes(18).toString("base64url");
    const wrong = randomBytes(18).toString("base64url");
    passwords.push(actual, wrong);
    await db.query(`ALTER ROLE ${db.user} PASSWORD '${actual}'`);
    sm.setSecret(secretId, { username: db.user, password: wrong });
    await db.terminateAppSessions();
    await new Promise((r) => setTimeout(r, 300));
    const err = await greetings.sayHello({}).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: Code.UNAVAILABLE,
      rawMessage: "database authentication failed",
    });
    // The GreetingService needs the database; the server itself (the readiness probe) stays up.
    const service = "infinitypool.v1.GreetingService";
    expect((await health.check({ service })).status).toBe(
      HealthCheckResponse_ServingStatus.NOT_SERVING,
    );
    expect((await health.check({})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    const requestsWhileWrong = sm.requests;
    await Promise.allSettled(Array.from({ length: 20 }, () => greetings.sayHello({})));
    // A secret that keeps failing is not fetched again for every call.
    expect(sm.requests - requestsWhileWrong).toBeLessThanOrEqual(2);

    sm.setSecret(secretId, { username: db.user, password: actual });
    await new Promise((r) => setTimeout(r, 1_100));
    expect((await greetings.sayHello({})).data?.greeting).toBe("Hello World");
    await expect
      .poll(async () => (await health.check({ service })).status, { timeout: 5_000 })
      .toBe(HealthCheckResponse_ServingStatus.SERVING);
  });

  it("never writes a password to its logs", () => {
    const logs = backend.logs();
    expect(logs.length).toBeGreaterThan(10);
    expect(logs.some((l) => l.includes("fetching the secret again"))).toBe(true);
    for (const password of passwords) {
      const leaking = logs.filter((l) => l.includes(password));
      // Report the count only: printing the lines would put the secret in the test output.
      expect(leaking.length, "log lines containing a password").toBe(0);
    }
  });
});
