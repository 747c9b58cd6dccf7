// Long enough for a UUID, an AWS X-Ray id or a W3C trace id; no characters that need escaping in
// a header, a gRPC metadata value or a log line.
const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * `value` when it is a usable request id (1–128 characters of `A-Z a-z 0-9 . _ : -`), else
 * undefined. Both services log and forward only such ids, never a raw header value.
 */
export function validRequestId(value: string | null | undefined): string | undefined {
  return typeof value === "string" && requestIdPattern.test(value) ? value : undefined;
}
