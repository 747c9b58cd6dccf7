import type { DescMethod, Message } from "@bufbuild/protobuf";
import type { Code } from "@infinity-pool/runtime/status";

/** How one upstream call is made. */
export interface CallOptions {
  /** Absolute deadline, in milliseconds since the Unix epoch (as `Date.now()`). */
  deadline: number;
  /** gRPC request metadata (lower-case ASCII keys), e.g. `x-request-id`, `traceparent`. */
  metadata: Record<string, string>;
  /** Retry UNAVAILABLE with backoff. Only for safe methods: the call may have reached a backend. */
  retry: boolean;
  /** Aborted when the HTTP client goes away; the gRPC call is then cancelled. */
  signal?: AbortSignal;
}

/**
 * How one server-streaming call is made. It has no deadline: a stream lasts as long as its client
 * wants, bounded by the gateway's GATEWAY_STREAM_MAX_LIFETIME_MS.
 */
export interface StreamOptions {
  /** gRPC request metadata (lower-case ASCII keys), as for unary calls. */
  metadata: Record<string, string>;
  /** Aborting it cancels the call: the HTTP client left, the lifetime ran out, the gateway drains. */
  signal: AbortSignal;
}

/** A successful unary call: the response message and how many attempts it took (1 or more). */
export interface CallResult {
  message: Message;
  attempts: number;
}

/**
 * What the gateway needs from the backend: the seam between HTTP handling and gRPC. The real
 * implementation is BackendClient (grpc-js); tests of the gateway's HTTP behaviour may serve it
 * in-process. Failures of `call` must be UpstreamError so their status reaches the HTTP client.
 */
export interface Backend {
  /** Calls a unary method; rejects with UpstreamError carrying the final gRPC status. */
  call(method: DescMethod, request: Message, options: CallOptions): Promise<CallResult>;
  /**
   * True when grpc.health.v1.Health/Check answers SERVING for `service` ("" = the whole server)
   * within `timeoutMs` (https://github.com/grpc/grpc/blob/master/doc/health-checking.md).
   */
  healthy(service: string, timeoutMs: number): Promise<boolean>;
  /**
   * Opens a server-streaming call. Iterating yields the response messages as they arrive and ends
   * when the call ends OK; it throws UpstreamError for any other status (CANCELLED once the signal
   * aborts). Messages are read only as the iterator is pulled, so a slow HTTP client holds the
   * backend back through gRPC flow control instead of filling the gateway's memory. Never retried:
   * messages may already have been delivered.
   */
  stream(method: DescMethod, request: Message, options: StreamOptions): AsyncIterable<Message>;
  /** Releases connections and timers; no call may follow. */
  close(): void;
}

/**
 * A failed upstream call: the final gRPC status code, the backend's message (the status details
 * string) and the attempts made. `cause` keeps the transport's own error (grpc-js ServiceError).
 */
export class UpstreamError extends Error {
  override name = "UpstreamError";
  /** The gRPC status code (runtime/status `Code`). */
  readonly code: Code;
  /** Attempts made, the first included. */
  readonly attempts: number;

  constructor(code: Code, message: string, attempts: number, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.attempts = attempts;
  }
}
