import { accessSync, constants } from "node:fs";
import {
  boolean,
  ConfigError,
  integer,
  logLevel,
  nonEmpty,
  parseEnv,
} from "@infinity-pool/runtime/config";
import { inlineWriteTokens } from "@infinity-pool/runtime/tokens";
import { z } from "zod";

/**
 * Where the database comes from, in order of precedence: `DATABASE_URL` (kind "url"), then
 * `DB_HOST` + `DB_NAME` + `DB_SECRET_ID` with credentials from Secrets Manager (kind
 * "secrets-manager"), else an embedded PGlite in `PGLITE_DATA_DIR` so a bare laptop just works.
 */
export type DatabaseConfig =
  // ssl is undefined when only the URL's own sslmode parameter should decide.
  | { kind: "url"; url: string; ssl: SslConfig | undefined }
  | {
      kind: "secrets-manager";
      host: string;
      port: number;
      database: string;
      secretId: string;
      ssl: SslConfig;
    }
  | { kind: "pglite"; dataDir: string };

/**
 * TLS to PostgreSQL, named as libpq's `sslmode` (https://www.postgresql.org/docs/current/libpq-ssl.html):
 * "disable", "require" (encrypted, unauthenticated) or "verify-full" (CA and host name checked
 * against `caFile`, a PEM bundle; the system roots when undefined).
 */
export type SslConfig = { mode: "disable" | "require" | "verify-full"; caFile: string | undefined };

/** node-postgres pool settings; every duration in milliseconds. */
export interface PoolConfig {
  max: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  idleTimeoutMs: number;
}

/** The backend's settings, read from the environment by loadConfig. Durations in milliseconds. */
export interface Config {
  host: string;
  port: number;
  logLevel: string;
  database: DatabaseConfig;
  pool: PoolConfig;
  migrateOnStart: boolean;
  healthCheckIntervalMs: number;
  shutdownTimeoutMs: number;
  /** Write tokens given inline (WRITE_TOKENS), comma-separated in the environment. */
  writeTokens: string[];
  /** A file of write tokens (WRITE_TOKENS_FILE), re-read while the backend runs. */
  writeTokensFile: string | undefined;
  /** Serve unary gRPC calls on the fast path (grpc-unary.ts) rather than connect-node's. */
  grpcFastPath: boolean;
  watch: WatchConfig;
}

/** WatchGreetings limits (see greetings/feed.ts). */
export interface WatchConfig {
  /** Greetings a stream may fall behind its client before it ends with RESOURCE_EXHAUSTED. */
  bufferMessages: number;
  /** How long open streams wait for a lost LISTEN connection to return before UNAVAILABLE. */
  reconnectGraceMs: number;
}

const schema = z.object({
  BACKEND_HOST: nonEmpty.default("0.0.0.0"),
  BACKEND_PORT: integer(1, 65535).default(50051),
  LOG_LEVEL: logLevel,
  DATABASE_URL: z
    .string()
    .refine((v) => /^postgres(ql)?:\/\/./.test(v) && URL.canParse(v), {
      message: "must be a postgres:// URL",
    })
    .optional(),
  DB_HOST: nonEmpty.optional(),
  DB_PORT: integer(1, 65535).default(5432),
  DB_NAME: nonEmpty.optional(),
  DB_SECRET_ID: nonEmpty.optional(),
  DB_SSL_MODE: z
    .enum(["disable", "require", "verify-full"], {
      message: "must be one of disable, require, verify-full",
    })
    .optional(),
  DB_SSL_CA_FILE: nonEmpty
    .refine(
      (path) => {
        try {
          accessSync(path, constants.R_OK);
          return true;
        } catch {
          return false;
        }
      },
      { message: "must name a readable CA bundle file" },
    )
    .optional(),
  DB_POOL_MAX: integer(1, 1000).default(10),
  DB_CONNECT_TIMEOUT_MS: integer(100, 600_000).default(5_000),
  DB_STATEMENT_TIMEOUT_MS: integer(100, 600_000).default(5_000),
  DB_IDLE_TIMEOUT_MS: integer(1_000, 3_600_000).default(30_000),
  PGLITE_DATA_DIR: nonEmpty.default(".data/pglite"),
  MIGRATE_ON_START: boolean.default(true),
  HEALTH_CHECK_INTERVAL_MS: integer(100, 600_000).default(2_000),
  SHUTDOWN_TIMEOUT_MS: integer(0, 600_000).default(10_000),
  WRITE_TOKENS: z.string().default(""),
  WRITE_TOKENS_FILE: nonEmpty.optional(),
  BACKEND_GRPC_FAST_PATH: boolean.default(true),
  WATCH_BUFFER_MESSAGES: integer(1, 1_000_000).default(1_024),
  WATCH_RECONNECT_GRACE_MS: integer(0, 600_000).default(15_000),
});

