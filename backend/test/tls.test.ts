import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnBackend, startBackend } from "./support/backend-process.ts";
import { clients } from "./support/clients.ts";
import { type PostgresServer, skipWithoutPostgres, startPostgres } from "./support/postgres.ts";
import { makePki, type TestPki } from "./support/tls.ts";

describe.skipIf(skipWithoutPostgres)("TLS to the database", () => {
  let pki: TestPki;
  let db: PostgresServer;
  let url: string;

  beforeAll(async () => {
    pki = makePki();
    db = await startPostgres({ tls: { cert: pki.cert, key: pki.key } });
    url = `postgres://${db.user}:${db.password}@localhost:${db.port}/${db.database}`;
  });
  afterAll(async () => {
    await db?.destroy();
    pki?.cleanup();
  });

  it("verify-full with the configured CA bundle connects, encrypted", async () => {
    const backend = await startBackend({
      env: { DATABASE_URL: url, DB_SSL_MODE: "verify-full", DB_SSL_CA_FILE: pki.caFile },
    });
    try {
      expect((await clients(backend.url).greetings.sayHello({})).data?.greeting).toBe(
        "Hello World",
      );
      const { rows } = await db.query(
        "SELECT bool_and(s.ssl) AS all_ssl, count(*)::int AS n FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.usename = $1",
        [db.user],
      );
      expect(rows[0]).toEqual({ all_ssl: true, n: expect.any(Number) });
      expect(rows[0].n).toBeGreaterThan(0);
    } finally {
      backend.kill("SIGKILL");
    }
  });

  it("refuses a server whose certificate the CA bundle does not vouch for", async () => {
    const { lines, exited } = spawnBackend({
      port: 1,
      env: { DATABASE_URL: url, DB_SSL_MODE: "verify-full", DB_SSL_CA_FILE: pki.otherCaFile },
    });
    const { code } = await exited;
    expect(code).not.toBe(0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^backend: startup failed: .*certificate/i);
  });

  it("refuses a certificate for another host name", async () => {
    const { lines, exited } = spawnBackend({
      port: 1,
      env: {
        DATABASE_URL: url.replace("@localhost:", "@127.0.0.1:"),
        DB_SSL_MODE: "verify-full",
        DB_SSL_CA_FILE: pki.caFile,
      },
    });
    expect((await exited).code).not.toBe(0);
    expect(lines.join("\n")).toMatch(/altnames|does not match|certificate/i);
  });
});
