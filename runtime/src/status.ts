/**
 * The gRPC status codes under the names of the gRPC specification
 * (https://grpc.github.io/grpc/core/md_doc_statuscodes.html, and `google.rpc.Code` in
 * googleapis/google/rpc/code.proto). Both services use these names and no numeric literal: the
 * backend passes them to connect's `ConnectError` (its `Code` enum has the same numbers), the
 * gateway compares grpc-js errors and writes `google.rpc.Status`-style bodies with them.
 */
export const Code = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** One of the seventeen status codes, as the number carried on the wire (`grpc-status`). */
export type Code = (typeof Code)[keyof typeof Code];

/** A status that reports a failure: any code but OK (what `ConnectError` and `UpstreamError` carry). */
export type ErrorCode = Exclude<Code, typeof Code.OK>;

const names: readonly string[] = Object.keys(Code);

/**
 * The specification's name of a status code, e.g. `codeName(5) === "NOT_FOUND"`, as logs and
 * metrics labels show it. A number outside 0–16 (a peer may send one) is returned as its digits.
 */
export function codeName(code: number): string {
  return names[code] ?? String(code);
}