/**
 * Reads the backend's configuration from the environment (the variables and defaults are listed
 * in the README's configuration table). Empty values count as unset. Throws ConfigError, one line
 * naming the first variable at fault and never its value, e.g.
 * `invalid configuration: DB_NAME is required with DB_HOST (DB_HOST, DB_NAME and DB_SECRET_ID go
 * together; or set DATABASE_URL)`.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const e = parseEnv(schema, env);
  const ssl = (defaultMode: SslConfig["mode"]): SslConfig => ({
    mode: e.DB_SSL_MODE ?? defaultMode,
    caFile: e.DB_SSL_CA_FILE,
  });

  let database: DatabaseConfig;
  if (e.DATABASE_URL) {
    database = {
      kind: "url",
      url: e.DATABASE_URL,
      ssl: e.DB_SSL_MODE ? ssl(e.DB_SSL_MODE) : undefined,
    };
  } else if (e.DB_HOST || e.DB_SECRET_ID || e.DB_NAME) {
    if (!e.DB_HOST || !e.DB_NAME || !e.DB_SECRET_ID) {
      const trio = { DB_HOST: e.DB_HOST, DB_NAME: e.DB_NAME, DB_SECRET_ID: e.DB_SECRET_ID };
      const set = Object.keys(trio).filter((k) => trio[k as keyof typeof trio]);
      const missing = Object.keys(trio).find((k) => !trio[k as keyof typeof trio]) as string;
      throw new ConfigError(
        missing,
        `is required with ${set.join(" and ")} (DB_HOST, DB_NAME and DB_SECRET_ID go together; or set DATABASE_URL)`,
      );
    }
    database = {
      kind: "secrets-manager",
      host: e.DB_HOST,
      port: e.DB_PORT,
      database: e.DB_NAME,
      secretId: e.DB_SECRET_ID,
      ssl: ssl("verify-full"),
    };
  } else {
    database = { kind: "pglite", dataDir: e.PGLITE_DATA_DIR };
  }

  return {
    host: e.BACKEND_HOST,
    port: e.BACKEND_PORT,
    logLevel: e.LOG_LEVEL,
    database,
    pool: {
      max: e.DB_POOL_MAX,
      connectTimeoutMs: e.DB_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS,
      idleTimeoutMs: e.DB_IDLE_TIMEOUT_MS,
    },
    migrateOnStart: e.MIGRATE_ON_START,
    healthCheckIntervalMs: e.HEALTH_CHECK_INTERVAL_MS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    writeTokens: inlineWriteTokens(e.WRITE_TOKENS),
    writeTokensFile: e.WRITE_TOKENS_FILE,
    grpcFastPath: e.BACKEND_GRPC_FAST_PATH,
    watch: {
      bufferMessages: e.WATCH_BUFFER_MESSAGES,
      reconnectGraceMs: e.WATCH_RECONNECT_GRACE_MS,
    },
  };
}
