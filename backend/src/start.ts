import { createLogger } from "@infinity-pool/runtime/logger";
import { atMost, type ShutdownSignals } from "@infinity-pool/runtime/signals";
import { exitOnStartupError } from "@infinity-pool/runtime/startup";
import { TokenVerifier, writeTokenSource } from "@infinity-pool/runtime/tokens";
import { authorizeWrites } from "./auth/authorize-writes.ts";
import { loadConfig } from "./config.ts";
import { openDatabase } from "./db/database.ts";
import { GreetingFeed } from "./greetings/feed.ts";
import { HealthMonitor } from "./health.ts";
import { observe } from "./interceptors.ts";
import { startServer } from "./server.ts";
import { services } from "./services.ts";
import { startupErrorDetail } from "./startup-error.ts";

/**
 * Wires the backend together: config → database → health → server, then hands the drain to
 * `signals`. Any failure before serving ends the process with one line on stderr and exit code 1.
 */
export async function start(signals: ShutdownSignals): Promise<void> {
  try {
    const config = loadConfig();
    const log = createLogger({ service: "backend", level: config.logLevel });
    const database = openDatabase(config.database, config.pool, log);
    if (config.migrateOnStart) await database.migrate();
    const health = new HealthMonitor(database, config.healthCheckIntervalMs, log);
    await health.start();
    const feed = new GreetingFeed(database, config.watch, log);
    const tokens = writeTokenSource(config.writeTokens, config.writeTokensFile, log);
    const verifier = new TokenVerifier(tokens);
    const server = await startServer({
      host: config.host,
      port: config.port,
      services: services(database, health, feed),
      // observe wraps authorisation, so refused calls are logged (as UNAUTHENTICATED) too.
      interceptors: [observe(log, health), authorizeWrites(verifier)],
      unaryFastPath: config.grpcFastPath,
    });
    log.info(
      {
        port: server.port,
        database: config.database.kind,
        writes: verifier.size > 0 ? "enabled" : "disabled",
      },
      "backend listening",
    );
    signals.ready(log, async () => {
      tokens.close();
      health.shutdown();
      const drained = server.close(config.shutdownTimeoutMs);
      // Streams never finish by themselves: after the GOAWAY they end with UNAVAILABLE, so clients
      // resume on another backend and the drain is not spent waiting for them.
      await feed.close();
      await drained;
      // A query still stuck after the drain would hold pool.end() until its statement timeout.
      await atMost(1_000, database.close());
    });
  } catch (err) {
    exitOnStartupError("backend", err, startupErrorDetail);
  }
}
