import { Code } from "@infinity-pool/runtime/status";

/**
 * An error the gateway answers itself, before or instead of an upstream call: the HTTP status, the
 * gRPC status code for the body, the message, and extra response headers (`allow`,
 * `www-authenticate`, …).
 */
export class HttpError extends Error {
  override name = "HttpError";
  /** The HTTP status answered (RFC 9110 §15). */
  readonly httpStatus: number;
  /** The gRPC status code (runtime/status `Code`). */
  readonly code: Code;
  /** Extra response headers, lower-case names. */
  readonly headers: Record<string, string>;

  constructor(
    httpStatus: number,
    code: Code,
    message: string,
    headers: Record<string, string> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.httpStatus = httpStatus;
    this.code = code;
    this.headers = headers;
  }
}

/** 400 INVALID_ARGUMENT with `message`: the client's request cannot be read as the API defines. */
export function badRequest(message: string, options?: ErrorOptions): HttpError {
  return new HttpError(400, Code.INVALID_ARGUMENT, message, {}, options);
}

/** 405 UNIMPLEMENTED with the `Allow` header listing what the path serves (RFC 9110 §15.5.6). */
export function methodNotAllowed(method: string, allow: string): HttpError {
  return new HttpError(405, Code.UNIMPLEMENTED, `${method} is not allowed here`, { allow });
}
