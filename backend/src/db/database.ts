import { mkdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import type { Logger } from "@infinity-pool/runtime/logger";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import pg from "pg";
import type { DatabaseConfig, PoolConfig, SslConfig } from "../config.ts";
import { SecretCredentials } from "./credentials.ts";
import { driverErrorCode, isAuthFailure } from "./errors.ts";
import { type Listener, type ListenHandlers, listenPglite, listenPostgres } from "./listener.ts";

/** A Drizzle database over either driver (node-postgres or PGlite); queries are driver-neutral. */
export type Db = PgDatabase<PgQueryResultHKT>;

const migrationsFolder = fileURLToPath(new URL("../../drizzle", import.meta.url));

// Any constant works as long as every replica uses the same one: it names the advisory lock that
// serialises migrations when several pods start at once.
const MIGRATION_LOCK_KEY = 4_215_770_101;

/** The backend's database, whichever driver is behind it (see openDatabase). */
export interface Database {
  readonly kind: DatabaseConfig["kind"];
  /** Runs a unit of work; when credentials were rotated it fetches them again and retries once. */
  run<T>(work: (db: Db) => Promise<T>): Promise<T>;
  /** Cheap round trip used by health checking. */
  ping(): Promise<void>;
  /** Applies pending migrations; safe to call from many processes at once. */
  migrate(): Promise<void>;
  /** LISTENs on `channel` on a session of its own, outside the pool (see db/listener.ts). */
  listen(channel: string, handlers: ListenHandlers): Promise<Listener>;
  close(): Promise<void>;
}

/**
 * Opens the configured database: PGlite in its data directory (created if missing), or a
 * node-postgres pool for a URL or for Secrets Manager credentials (fetched on first use and again
 * when PostgreSQL rejects them, SQLSTATE 28P01/28000). Nothing connects until the first query.
 */
export function openDatabase(config: DatabaseConfig, pool: PoolConfig, log: Logger): Database {
  return config.kind === "pglite"
    ? new PgliteDatabase(config.dataDir)
    : new PostgresDatabase(config, pool, log);
}

class PgliteDatabase implements Database {
  readonly kind = "pglite" as const;
  readonly #client: PGlite;
  readonly #db: Db;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.#client = new PGlite(dataDir);
    this.#db = drizzlePglite(this.#client) as unknown as Db;
  }

  run<T>(work: (db: Db) => Promise<T>): Promise<T> {
    return work(this.#db);
  }

  async ping(): Promise<void> {
    await this.#client.query("SELECT 1");
  }

  async migrate(): Promise<void> {
    // PGlite is single-process by construction, so no lock is needed.
    await migratePglite(drizzlePglite(this.#client), { migrationsFolder });
  }

  listen(channel: string, handlers: ListenHandlers): Promise<Listener> {
    return listenPglite(this.#client, channel, handlers);
  }

  async close(): Promise<void> {
    await this.#client.close();
  }
}

class PostgresDatabase implements Database {
  readonly kind: "url" | "secrets-manager";
  readonly #config: Exclude<DatabaseConfig, { kind: "pglite" }>;
  readonly #poolConfig: PoolConfig;
  readonly #ssl: pg.PoolConfig["ssl"] | undefined;
  readonly #log: Logger;
  readonly #credentials: SecretCredentials | undefined;
  // With Secrets Manager the pool is made once the secret names its user (see #ensurePool).
  #pool: pg.Pool | undefined;
  #db: Db | undefined;
  #user: string | undefined;

  constructor(config: Exclude<DatabaseConfig, { kind: "pglite" }>, pool: PoolConfig, log: Logger) {
    this.kind = config.kind;
    this.#config = config;
    this.#poolConfig = pool;
    // Read once: the CA bundle does not change while the process runs.
    this.#ssl = config.ssl ? sslOptions(config.ssl) : undefined;
    this.#log = log;
    this.#credentials =
      config.kind === "secrets-manager" ? new SecretCredentials(config.secretId) : undefined;
    if (config.kind === "url") this.#usePool(undefined);
  }

  #createPool(user: string | undefined): pg.Pool {
    const c = this.#config;
    const p = this.#poolConfig;
    const common: pg.PoolConfig = {
      max: p.max,
      connectionTimeoutMillis: p.connectTimeoutMs,
      idleTimeoutMillis: p.idleTimeoutMs,
      statement_timeout: p.statementTimeoutMs,
      // Client-side backstop in case the server never answers (a dead host, not a slow query).
      query_timeout: p.statementTimeoutMs + 1_000,
      idle_in_transaction_session_timeout: p.statementTimeoutMs * 2,
      application_name: "infinity-pool-backend",
      keepAlive: true,
      ...(this.#ssl !== undefined ? { ssl: this.#ssl } : {}),
    };
    const pool =
      c.kind === "url"
        ? new pg.Pool({ connectionString: c.url, ...common })
        : new pg.Pool({
            ...common,
            host: c.host,
            port: c.port,
            database: c.database,
            user,
            // A function, so every new connection uses the latest cached password.
            password: async () => {
              const creds = await (this.#credentials as SecretCredentials).get();
              return creds.password;
            },
          });
    // Without a listener an idle client's error (database restart, failover) crashes the process.
    pool.on("error", (err) => {
      this.#log.warn({ code: driverErrorCode(err) }, "idle database connection closed");
    });
    return pool;
  }

  #usePool(user: string | undefined): void {
    const old = this.#pool;
    this.#pool = this.#createPool(user);
    this.#db = drizzlePg(this.#pool) as unknown as Db;
    this.#user = user;
    // In-flight work keeps its connections; the old pool drains and closes in the background.
    old?.end().catch(() => undefined);
  }

  /** The pool for the secret's current user, made or replaced when that user changes. */
  async #ensurePool(): Promise<{ pool: pg.Pool; db: Db }> {
    if (this.#credentials) {
      const { username } = await this.#credentials.get();
      if (!this.#pool || username !== this.#user) this.#usePool(username);
    }
    return { pool: this.#pool as pg.Pool, db: this.#db as Db };
  }

  async run<T>(work: (db: Db, pool: pg.Pool) => Promise<T>): Promise<T> {
    const generation = this.#credentials?.generation ?? 0;
    const { pool, db } = await this.#ensurePool();
    try {
      return await work(db, pool);
    } catch (err) {
      if (!this.#credentials || !isAuthFailure(err)) throw err;
      this.#log.warn("database rejected the cached credentials; fetching the secret again");
      await this.#credentials.refresh(generation);
      const fresh = await this.#ensurePool();
      return await work(fresh.db, fresh.pool);
    }
  }

  async ping(): Promise<void> {
    await this.run(async (_db, pool) => {
      await pool.query("SELECT 1");
    });
  }

  async migrate(): Promise<void> {
    await this.run(async (_db, pool) => {
      const client = await pool.connect();
      try {
        // Session-level lock: the second replica waits here, then finds nothing left to apply.
        await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
        try {
          await migratePg(drizzlePg(client), { migrationsFolder });
        } finally {
          await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
        }
      } finally {
        client.release();
      }
    });
  }

  listen(channel: string, handlers: ListenHandlers): Promise<Listener> {
    // Through run(): the session logs in as the pool would, with credentials fetched again once
    // when Secrets Manager rotation made the cached ones stale.
    return this.run((_db, pool) => listenPostgres(pool.options, channel, handlers));
  }

  async close(): Promise<void> {
    await this.#pool?.end();
  }
}

function sslOptions(ssl: SslConfig): pg.PoolConfig["ssl"] {
  switch (ssl.mode) {
    case "disable":
      return false;
    case "require":
      // Encrypted but unauthenticated, as libpq's sslmode=require; verify-full is the default.
      return { rejectUnauthorized: false };
    case "verify-full":
      return {
        rejectUnauthorized: true,
        ...(ssl.caFile ? { ca: readFileSync(ssl.caFile, "utf8") } : {}),
      };
  }
}
