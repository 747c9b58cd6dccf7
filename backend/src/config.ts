import { accessSync, constants } from "node:fs";
import { z } from "zod";

// Where the database comes from, in order of precedence: DATABASE_URL, then DB_HOST with
// credentials from Secrets Manager, else an embedded PGlite so a bare laptop just works.
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

export type SslConfig = { mode: "disable" | "require" | "verify-full"; caFile: string | undefined };

export interface PoolConfig {
  max: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  idleTimeoutMs: number;
}

export interface Config {
  host: string;
  port: number;
  logLevel: string;
  database: DatabaseConfig;
  pool: PoolConfig;
  migrateOnStart: boolean;
  healthCheckIntervalMs: number;
  shutdownTimeoutMs: number;
  watch: WatchConfig;
}

/** WatchGreetings limits (see greetings/feed.ts). */
export interface WatchConfig {
  /** Greetings a stream may fall behind its client before it ends with RESOURCE_EXHAUSTED. */
  bufferMessages: number;
  /** How long open streams wait for a lost LISTEN connection to return before UNAVAILABLE. */
  reconnectGraceMs: number;
}

const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const boolean = z
  .enum(["true", "false", "1", "0"], { message: "must be true or false" })
  .transform((v) => v === "true" || v === "1");

const nonEmpty = z.string().trim().min(1, "must not be empty");

const schema = z.object({
  BACKEND_HOST: nonEmpty.default("0.0.0.0"),
  BACKEND_PORT: integer(1, 65535).default(50051),
  LOG_LEVEL: z
    .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], {
      message: "must be one of fatal, error, warn, info, debug, trace, silent",
    })
    .default("info"),
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
  WATCH_BUFFER_MESSAGES: integer(1, 1_000_000).default(1_024),
  WATCH_RECONNECT_GRACE_MS: integer(0, 600_000).default(15_000),
});

/** A configuration problem, reported as one line that names the variable. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty values count as unset, as a shell's `VAR=` usually means "no value".
  const present = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ""),
  );
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? "configuration");
    // The message names the variable but never echoes its value: it may be a secret.
    throw new ConfigError(`invalid configuration: ${name} ${issue?.message ?? "is invalid"}`);
  }
  const e = parsed.data;
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
    const missing = ["DB_HOST", "DB_NAME", "DB_SECRET_ID"].find((k) => !present[k]);
    if (missing) {
      throw new ConfigError(
        `invalid configuration: ${missing} is required when DB_HOST, DB_NAME or DB_SECRET_ID is set`,
      );
    }
    database = {
      kind: "secrets-manager",
      host: e.DB_HOST as string,
      port: e.DB_PORT,
      database: e.DB_NAME as string,
      secretId: e.DB_SECRET_ID as string,
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
    watch: {
      bufferMessages: e.WATCH_BUFFER_MESSAGES,
      reconnectGraceMs: e.WATCH_RECONNECT_GRACE_MS,
    },
  };
}
