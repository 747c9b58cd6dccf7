import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

// Long enough for a UUID, an AWS X-Ray id or a W3C trace id; no characters that need escaping
// in a header or a log line.
const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;
// W3C Trace Context: version ff and all-zero trace or parent ids are invalid and must be dropped
// (https://www.w3.org/TR/trace-context/#traceparent-header-field-values).
const traceparentPattern =
  /^(?!ff)[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;
// The W3C limit for tracestate is 32 list members; 512 characters is the size it recommends
// propagating at least (https://www.w3.org/TR/trace-context/#tracestate-limits).
const maxTracestateLength = 512;

/**
 * The request's id: the client's `X-Request-Id` when it is 1–128 characters of `A-Z a-z 0-9 . _ :
 * -`, otherwise a new random UUID (RFC 9562 version 4). It is echoed in the response, forwarded
 * to the backend and written on the access log line.
 */
export function requestIdOf(headers: IncomingHttpHeaders): string {
  const incoming = headers["x-request-id"];
  return typeof incoming === "string" && requestIdPattern.test(incoming) ? incoming : randomUUID();
}

/**
 * The gRPC metadata forwarded with an upstream call (grpc-gateway forwards chosen headers the same
 * way, `runtime/context.go`): `x-request-id`, and W3C `traceparent` when it is valid with its
 * `tracestate` when at most 512 characters. Nothing else from the HTTP request crosses over.
 */
export function forwardedMetadata(
  headers: IncomingHttpHeaders,
  requestId: string,
): Record<string, string> {
  const metadata: Record<string, string> = { "x-request-id": requestId };
  const traceparent = headers.traceparent;
  if (typeof traceparent === "string" && traceparentPattern.test(traceparent)) {
    metadata.traceparent = traceparent;
    const tracestate = headers.tracestate;
    if (typeof tracestate === "string" && tracestate.length <= maxTracestateLength) {
      metadata.tracestate = tracestate;
    }
  }
  return metadata;
}
