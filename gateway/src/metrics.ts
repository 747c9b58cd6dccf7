import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";

export interface GatewayMetrics {
  registry: Registry;
  requests: Counter<"route" | "method" | "status">;
  duration: Histogram<"route" | "method">;
  upstream: Counter<"rpc" | "code">;
}

/** One registry per gateway instance, so tests can run several side by side. */
export function createMetrics(): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Counter({
      name: "gateway_http_requests_total",
      help: "HTTP requests by route template, method and status.",
      labelNames: ["route", "method", "status"],
      registers: [registry],
    }),
    duration: new Histogram({
      name: "gateway_http_request_duration_seconds",
      help: "HTTP request latency by route template and method.",
      labelNames: ["route", "method"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    upstream: new Counter({
      name: "gateway_upstream_calls_total",
      help: "gRPC calls to the backend by RPC and status code, one per attempt.",
      labelNames: ["rpc", "code"],
      registers: [registry],
    }),
  };
}
