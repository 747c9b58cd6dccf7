import type { DescMethod } from "@bufbuild/protobuf";
import { type Code, codeName } from "@infinity-pool/runtime/status";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** The gateway's Prometheus metrics (prom-client) and the registry `/metrics` exposes. */
export interface GatewayMetrics {
  registry: Registry;
  requests: Counter<"route" | "method" | "status">;
  duration: Histogram<"route" | "method">;
  upstream: Counter<"rpc" | "code">;
  /** Streaming responses open now, by route template and format (ndjson, sse). */
  openStreams: Gauge<"route" | "format">;
  /** Messages written to streaming responses, by route template and format. */
  streamMessages: Counter<"route" | "format">;
}

/**
 * Creates the metrics, with Node's default process metrics, in a registry of their own: one per
 * gateway instance, so tests can run several side by side. Durations are in seconds and counters
 * end in `_total`, as Prometheus' naming rules ask (https://prometheus.io/docs/practices/naming/).
 */
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
    openStreams: new Gauge({
      name: "gateway_open_streams",
      help: "Streaming responses open now, by route template and format (ndjson, sse).",
      labelNames: ["route", "format"],
      registers: [registry],
    }),
    streamMessages: new Counter({
      name: "gateway_stream_messages_total",
      help: "Messages written to streaming responses, by route template and format.",
      labelNames: ["route", "format"],
      registers: [registry],
    }),
  };
}

/** Counts one upstream attempt of `method` that ended with `code` (label: the status name). */
export function countUpstreamAttempt(
  metrics: GatewayMetrics,
  method: DescMethod,
  code: Code,
): void {
  metrics.upstream.inc({ rpc: `${method.parent.typeName}/${method.name}`, code: codeName(code) });
}
