import { type IncomingMessage, type ServerResponse, STATUS_CODES } from "node:http";
import type { Logger } from "@infinity-pool/runtime/logger";
import { Code } from "@infinity-pool/runtime/status";
import type { Exchange } from "./access-log.ts";
import { UpstreamError } from "./backend.ts";
import { hasBody } from "./http-body.ts";
import { HttpError } from "./http-error.ts";
import { writeJson } from "./response.ts";

// How errors become HTTP responses, in one place as in grpc-gateway's runtime/errors.go: the
// status table, the messages clients may see, and the writer.

/**
 * gRPC status → HTTP status, the table grpc-gateway (`runtime.HTTPStatusFromCode`), Envoy and
 * Vanguard share. Anything not listed (UNKNOWN, INTERNAL, DATA_LOSS, codes we do not know) is 500.
 */
const httpStatusByCode: Record<number, number> = {
  [Code.OK]: 200,
  [Code.CANCELLED]: 499,
  [Code.INVALID_ARGUMENT]: 400,
  [Code.DEADLINE_EXCEEDED]: 504,
  [Code.NOT_FOUND]: 404,
  [Code.ALREADY_EXISTS]: 409,
  [Code.PERMISSION_DENIED]: 403,
  [Code.RESOURCE_EXHAUSTED]: 429,
  [Code.FAILED_PRECONDITION]: 400,
  [Code.ABORTED]: 409,
  [Code.OUT_OF_RANGE]: 400,
  [Code.UNIMPLEMENTED]: 501,
  [Code.UNAVAILABLE]: 503,
  [Code.UNAUTHENTICATED]: 401,
};

/** The HTTP status for a gRPC status code (table above); 500 for any code it does not list. */
export function httpStatusFromCode(code: number): number {
  return httpStatusByCode[code] ?? 500;
}

/**
 * Messages a client sees when the real one could describe our infrastructure (addresses, stack
 * traces, driver errors). Codes not listed here carry the backend's own message, which is part
 * of the API (validation errors, "greeting 7 not found").
 */
const opaqueMessages: Record<number, string> = {
  [Code.CANCELLED]: "the request was cancelled",
  [Code.UNKNOWN]: "internal error",
  [Code.DEADLINE_EXCEEDED]: "the backend did not answer within the deadline",
  // grpc-js raises these itself (message size limits, unknown method) with internal detail.
  [Code.RESOURCE_EXHAUSTED]: "too many requests or too large a message, try again later",
  [Code.UNIMPLEMENTED]: "this operation is not implemented",
  [Code.INTERNAL]: "internal error",
  [Code.UNAVAILABLE]: "the backend is unavailable, try again later",
  [Code.DATA_LOSS]: "internal error",
};

/**
 * The message an HTTP client sees for an upstream failure with `code`: the backend's own for codes
 * that are part of the API (INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, …), a fixed sentence for
 * codes whose detail could describe infrastructure, "internal error" for codes outside the table.
 */
export function publicMessage(code: number, backendMessage: string): string {
  if (!(code in httpStatusByCode)) return "internal error";
  return opaqueMessages[code] ?? backendMessage;
}

/** The JSON error body, shaped like google.rpc.Status: `{"code":5,"message":"…","details":[]}`. */
export function statusBody(code: Code, message: string): string {
  return JSON.stringify({ code, message, details: [] });
}

/**
 * What an HTTP client gets for an upstream failure with `code` and the backend's `message`: the
 * HTTP status from the table above and a Status body with the public message; a 500 always says
 * INTERNAL. Unary answers and streams that fail before their first byte both use it.
 */
export function upstreamErrorResponse(
  code: number,
  message: string,
): { status: number; body: string } {
  const status = httpStatusFromCode(code);
  return {
    status,
    body: statusBody(status === 500 ? Code.INTERNAL : (code as Code), publicMessage(code, message)),
  };
}

/** A client that went away mid-request: nothing to answer, and not a gateway fault. */
function clientAborted(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === "ECONNRESET";
}

/**
 * Answers a request that failed (grpc-gateway's `DefaultHTTPErrorHandler`): an HttpError as it
 * says; an UpstreamError by the table above with its public message (a 500 always says INTERNAL);
 * a client that hung up gets nothing (its access log line says 499); anything else is a gateway
 * fault, logged with its stack and answered 500 "internal error". What went wrong is recorded on
 * `exchange` for the access log line.
 */
export function writeError(
  req: IncomingMessage,
  res: ServerResponse,
  error: unknown,
  exchange: Exchange,
  log: Logger,
): void {
  if (error instanceof HttpError) {
    exchange.errorMessage = error.message;
    // Refused before its body was read: closing beats letting Node read and discard the rest.
    const unread = hasBody(req) && !req.readableEnded ? { connection: "close" } : {};
    writeJson(res, error.httpStatus, statusBody(error.code, error.message), {
      ...error.headers,
      ...unread,
    });
  } else if (clientAborted(error)) {
    log.debug({ requestId: exchange.requestId }, "client closed the connection mid-request");
    res.destroy();
  } else if (error instanceof UpstreamError) {
    exchange.upstreamCode = error.code;
    exchange.attempts = error.attempts;
    exchange.errorMessage = error.message;
    const { status, body } = upstreamErrorResponse(error.code, error.message);
    writeJson(res, status, body);
  } else {
    log.error({ requestId: exchange.requestId, err: error }, "unexpected gateway error");
    writeJson(res, 500, statusBody(Code.INTERNAL, "internal error"));
  }
}

/**
 * The raw HTTP/1.1 response for a request Node's parser refused (the server's `clientError`
 * event, https://nodejs.org/api/http.html#event-clienterror), given the parser's error code:
 * 431 for too large headers, 408 for a request not received in time, 400 naming CONNECT for a
 * CONNECT request (the gateway is an origin server, not a proxy: RFC 9110 §9.3.6), else 400;
 * the body is a status JSON and the connection closes.
 */
export function malformedRequestResponse(errorCode: string | undefined): {
  status: number;
  response: string;
} {
  const [status, message] =
    errorCode === "HPE_HEADER_OVERFLOW"
      ? [431, "the request headers are too large"]
      : errorCode === "ERR_HTTP_REQUEST_TIMEOUT"
        ? [408, "the request was not received in time"]
        : errorCode === "CONNECT"
          ? [400, "CONNECT is for proxies; this server is not one"]
          : [400, "malformed HTTP request"];
  const body = statusBody(status === 408 ? Code.DEADLINE_EXCEEDED : Code.INVALID_ARGUMENT, message);
  return {
    status,
    response:
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  };
}
