import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "@infinity-pool/runtime/config";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { spawnBackend } from "./support/backend-process.ts";

const cases: { env: Record<string, string>; names: string }[] = [
  { env: { BACKEND_PORT: "abc" }, names: "BACKEND_PORT" },
  { env: { BACKEND_PORT: "70000" }, names: "BACKEND_PORT" },
  { env: { LOG_LEVEL: "loud" }, names: "LOG_LEVEL" },
  { env: { DATABASE_URL: "mysql://db.example/app" }, names: "DATABASE_URL" },
  { env: { DB_SSL_MODE: "maybe" }, names: "DB_SSL_MODE" },
  { env: { DB_SSL_CA_FILE: "/nonexistent/ca.pem" }, names: "DB_SSL_CA_FILE" },
  { env: { DB_HOST: "db.example", DB_SECRET_ID: "s" }, names: "DB_NAME" },
  { env: { DB_HOST: "db.example", DB_NAME: "app" }, names: "DB_SECRET_ID" },
  { env: { DB_NAME: "app", DB_SECRET_ID: "s" }, names: "DB_HOST" },
  { env: { DB_PORT: "0" }, names: "DB_PORT" },
  { env: { DB_POOL_MAX: "0" }, names: "DB_POOL_MAX" },
  { env: { DB_CONNECT_TIMEOUT_MS: "5s" }, names: "DB_CONNECT_TIMEOUT_MS" },
  { env: { DB_STATEMENT_TIMEOUT_MS: "-1" }, names: "DB_STATEMENT_TIMEOUT_MS" },
  { env: { MIGRATE_ON_START: "yes" }, names: "MIGRATE_ON_START" },
  { env: { HEALTH_CHECK_INTERVAL_MS: "0" }, names: "HEALTH_CHECK_INTERVAL_MS" },
  { env: { SHUTDOWN_TIMEOUT_MS: "soon" }, names: "SHUTDOWN_TIMEOUT_MS" },
  { env: { BACKEND_GRPC_FAST_PATH: "maybe" }, names: "BACKEND_GRPC_FAST_PATH" },
];

/** The ConfigError `loadConfig(env)` throws. */
function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError, the configuration was accepted");
}

describe("configuration is validated before anything starts", () => {
  it.each(cases)("$names: $env", ({ env, names }) => {
    const err = configError(env);
    expect(err.variable).toBe(names);
    expect(err.message).toMatch(new RegExp(`^invalid configuration: ${names} `));
    expect(err.message).not.toMatch(/\n/);
  });

  it("names what is missing and what was set of the Secrets Manager trio", () => {
    expect(configError({ DB_HOST: "db.example" }).message).toBe(
      "invalid configuration: DB_NAME is required with DB_HOST (DB_HOST, DB_NAME and DB_SECRET_ID go together; or set DATABASE_URL)",
    );
  });

  it("never echoes a value, which may be a credential", () => {
    const err = configError({
      DATABASE_URL: "postgres://app:hunter2-s3cret@db.example:5432/app",
      DB_SSL_MODE: "sometimes",
    });
    expect(err.message).toContain("DB_SSL_MODE");
    expect(err.message).not.toContain("hunter2-s3cret");
    expect(err.message).not.toContain("sometimes");
  });
});

describe("configuration that is accepted", () => {
  it("has defaults for a bare laptop: port 50051, embedded PGlite, migrations on", () => {
    const c = loadConfig({});
    expect(c.port).toBe(50051);
    expect(c.host).toBe("0.0.0.0");
    expect(c.logLevel).toBe("info");
    expect(c.database).toEqual({ kind: "pglite", dataDir: ".data/pglite" });
    expect(c.migrateOnStart).toBe(true);
    expect(c.pool).toEqual({
      max: 10,
      connectTimeoutMs: 5_000,
      statementTimeoutMs: 5_000,
      idleTimeoutMs: 30_000,
    });
    expect(c.shutdownTimeoutMs).toBe(10_000);
  });

  it("counts empty values as unset", () => {
    const c = loadConfig({ BACKEND_PORT: "", DATABASE_URL: "", MIGRATE_ON_START: "" });
    expect(c.port).toBe(50051);
    expect(c.database.kind).toBe("pglite");
    expect(c.migrateOnStart).toBe(true);
  });

  it("takes DATABASE_URL first, leaving TLS to its sslmode unless DB_SSL_MODE is set", () => {
    const url = "postgres://app@db.example:5432/app";
    expect(loadConfig({ DATABASE_URL: url, DB_HOST: "other" }).database).toEqual({
      kind: "url",
      url,
      ssl: undefined,
    });
    expect(loadConfig({ DATABASE_URL: url, DB_SSL_MODE: "require" }).database).toEqual({
      kind: "url",
      url,
      ssl: { mode: "require", caFile: undefined },
    });
  });

  it("reads Secrets Manager settings with verify-full TLS by default", () => {
    const dir = mkdtempSync(join(tmpdir(), "infinity-pool-ca-"));
    const caFile = join(dir, "ca.pem");
    writeFileSync(caFile, "placeholder");
    const c = loadConfig({
      DB_HOST: "aurora.example",
      DB_NAME: "app",
      DB_SECRET_ID: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db",
      DB_SSL_CA_FILE: caFile,
    });
    expect(c.database).toEqual({
      kind: "secrets-manager",
      host: "aurora.example",
      port: 5432,
      database: "app",
      secretId: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db",
      ssl: { mode: "verify-full", caFile },
    });
  });

  it.each([
    ["true", true],
    ["1", true],
    ["false", false],
    ["0", false],
  ])("reads MIGRATE_ON_START=%s as %s", (value, expected) => {
    expect(loadConfig({ MIGRATE_ON_START: value }).migrateOnStart).toBe(expected);
  });
});

// Only what needs the real process: the exit code, one line on stderr, and nothing echoed there.
describe.concurrent("a configuration error ends the process", () => {
  async function runWith(env: Record<string, string>, script: "main" | "migrate" = "main") {
    const { lines, exited } = spawnBackend({ env, script, port: 1 });
    const { code } = await exited;
    return { code, lines };
  }

  it("with exit code 1 and one line on stderr, no stack trace", async () => {
    const { code, lines } = await runWith({ BACKEND_PORT: "abc" });
    expect(code).toBe(1);
    expect(lines).toEqual(["backend: invalid configuration: BACKEND_PORT must be a whole number"]);
  });

  it("the migration entry point validates the same way", async () => {
    const { code, lines } = await runWith({ DB_POOL_MAX: "many" }, "migrate");
    expect(code).not.toBe(0);
    expect(lines).toEqual(["backend: invalid configuration: DB_POOL_MAX must be a whole number"]);
  });

  it("never echoes a value, which may be a credential", async () => {
    const { code, lines } = await runWith({
      DATABASE_URL: "postgres://app:hunter2-s3cret@db.example:5432/app",
      DB_SSL_MODE: "sometimes",
    });
    expect(code).not.toBe(0);
    expect(lines.join("\n")).toContain("DB_SSL_MODE");
    expect(lines.join("\n")).not.toContain("hunter2-s3cret");
    expect(lines.join("\n")).not.toContain("sometimes");
  });
});
