import { readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendDir, spawnBackend } from "./support/backend-process.ts";
import { type PostgresServer, skipWithoutPostgres, startPostgres } from "./support/postgres.ts";

const journal = JSON.parse(
  readFileSync(join(backendDir, "drizzle", "meta", "_journal.json"), "utf8"),
) as { entries: { tag: string }[] };

describe.skipIf(skipWithoutPostgres)("migrations", () => {
  let db: PostgresServer;

  beforeAll(async () => {
    db = await startPostgres();
  });
  afterAll(async () => {
    await db?.destroy();
  });

  it("three processes migrating one database at once apply each migration exactly once", async () => {
    const url = await db.createDatabase("race");
    // Line the three up at the same instant: a transaction holds the bookkeeping table locked
    // until every process is waiting, then lets them all go at once. Without serialisation they
    // would all see "nothing applied" and run the same migrations concurrently.
    const gate = new pg.Client({ ...db.superuserConfig(), database: "race" });
    await gate.connect();
    await gate.query(`CREATE SCHEMA drizzle AUTHORIZATION ${db.user}`);
    await gate.query(
      "CREATE TABLE drizzle.__drizzle_migrations (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)",
    );
    await gate.query(`ALTER TABLE drizzle.__drizzle_migrations OWNER TO ${db.user}`);
    await gate.query("BEGIN");
    await gate.query("LOCK TABLE drizzle.__drizzle_migrations IN ACCESS EXCLUSIVE MODE");
    const runs = Array.from({ length: 3 }, () =>
      spawnBackend({ script: "migrate", env: { DATABASE_URL: url } }),
    );
    await expect.poll(() => db.lockWaiters(), { timeout: 30_000, interval: 100 }).toBe(3);
    await gate.query("COMMIT");
    await gate.end();
    const results = await Promise.all(runs.map((r) => r.exited));
    for (const [i, r] of results.entries()) {
      expect(r.code, runs[i]?.lines.join("\n")).toBe(0);
      expect(runs[i]?.lines.some((l) => l.includes("migrations applied"))).toBe(true);
    }
    const applied = await db.query(
      "SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations",
      [],
      "race",
    );
    expect(applied.rows[0].n).toBe(journal.entries.length);
    const hello = await db.query(
      "SELECT count(*)::int AS n FROM greetings WHERE text = 'Hello World'",
      [],
      "race",
    );
    expect(hello.rows[0].n).toBe(1);

    // Running again later is a no-op, as every pod start or Helm upgrade does.
    const again = spawnBackend({ script: "migrate", env: { DATABASE_URL: url } });
    expect((await again.exited).code).toBe(0);
    const after = await db.query(
      "SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations",
      [],
      "race",
    );
    expect(after.rows[0].n).toBe(journal.entries.length);
  });
});
