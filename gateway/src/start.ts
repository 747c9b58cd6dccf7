import type { DescService } from "@bufbuild/protobuf";
import { file_infinitypool_v1_greeting } from "@infinity-pool/proto/infinitypool/v1/greeting_pb.js";
import { createLogger, type Logger } from "@infinity-pool/runtime/logger";
import type { ShutdownSignals } from "@infinity-pool/runtime/signals";
import { exitOnStartupError } from "@infinity-pool/runtime/startup";
import { WriteAuth } from "./auth.ts";
import { BackendClient } from "./backend-client.ts";
import { type GatewayConfig, loadConfig } from "./config.ts";
import { Gateway } from "./gateway.ts";
import { Http2BackendClient } from "./http2-backend-client.ts";
import { countUpstreamAttempt, createMetrics } from "./metrics.ts";
import { buildOpenApi } from "./openapi.ts";
import { operationalPaths } from "./operational.ts";
import { Router } from "./router.ts";
import { buildRoutes } from "./routes.ts";

/**
 * Builds a gateway for `services` from its parts: the routes of their google.api.http
 * annotations, the backend client (GATEWAY_BACKEND_CLIENT), metrics, write authorisation and the OpenAPI document.
 * Throws RouteError, RouterError or TemplateError when an annotation cannot be served.
 */
export function assembleGateway(
  config: GatewayConfig,
  services: readonly DescService[],
  logger: Logger,
): { gateway: Gateway; router: Router } {
  const router = new Router(
    buildRoutes(services),
    operationalPaths.map((p) => p.path),
  );
  const metrics = createMetrics();
  const client = config.backendClient === "grpc-js" ? BackendClient : Http2BackendClient;
  const backend = new client({
    target: config.backendAddress,
    maxAttempts: config.getMaxAttempts,
    refreshMs: config.backendRefreshMs,
    onAttempt: (method, code) => countUpstreamAttempt(metrics, method, code),
  });
  const gateway = new Gateway({
    config,
    router,
    backend,
    auth: new WriteAuth(config.writeTokens),
    metrics,
    openApi: buildOpenApi(router.routes, "Infinity Pool API", "v1"),
    logger,
  });
  return { gateway, router };
}

/**
 * Wires the gateway together: config → logger → gateway for the GreetingService → listen, then
 * hands the drain to `signals` (SIGTERM waits SHUTDOWN_DELAY_MS for the load balancer; SIGINT, a
 * Ctrl-C at a terminal, drains at once). A failure before serving ends the process with one line
 * on stderr and exit code 1.
 */
export async function start(signals: ShutdownSignals): Promise<void> {
  try {
    const config = loadConfig();
    const log = createLogger({ service: "gateway", level: config.logLevel });
    const { gateway, router } = assembleGateway(
      config,
      file_infinitypool_v1_greeting.services,
      log,
    );
    const address = await gateway.listen();
    const host = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
    log.info(
      {
        url: `http://${host}:${address.port}/`,
        backend: config.backendAddress,
        routes: router.routes.length,
        writes: config.writeTokens.length > 0 ? "enabled" : "disabled",
      },
      `gateway listening on http://${host}:${address.port}/`,
    );
    signals.ready(log, (signal) => gateway.shutdown(signal === "SIGINT" ? 0 : undefined));
  } catch (err) {
    exitOnStartupError("gateway", err);
  }
}
