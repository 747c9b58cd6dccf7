import type { ServerResponse } from "node:http";
import { methodNotAllowed } from "./http-error.ts";
import type { GatewayMetrics } from "./metrics.ts";
import { writeJson } from "./response.ts";

/** One of the gateway's own endpoints, as the OpenAPI document describes it. */
export interface OperationalPath {
  path: string;
  summary: string;
  contentType: string;
}

/** The gateway's own endpoints on its public port, documented next to the transcoded ones. */
export const operationalPaths: readonly OperationalPath[] = [
  { path: "/healthz", summary: "Liveness: the process is up.", contentType: "application/json" },
  {
    path: "/readyz",
    summary:
      "Readiness: 200 unless the gateway is draining (503). Independent of the backend, so a backend or database outage leaves the gateway in its load balancer answering fast 503 errors.",
    contentType: "application/json",
  },
  { path: "/openapi.json", summary: "This document.", contentType: "application/json" },
];

/**
 * What the admin port (GATEWAY_ADMIN_PORT) serves: metrics, and the probes for in-cluster tools.
 * Not part of the public API or its OpenAPI document.
 */
export const adminPaths: readonly string[] = ["/metrics", "/healthz", "/readyz"];

/**
 * Paths no API route may claim: the public operational ones, and /metrics, so that /metrics on the
 * public port stays a 404 whatever a proto annotates.
 */
export const reservedPaths: readonly string[] = [
  ...new Set([...operationalPaths.map((p) => p.path), ...adminPaths]),
];

/** What the operational endpoints read. */
export interface OperationalOptions {
  metrics: GatewayMetrics;
  /** The OpenAPI document served at /openapi.json. */
  openApi: Record<string, unknown>;
  /** True once the gateway drains: readiness then answers 503. */
  draining: () => boolean;
}

/**
 * The endpoints a platform uses rather than API clients (podinfo's `pkg/api/http/health.go`), on
 * two listeners. Public port: `/healthz` liveness (200 while the process runs), `/readyz` readiness
 * (the ALB's health check) and `/openapi.json`. Admin port: `/metrics` in the Prometheus text
 * format, `/healthz`, `/readyz`. Readiness is 503 only while draining: it does not ask the backend,
 * whose outages the API answers itself with 503 JSON, so the load balancer keeps every gateway.
 * Each answers GET and HEAD; other methods get 405.
 */
export class OperationalEndpoints {
  readonly #options: OperationalOptions;
  readonly #public = new Set(operationalPaths.map((p) => p.path));
  readonly #admin = new Set(adminPaths);
  readonly #openApiJson: string;

  constructor(options: OperationalOptions) {
    this.#options = options;
    this.#openApiJson = JSON.stringify(options.openApi);
  }

  /** True when `path` (without its query) is one of the endpoints of that port. */
  serves(path: string, port: "public" | "admin" = "public"): boolean {
    return (port === "public" ? this.#public : this.#admin).has(path);
  }

  /** Answers a request for one of these endpoints; throws HttpError 405 for a method but GET/HEAD. */
  async answer(method: string, path: string, res: ServerResponse): Promise<void> {
    // Node sends no body for HEAD whatever the handler writes.
    if (method !== "GET" && method !== "HEAD") throw methodNotAllowed(method, "GET, HEAD");
    switch (path) {
      case "/healthz":
        return writeJson(res, 200, '{"status":"ok"}');
      case "/readyz":
        return this.#options.draining()
          ? writeJson(res, 503, '{"status":"draining"}')
          : writeJson(res, 200, '{"status":"ready"}');
      case "/metrics": {
        const registry = this.#options.metrics.registry;
        const text = await registry.metrics();
        res.writeHead(200, { "content-type": registry.contentType });
        res.end(text);
        return;
      }
      default:
        return writeJson(res, 200, this.#openApiJson);
    }
  }
}
