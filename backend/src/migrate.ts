// Applies pending migrations and exits: the entry point of the Kubernetes migration Job.
import { createLogger } from "@infinity-pool/runtime/logger";
import { exitOnStartupError } from "@infinity-pool/runtime/startup";
import { loadConfig } from "./config.ts";
import { openDatabase } from "./db/database.ts";
import { startupErrorDetail } from "./startup-error.ts";

try {
  const config = loadConfig();
  const log = createLogger({ service: "backend", level: config.logLevel });
  const database = openDatabase(config.database, config.pool, log);
  try {
    await database.migrate();
    log.info({ database: config.database.kind }, "migrations applied");
  } finally {
    await database.close();
  }
} catch (err) {
  exitOnStartupError("backend", err, startupErrorDetail);
}
