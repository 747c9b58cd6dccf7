import { ConnectError } from "@connectrpc/connect";
import { Code, type ErrorCode } from "@infinity-pool/runtime/status";

interface ErrorWithCode {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
}

/** Walks the cause chain (Drizzle wraps driver errors) to the driver's SQLSTATE or errno code. */
export function driverErrorCode(err: unknown): string | undefined {
  for (let e = err as ErrorWithCode | undefined, depth = 0; e && depth < 5; depth++) {
    if (typeof e.code === "string") return e.code;
    e = e.cause as ErrorWithCode | undefined;
  }
  return undefined;
}

/**
 * What a log line says of a database error: its class name and the driver's code (SQLSTATE or
 * errno, found through Drizzle's wrapping). No message: a driver's message can quote values.
 */
export function errorFields(err: unknown): { name: string; code: string | undefined } {
  return { name: err instanceof Error ? err.name : typeof err, code: driverErrorCode(err) };
}

function messages(err: unknown): string {
  const parts: string[] = [];
  for (let e = err as ErrorWithCode | undefined, depth = 0; e && depth < 5; depth++) {
    if (typeof e.message === "string") parts.push(e.message);
    e = e.cause as ErrorWithCode | undefined;
  }
  return parts.join(" | ");
}

/**
 * True when PostgreSQL refused the credentials: SQLSTATE 28P01 (invalid_password) or 28000
 * (invalid_authorization_specification), https://www.postgresql.org/docs/current/errcodes-appendix.html.
 */
export function isAuthFailure(err: unknown): boolean {
  const code = driverErrorCode(err);
  return code === "28P01" || code === "28000";
}

const unavailableErrno = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
]);

/** True when the database could not be reached or is going away: worth reporting as UNAVAILABLE. */
export function isUnavailable(err: unknown): boolean {
  const code = driverErrorCode(err);
  if (code !== undefined) {
    if (unavailableErrno.has(code)) return true;
    // 08: connection exception; 57P01-03: admin/crash shutdown, cannot connect now; 53: resources.
    if (/^(08|53)/.test(code) || /^57P0[1-3]$/.test(code)) return true;
    if (isAuthFailure(err)) return true;
  }
  // pg and pg-pool report some connection failures by message only.
  return /Connection terminated|timeout exceeded when trying to connect|Connection refused|connect ECONNREFUSED/i.test(
    messages(err),
  );
}

/**
 * True when PostgreSQL refused a value the call carried: SQLSTATE class 22, "data exception"
 * (https://www.postgresql.org/docs/current/errcodes-appendix.html), e.g. 22003
 * numeric_value_out_of_range, 22P02 invalid_text_representation, 22001 string_data_right_truncation,
 * 22021 character_not_in_repertoire. Validation should refuse such input first; this is the net
 * under it, so a value that slips through is the caller's INVALID_ARGUMENT and not an INTERNAL.
 */
export function isDataException(err: unknown): boolean {
  const code = driverErrorCode(err);
  return code !== undefined && /^22[0-9A-Z]{3}$/.test(code);
}

/**
 * Translates a database failure into a gRPC status without leaking driver detail to callers; the
 * full error is logged server-side by the caller.
 */
export function toConnectError(err: unknown): ConnectError {
  if (err instanceof ConnectError) return err;
  // The driver's error stays as the cause, for the server-side log; callers see only the message.
  const status = (message: string, code: ErrorCode) =>
    new ConnectError(message, code, undefined, undefined, err);
  if (isAuthFailure(err)) return status("database authentication failed", Code.UNAVAILABLE);
  if (isUnavailable(err)) return status("database unavailable", Code.UNAVAILABLE);
  if (isDataException(err)) {
    return status("a value in the request is out of range or not valid", Code.INVALID_ARGUMENT);
  }
  if (driverErrorCode(err) === "57014") {
    return status("database statement timed out", Code.DEADLINE_EXCEEDED);
  }
  return status("internal error", Code.INTERNAL);
}
