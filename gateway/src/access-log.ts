import type { IncomingMessage, ServerResponse } from "node:http";
import { isIP } from "node:net";
import type { Logger } from "@infinity-pool/runtime/logger";
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
  /** The request target's path once read (an absolute-form target loses its scheme and host). */
  path?: string;
}

/** Status 499 (nginx's "client closed request"): the client went away before the response ended. */
export const CLIENT_CLOSED_REQUEST = 499;

/** The fields of an access log line; see accessLogLine. */
export interface AccessLine {
  requestId: string;
  method: string;
  path: string;
  route: string;
  status: number;
  ms: number;
  grpcCode?: string;
  attempts?: number;
  error?: string;
  remote?: string | undefined;
  forwardedFor?: string;
  amznTraceId?: string;
}

/**
 * The fields of the one access log line written per request when its response closes
 * (podinfo's `pkg/api/http/logging.go` does the same): method, path without the query, route,
 * status (499 when the response never completed), duration in milliseconds with two decimals,
 * the upstream gRPC status by name, attempts when more than one, the error, the peer address,
 * and behind the ALB `X-Forwarded-For` and `X-Amzn-Trace-Id`, which join the line to the ALB's
 * own logs, each only when it has its documented form (forwardedFor, amznTraceId below). No raw
 * header value is logged: a client chooses them, and they may carry credentials.
 */
export function accessLogLine(
  req: IncomingMessage,
  res: ServerResponse,
  exchange: Exchange,
  seconds: number,
): AccessLine {
  const url = req.url ?? "";
  const q = url.indexOf("?");
  // Built field by field (no spreads): this runs once per request.
  const line: AccessLine = {
    requestId: exchange.requestId,
    method: req.method ?? "",
    path: exchange.path ?? (q < 0 ? url : url.slice(0, q)),
    route: exchange.route,
    status: res.writableFinished ? res.statusCode : CLIENT_CLOSED_REQUEST,
    ms: Math.round(seconds * 100_000) / 100,
  };
  if (exchange.upstreamCode !== undefined) line.grpcCode = codeName(exchange.upstreamCode);
  if (exchange.attempts && exchange.attempts > 1) line.attempts = exchange.attempts;
  if (exchange.errorMessage) line.error = exchange.errorMessage;
  line.remote = req.socket.remoteAddress;
  const forwardedFor = forwardedForOf(req.headers["x-forwarded-for"]);
  if (forwardedFor) line.forwardedFor = forwardedFor;
  const amznTraceId = amznTraceIdOf(req.headers["x-amzn-trace-id"]);
  if (amznTraceId) line.amznTraceId = amznTraceId;
  return line;
}

/**
 * The logger for access lines: `log` without pino's path redaction. An access line has only the
 * fixed fields of AccessLine, none of which is an object or one of the redacted names
 * (runtime/logger.ts), so redaction could never apply to it; skipping it saves its per-line
 * traversal of every wildcard path.
 */
export function accessLogger(log: Logger): Logger {
  return log.child({}, { redact: { paths: [], censor: "[redacted]" } });
}

/**
 * `X-Forwarded-For` (a list of client and proxy addresses, the ALB appending the client's) when
 * every entry is an IP address and there are at most 16; otherwise undefined.
 */
export function forwardedForOf(value: string | string[] | undefined): string | undefined {
  if (typeof value !== "string" || value.length > 1024) return undefined;
  const addresses = value.split(",").map((a) => a.trim());
  if (addresses.length > 16 || !addresses.every((a) => isIP(a) !== 0)) return undefined;
  return addresses.join(", ");
}

// AWS X-Ray's header: `Root=1-<8 hex>-<24 hex>` with `Self`, `Parent`, `Sampled` and custom
// `Name=value` fields, separated by ";"
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-request-tracing.html).
const amznTraceIdPattern =
  /^[A-Za-z]{1,32}=[A-Za-z0-9-]{1,64}(?:;[A-Za-z]{1,32}=[A-Za-z0-9-]{1,64}){0,7}$/;

/** `X-Amzn-Trace-Id` when it has that header's `Field=value;…` form; otherwise undefined. */
export function amznTraceIdOf(value: string | string[] | undefined): string | undefined {
  return typeof value === "string" && amznTraceIdPattern.test(value) ? value : undefined;
}
