import { file_infinitypool_v1_greeting } from "@infinity-pool/proto/infinitypool/v1/greeting_pb.js";
import { ConfigError, loadConfig } from "./config.ts";
import { createLogger } from "./logger.ts";
import { Gateway } from "./server.ts";
import { handleSignals } from "./shutdown.ts";

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`gateway: ${error.message}`);
    process.exit(1);
  }
  throw error;
}

const log = createLogger(config.logLevel);
const gateway = new Gateway({
  config,
  services: file_infinitypool_v1_greeting.services,
  logger: log,
});
handleSignals(gateway, log);
const address = await gateway.listen();
const host = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
log.info(
  {
    url: `http://${host}:${address.port}/`,
    backend: config.backendAddress,
    routes: gateway.router.routes.length,
    writes: config.writeTokens.length > 0 ? "enabled" : "disabled",
  },
  `gateway listening on http://${host}:${address.port}/`,
);
