import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { validRequestId } from "@infinity-pool/runtime/request-id";

// W3C Trace Context: version ff and all-zero trace or parent ids are invalid and must be dropped
// (https://www.w3.org/TR/trace-context/#traceparent-header-field-values).
const traceparentPattern =
  /^(?!ff)[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;
// The W3C limit for tracestate is 32 list members; 512 characters is the size it recommends
// propagating at least (https://www.w3.org/TR/trace-context/#tracestate-limits).
const maxTracestateMembers = 32;
const maxTracestateLength = 512;
// https://www.w3.org/TR/trace-context/#tracestate-header-field-values: key = simple-key /
// tenant-id "@" system-id; value = 0*255(chr) nblk-chr, chr = %x20 / nblk-chr, nblk-chr =
// %x21-2B / %x2D-3C / %x3E-7E (printable ASCII but "," and "=").
const tracestateMember =
  /^(?:[a-z][a-z0-9_*/-]{0,255}|[a-z0-9][a-z0-9_*/-]{0,240}@[a-z][a-z0-9_*/-]{0,13})=[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

/**
 * The request's id: the client's `X-Request-Id` when it is 1–128 characters of `A-Z a-z 0-9 . _ :
 * -`, otherwise a new random UUID (RFC 9562 version 4). It is echoed in the response, forwarded
 * to the backend and written on the access log line.
 */
export function requestIdOf(headers: IncomingHttpHeaders): string {
  const incoming = headers["x-request-id"];
  return validRequestId(typeof incoming === "string" ? incoming : undefined) ?? randomUUID();
}

/**
 * A `tracestate` header value as W3C Trace Context parses it (§3.3.1: list members separated by
 * commas and optional spaces or tabs, empty members allowed, at most 32, keys unique), re-written
 * as members joined by "," so no white space outside values crosses over; undefined when the
 * value is invalid, which the specification says to drop rather than propagate. Every character
 * of the result is printable ASCII, as a gRPC metadata value must be.
 */
export function parseTracestate(value: string): string | undefined {
  const members: string[] = [];
  const keys = new Set<string>();
  for (const part of value.split(",")) {
    const member = part.replace(/^[ \t]+|[ \t]+$/g, "");
    if (member === "") continue;
    if (!tracestateMember.test(member)) return undefined;
    const key = member.slice(0, member.indexOf("="));
    if (keys.has(key)) return undefined;
    keys.add(key);
    members.push(member);
  }
  if (members.length === 0 || members.length > maxTracestateMembers) return undefined;
  const normalized = members.join(",");
  return normalized.length <= maxTracestateLength ? normalized : undefined;
}

/**
 * The gRPC metadata forwarded with an upstream call (grpc-gateway forwards chosen headers the same
 * way, `runtime/context.go`): `x-request-id`, and W3C `traceparent` when it is valid with its
 * `tracestate` when that is valid too (parseTracestate). Nothing else from the HTTP request
 * crosses over, except the credentials of a write (`authorization`, added by the caller). Each
 * value is checked against what the next hop accepts (gRPC metadata values are printable ASCII),
 * so no header can make the upstream call fail.
 */
export function forwardedMetadata(
  headers: IncomingHttpHeaders,
  requestId: string,
): Record<string, string> {
  const metadata: Record<string, string> = { "x-request-id": requestId };
  const traceparent = headers.traceparent;
  if (typeof traceparent === "string" && traceparentPattern.test(traceparent)) {
    metadata.traceparent = traceparent;
    const tracestate =
      typeof headers.tracestate === "string" ? parseTracestate(headers.tracestate) : undefined;
    if (tracestate !== undefined) metadata.tracestate = tracestate;
  }
  return metadata;
}
