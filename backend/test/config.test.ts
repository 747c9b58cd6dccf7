import { describe, expect, it } from "vitest";
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

async function runWith(env: Record<string, string>, script: "main" | "migrate" = "main") {
  const { lines, exited } = spawnBackend({ env, script, port: 1 });
  const { code } = await exited;
  return { code, lines };
}

describe.concurrent("configuration is validated before anything starts", () => {
  it.each(cases)("$names: $env", async ({ env, names }) => {
    const { code, lines } = await runWith(env);
    expect(code).not.toBe(0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^backend: invalid configuration: ${names} `));
    expect(lines[0]).not.toMatch(/\n|\bat .*:\d+:\d+/);
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
