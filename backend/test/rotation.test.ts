import { randomBytes } from "node:crypto";
import { HealthCheckResponse_ServingStatus } from "@infinity-pool/proto/grpc/health/v1/health_pb.js";
import { Code } from "@infinity-pool/runtime/status";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clients } from "./support/clients.ts";
import { skipWithoutPostgres } from "./support/postgres.ts";
import {
  type RotatingCredentials,
  secretId,
  startWithRotatingCredentials,
} from "./support/rotating-credentials.ts";

describe.skipIf(skipWithoutPostgres)("credentials from Secrets Manager", () => {
  let setup: RotatingCredentials;
  let db: RotatingCredentials["db"];
  let sm: RotatingCredentials["sm"];
  let backend: RotatingCredentials["backend"];
  let passwords: string[];

  beforeAll(async () => {
    setup = await startWithRotatingCredentials({
      LOG_LEVEL: "trace",
      HEALTH_CHECK_INTERVAL_MS: "500",
    });
    ({ db, sm, backend, passwords } = setup);
  });
  afterAll(async () => {
    await setup?.close();
  });

  async function rotate(): Promise<string> {
    // RDS rotation changes the role's password and the secret; live sessions are unaffected, so
    // also end them to force the pool to log in again with whatever it has cached.
    const next = await setup.rotate();
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
