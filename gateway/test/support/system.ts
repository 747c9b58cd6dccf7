// The real system for gateway tests: a private PostgreSQL 15, backend processes on it, and the
// gateway. PostgreSQL and backend come from the backend's own test support.
import { GreetingService } from "@infinity-pool/proto/infinitypool/v1/greeting_pb.js";
import {
  type BackendProcess,
  type StartOptions,
  startBackend,
} from "../../../backend/test/support/backend-process.ts";
import {
  type PostgresServer,
  postgresSkipReason,
  skipWithoutPostgres,
  startPostgres,
} from "../../../backend/test/support/postgres.ts";
import { type InProcessGateway, startGateway } from "./gateway.ts";

export type { BackendProcess, PostgresServer };
export { postgresSkipReason, skipWithoutPostgres };

export const writeToken = "gateway-test-token-5f1c";

export function backendOn(pg: PostgresServer, options: StartOptions = {}): Promise<BackendProcess> {
  return startBackend({
    ...options,
    env: {
      DATABASE_URL: pg.url,
      DB_SSL_MODE: "disable",
      LOG_LEVEL: "info",
      // One token set for both services: the backend authorises the writes the gateway forwards.
      WRITE_TOKENS: writeToken,
      ...options.env,
    },
  });
}

export function gatewayFor(
  backend: BackendProcess,
  env: Record<string, string> = {},
): Promise<InProcessGateway> {
  return startGateway([GreetingService], {
    BACKEND_ADDRESS: `dns:///${backend.address}`,
    WRITE_TOKENS: writeToken,
    ...env,
  });
}

export async function greetingCount(pg: PostgresServer): Promise<number> {
  const result = await pg.query("select count(*)::int as n from greetings");
  return result.rows[0].n as number;
}

export { startPostgres };
