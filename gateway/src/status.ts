import { status as GrpcStatus } from "@grpc/grpc-js";

/** The gRPC status codes by name, so the rest of the gateway reads as the spec does. */
export const Code = {
  OK: GrpcStatus.OK,
  CANCELLED: GrpcStatus.CANCELLED,
  UNKNOWN: GrpcStatus.UNKNOWN,
  INVALID_ARGUMENT: GrpcStatus.INVALID_ARGUMENT,
  DEADLINE_EXCEEDED: GrpcStatus.DEADLINE_EXCEEDED,
  NOT_FOUND: GrpcStatus.NOT_FOUND,
  ALREADY_EXISTS: GrpcStatus.ALREADY_EXISTS,
  PERMISSION_DENIED: GrpcStatus.PERMISSION_DENIED,
  RESOURCE_EXHAUSTED: GrpcStatus.RESOURCE_EXHAUSTED,
  FAILED_PRECONDITION: GrpcStatus.FAILED_PRECONDITION,
  ABORTED: GrpcStatus.ABORTED,
  OUT_OF_RANGE: GrpcStatus.OUT_OF_RANGE,
  UNIMPLEMENTED: GrpcStatus.UNIMPLEMENTED,
  INTERNAL: GrpcStatus.INTERNAL,
  UNAVAILABLE: GrpcStatus.UNAVAILABLE,
  DATA_LOSS: GrpcStatus.DATA_LOSS,
  UNAUTHENTICATED: GrpcStatus.UNAUTHENTICATED,
} as const;

export const codeNames: Record<number, string> = Object.fromEntries(
  Object.entries(Code).map(([name, value]) => [value, name]),
);

/**
 * gRPC status → HTTP status, the table grpc-gateway, Envoy and Vanguard share. Anything not listed
 * (UNKNOWN, INTERNAL, DATA_LOSS, codes we do not know) is a 500.
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

export function publicMessage(code: number, backendMessage: string): string {
  if (!(code in httpStatusByCode)) return "internal error";
  return opaqueMessages[code] ?? backendMessage;
}

/** An error answered to the HTTP client as a google.rpc.Status-style JSON body. */
export class HttpError extends Error {
  readonly httpStatus: number;
  readonly code: number;
  readonly headers: Record<string, string>;

  constructor(
    httpStatus: number,
    code: number,
    message: string,
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.httpStatus = httpStatus;
    this.code = code;
    this.headers = headers;
  }
}

export function badRequest(message: string): HttpError {
  return new HttpError(400, Code.INVALID_ARGUMENT, message);
}

export function statusBody(code: number, message: string): string {
  return JSON.stringify({ code, message, details: [] });
}
