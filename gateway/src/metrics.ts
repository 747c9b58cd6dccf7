import type { DescMethod } from "@bufbuild/protobuf";
import { type Code, codeName } from "@infinity-pool/runtime/status";
import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import { asRegistryMetric, CellCounter, CellHistogram } from "./metric-cells.ts";

/**
 * The gateway's Prometheus metrics and the registry `/metrics` exposes (prom-client). The three
 * counted on every request are cell metrics (metric-cells.ts): prom-client's exposition, cheaper
 * updates.
 */
export interface GatewayMetrics {
  registry: Registry;
  requests: CellCounter<"route" | "method" | "status">;
  duration: CellHistogram<"route" | "method">;
  upstream: CellCounter<"rpc" | "code">;
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
  const metrics: GatewayMetrics = {
    registry,
    requests: new CellCounter({
      name: "gateway_http_requests_total",
      help: "HTTP requests by route template, method and status.",
      labelNames: ["route", "method", "status"],
    }),
    duration: new CellHistogram({
      name: "gateway_http_request_duration_seconds",
      help: "HTTP request latency by route template and method.",
      labelNames: ["route", "method"],
      buckets: requestDurationBuckets,
    }),
    upstream: new CellCounter({
      name: "gateway_upstream_calls_total",
      help: "gRPC calls to the backend by RPC and status code, one per attempt.",
      labelNames: ["rpc", "code"],
    }),
    openStreams: new Gauge({
      name: "gateway_open_streams",
      help: "Streaming responses open now, by route template and format (ndjson, sse).",
      labelNames: ["route", "format"],
      registers: [],
    }),
    streamMessages: new Counter({
      name: "gateway_stream_messages_total",
      help: "Messages written to streaming responses, by route template and format.",
      labelNames: ["route", "format"],
      registers: [],
    }),
  };
  // Registered in this order so /metrics lists them as before the cells (prom-client's order).
  registry.registerMetric(asRegistryMetric(metrics.requests));
  registry.registerMetric(asRegistryMetric(metrics.duration));
  registry.registerMetric(asRegistryMetric(metrics.upstream));
  registry.registerMetric(metrics.openStreams);
  registry.registerMetric(metrics.streamMessages);
  return metrics;
}

/** Bucket bounds of the request duration histogram, in seconds. */
export const requestDurationBuckets = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

// `package.Service/Method` per method, made once.
const rpcNames = new WeakMap<DescMethod, string>();

/** Counts one upstream attempt of `method` that ended with `code` (label: the status name). */
export function countUpstreamAttempt(
  metrics: GatewayMetrics,
  method: DescMethod,
  code: Code,
): void {
  let rpc = rpcNames.get(method);
  if (rpc === undefined) {
    rpc = `${method.parent.typeName}/${method.name}`;
    rpcNames.set(method, rpc);
  }
  metrics.upstream.inc({ rpc, code: codeName(code) });
}
