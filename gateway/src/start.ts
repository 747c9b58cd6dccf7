import type { DescService } from "@bufbuild/protobuf";
import { file_infinitypool_v1_greeting } from "@infinity-pool/proto/infinitypool/v1/greeting_pb.js";
import { createLogger, type Logger } from "@infinity-pool/runtime/logger";
import type { ShutdownSignals } from "@infinity-pool/runtime/signals";
import { exitOnStartupError } from "@infinity-pool/runtime/startup";
import { TokenVerifier, writeTokenSource } from "@infinity-pool/runtime/tokens";
import { WriteAuth } from "./auth.ts";
import { BackendClient } from "./backend-client.ts";
import { type GatewayConfig, loadConfig } from "./config.ts";
import { docsPaths } from "./docs.ts";
import { Gateway } from "./gateway.ts";
import { Http2BackendClient } from "./http2-backend-client.ts";
import { countUpstreamAttempt, createMetrics } from "./metrics.ts";
import { buildOpenApi } from "./openapi.ts";
import { reservedPaths } from "./operational.ts";
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
): { gateway: Gateway; router: Router; writeTokens: TokenVerifier } {
  const router = new Router(buildRoutes(services), [...reservedPaths, ...docsPaths]);
  const metrics = createMetrics();
  const client = config.backendClient === "grpc-js" ? BackendClient : Http2BackendClient;
  const backend = new client({
    target: config.backendAddress,
    maxAttempts: config.getMaxAttempts,
    refreshMs: config.backendRefreshMs,
    onAttempt: (method, code) => countUpstreamAttempt(metrics, method, code),
  });
  const tokens = writeTokenSource(config.writeTokens, config.writeTokensFile, logger);
  const verifier = new TokenVerifier(tokens);
  const gateway = new Gateway({
    config,
    router,
    backend,
    auth: new WriteAuth(verifier, { requireHttps: config.writesRequireHttps }),
    metrics,
    openApi: buildOpenApi(router.routes, "Infinity Pool API", "v1"),
    logger,
  });
  gateway.server.once("close", () => tokens.close());
  return { gateway, router, writeTokens: verifier };
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
    const { gateway, router, writeTokens } = assembleGateway(
      config,
      file_infinitypool_v1_greeting.services,
      log,
    );
    const address = await gateway.listen();
    const host = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
    log.info(
      {
        url: `http://${host}:${address.port}/`,
        docs: `http://${host}:${address.port}/docs`,
        // The admin port: no Ingress routes to it (GATEWAY_ADMIN_PORT).
        metrics: `http://${host}:${gateway.adminAddress().port}/metrics`,
        backend: config.backendAddress,
        routes: router.routes.length,
        writes: writeTokens.size > 0 ? "enabled" : "disabled",
      },
      `gateway listening on http://${host}:${address.port}/`,
    );
    signals.ready(log, (signal) => gateway.shutdown(signal === "SIGINT" ? 0 : undefined));
  } catch (err) {
    exitOnStartupError("gateway", err);
  }
}
