import type { ServerResponse } from "node:http";
import type { Backend } from "./backend.ts";
import { methodNotAllowed } from "./http-error.ts";
import type { GatewayMetrics } from "./metrics.ts";
import { writeJson } from "./response.ts";

/** One of the gateway's own endpoints, as the OpenAPI document describes it. */
export interface OperationalPath {
  path: string;
  summary: string;
  contentType: string;
}

/** The gateway's own endpoints, documented next to the transcoded ones. */
export const operationalPaths: readonly OperationalPath[] = [
  { path: "/healthz", summary: "Liveness: the process is up.", contentType: "application/json" },
  {
    path: "/readyz",
    summary: "Readiness: the backend answers grpc.health.v1 (503 otherwise or while draining).",
    contentType: "application/json",
  },
  { path: "/metrics", summary: "Prometheus metrics.", contentType: "text/plain" },
  { path: "/openapi.json", summary: "This document.", contentType: "application/json" },
];

/** What the operational endpoints read. */
export interface OperationalOptions {
  backend: Pick<Backend, "healthy">;
  metrics: GatewayMetrics;
  /** The OpenAPI document served at /openapi.json. */
  openApi: Record<string, unknown>;
  /** True once the gateway drains: readiness then answers 503. */
  draining: () => boolean;
}

/**
 * The endpoints a platform uses rather than API clients (podinfo's `pkg/api/http/health.go`):
 * `/healthz` liveness (200 while the process runs), `/readyz` readiness (503 while draining or
 * when the backend's grpc.health.v1 check fails within 1 s), `/metrics` in the Prometheus text
 * format, and `/openapi.json`. Each answers GET and HEAD; other methods get 405.
 */
export class OperationalEndpoints {
  readonly #options: OperationalOptions;
  readonly #paths = new Set(operationalPaths.map((p) => p.path));
  readonly #openApiJson: string;

  constructor(options: OperationalOptions) {
    this.#options = options;
    this.#openApiJson = JSON.stringify(options.openApi);
  }

  /** True when `path` (without its query) is one of these endpoints. */
  serves(path: string): boolean {
    return this.#paths.has(path);
  }

  /** Answers a request for one of these endpoints; throws HttpError 405 for a method but GET/HEAD. */
  async answer(method: string, path: string, res: ServerResponse): Promise<void> {
    // Node sends no body for HEAD whatever the handler writes.
    if (method !== "GET" && method !== "HEAD") throw methodNotAllowed(method, "GET, HEAD");
    switch (path) {
      case "/healthz":
        return writeJson(res, 200, '{"status":"ok"}');
      case "/readyz": {
        if (this.#options.draining()) return writeJson(res, 503, '{"status":"draining"}');
        const ok = await this.#options.backend.healthy("", 1_000);
        return ok
          ? writeJson(res, 200, '{"status":"ready"}')
          : writeJson(res, 503, '{"status":"backend unavailable"}');
      }
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
