// Applies pending migrations and exits: the entry point of the Kubernetes migration Job.
import { ConfigError, loadConfig } from "./config.ts";
import { openDatabase } from "./db/database.ts";
import { createLogger } from "./logger.ts";
import { exitOnStartupError } from "./startup-error.ts";

try {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const database = openDatabase(config.database, config.pool, log);
  try {
    await database.migrate();
    log.info({ database: config.database.kind }, "migrations applied");
  } finally {
    await database.close();
  }
} catch (err) {
  exitOnStartupError(err, ConfigError);
}
