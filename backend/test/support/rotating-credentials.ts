// A backend on a private PostgreSQL whose credentials come from the local Secrets Manager, with
// rotation done the way RDS does it: the role's password and the secret change together.
import { randomBytes } from "node:crypto";
import { type BackendProcess, startBackend } from "./backend-process.ts";
import { type PostgresServer, startPostgres } from "./postgres.ts";
import {
  type FakeSecretsManager,
  secretsManagerEnv,
  startSecretsManager,
} from "./secrets-manager.ts";

export const secretId = "infinity-pool-dev/aurora-master";

export interface RotatingCredentials {
  db: PostgresServer;
  sm: FakeSecretsManager;
  backend: BackendProcess;
  /** Every password the role has had, so tests can check none reached a log. */
  passwords: string[];
  /** Sets a new password on the role and in the secret; returns it. Live sessions keep theirs. */
  rotate(): Promise<string>;
  close(): Promise<void>;
}

/** Starts PostgreSQL, the Secrets Manager and a backend reading DB_SECRET_ID; `env` adds to it. */
export async function startWithRotatingCredentials(
  env: Record<string, string> = {},
): Promise<RotatingCredentials> {
  const db = await startPostgres();
  const sm = await startSecretsManager();
  const passwords = [db.password];
  sm.setSecret(secretId, { username: db.user, password: db.password });
  const backend = await startBackend({
    env: {
      ...secretsManagerEnv(sm, secretId),
      DB_HOST: db.host,
      DB_PORT: String(db.port),
      DB_NAME: db.database,
      DB_SSL_MODE: "disable",
      ...env,
    },
  });
  return {
    db,
    sm,
    backend,
    passwords,
    async rotate() {
      const next = randomBytes(18).toString("base64url");
      passwords.push(next);
      await db.query(`ALTER ROLE ${db.user} PASSWORD '${next}'`);
      sm.setSecret(secretId, { username: db.user, password: next });
      return next;
    },
    async close() {
      backend.kill("SIGKILL");
      await sm.close();
      await db.destroy();
    },
  };
}
