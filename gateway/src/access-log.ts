import type { IncomingMessage, ServerResponse } from "node:http";
import { type Code, codeName } from "@infinity-pool/runtime/status";

/** Per-request facts gathered while a request is handled, for its access log line and metrics. */
export interface Exchange {
  /** The request id (see metadata.ts `requestIdOf`). */
  requestId: string;
  /** The route template that matched, an operational path, or "(unmatched)". */
  route: string;
  /** The final gRPC status of the upstream call, when one was made. */
  upstreamCode?: Code;
  /** Upstream attempts made (retries of UNAVAILABLE on GET routes count). */
  attempts?: number;
  /** What went wrong, for operators; the client may have seen a more opaque message. */
  errorMessage?: string;
}

/** Status 499 (nginx's "client closed request"): the client went away before the response ended. */
export const CLIENT_CLOSED_REQUEST = 499;

/**
 * The fields of the one access log line written per request when its response closes
 * (podinfo's `pkg/api/http/logging.go` does the same): method, path without the query, route,
 * status (499 when the response never completed), duration in milliseconds with two decimals,
 * the upstream gRPC status by name, attempts when more than one, the error, the peer address,
 * and behind the ALB `X-Forwarded-For` and `X-Amzn-Trace-Id`, which join the line to the ALB's
 * own logs. No header is logged wholesale: they may carry credentials.
 */
export function accessLogLine(
  req: IncomingMessage,
  res: ServerResponse,
  exchange: Exchange,
  seconds: number,
): Record<string, unknown> & { method: string; status: number } {
  const forwardedFor = req.headers["x-forwarded-for"];
  const amznTraceId = req.headers["x-amzn-trace-id"];
  return {
    requestId: exchange.requestId,
    method: req.method ?? "",
    path: (req.url ?? "").split("?")[0],
    route: exchange.route,
    status: res.writableFinished ? res.statusCode : CLIENT_CLOSED_REQUEST,
    ms: Math.round(seconds * 100_000) / 100,
    ...(exchange.upstreamCode === undefined ? {} : { grpcCode: codeName(exchange.upstreamCode) }),
    ...(exchange.attempts && exchange.attempts > 1 ? { attempts: exchange.attempts } : {}),
    ...(exchange.errorMessage ? { error: exchange.errorMessage } : {}),
    remote: req.socket.remoteAddress,
    ...(forwardedFor ? { forwardedFor } : {}),
    ...(amznTraceId ? { amznTraceId } : {}),
  };
}
