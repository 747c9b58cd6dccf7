import { type DescMethod, fromBinary, type Message, toBinary } from "@bufbuild/protobuf";
import { Code } from "@infinity-pool/runtime/status";
import type { Backend, CallOptions, CallResult, StreamOptions } from "./backend.ts";
import { BackendClient, type BackendClientOptions } from "./backend-client.ts";
import { Channel } from "./grpc/channel.ts";
import { frame } from "./grpc/frames.ts";
import { parseTarget } from "./grpc/target.ts";
import { StatusError, unaryCall } from "./grpc/unary-call.ts";
import {
  callWithRetries,
  checkHealth,
  connectionSettings,
  methodPath,
  statusCode,
} from "./upstream.ts";

const userAgent = "grpc-node-infinitypool-gateway/0.1.0";

/**
 * The gateway's default Backend: unary gRPC calls made directly on node:http2 (`grpc/`), with the
 * answers grpc-js gives (BackendClient stays available with GATEWAY_BACKEND_CLIENT=grpc-js, and
 * the tests hold both to the same answers). It keeps what the grpc-js client is configured to
 * do: one HTTP/2 connection to every address the target resolves to, calls round robin over the
 * ready ones, the name resolved again every `refreshMs` and whenever a connection is lost,
 * reconnection backoff from 200 ms to 2 s, keepalive pings every 30 s while calls are open,
 * GOAWAY honoured (open calls finish, new ones go elsewhere), refused streams sent once more,
 * the deadline sent as `grpc-timeout` and enforced here, cancellation as RST_STREAM CANCEL, and
 * responses over 4 MiB refused. Why it exists: grpc-js's per-call machinery (interceptors,
 * filters, resolving, load-balancing and retrying call objects, Metadata) was about a quarter of
 * the gateway's CPU per request.
 *
 * Intended differences from grpc-js: it asks for no compressed responses (no
 * `grpc-accept-encoding`), though it reads gzip and deflate ones; a `grpc-status` that is not a
 * number is UNKNOWN (grpc-js passes NaN on); a connection that breaks under a call always ends it
 * UNAVAILABLE (grpc-js says INTERNAL for socket errors other than ECONNRESET and ETIMEDOUT); and
 * `grpc-message` is decoded as the gRPC spec says (grpc-js leaves escapes such as `%2C` in place).
 */
export class Http2BackendClient implements Backend {
  readonly #channel: Channel;
  readonly #options: BackendClientOptions;
  #streams: BackendClient | undefined;

  constructor(options: BackendClientOptions) {
    this.#options = options;
    const target = parseTarget(options.target);
    this.#channel = new Channel(target, {
      ...connectionSettings,
      ...(options.keepalive && {
        keepaliveTimeMs: options.keepalive.timeMs,
        keepaliveTimeoutMs: options.keepalive.timeoutMs,
      }),
      authority: target.authority,
      refreshMs: options.refreshMs,
    });
  }

  /**
   * Calls a unary method by its descriptor. With `retry`, UNAVAILABLE is retried up to
   * `maxAttempts` with exponential backoff and full jitter, never past the deadline (upstream.ts).
   * Rejects with UpstreamError (the final status, the backend's message, the attempts, the
   * StatusError as cause).
   */
  call(method: DescMethod, request: Message, options: CallOptions): Promise<CallResult> {
    return callWithRetries(this.#attempt, method, request, options, this.#options.maxAttempts);
  }

  /**
   * Opens a server-streaming call (see Backend.stream) on a grpc-js client made at the first one.
   * The node:http2 path here is unary only (grpc/unary-call.ts reads one message); streams need
   * message-by-message reading held back by HTTP/2 flow control while the HTTP client is slow,
   * which grpc-js does and which is not per-request hot work worth a second implementation. So
   * server-streaming calls go through grpc-js whichever client GATEWAY_BACKEND_CLIENT selects, on
   * a channel of their own (one more connection per backend address once a stream was opened).
   */
  stream(method: DescMethod, request: Message, options: StreamOptions): AsyncIterable<Message> {
    this.#streams ??= new BackendClient(this.#options);
    return this.#streams.stream(method, request, options);
  }

  /** True when grpc.health.v1.Health/Check reports SERVING for the service ("" = the server). */
  healthy(service: string, timeoutMs: number): Promise<boolean> {
    return checkHealth(this.#attempt, service, timeoutMs);
  }

  /** Closes every connection at once; calls still open fail UNAVAILABLE. */
  close(): void {
    this.#channel.close();
    this.#streams?.close();
  }

  readonly #attempt = async (
    method: DescMethod,
    request: Message,
    options: CallOptions,
  ): Promise<Message> => {
    let message: Message;
    try {
      const bytes = await unaryCall(this.#channel, {
        path: pathOf(method),
        body: frame(toBinary(method.input, request)),
        metadata: options.metadata,
        deadline: options.deadline,
        signal: options.signal,
        maxReceiveBytes: connectionSettings.maxReceiveBytes,
        userAgent,
      });
      try {
        message = fromBinary(method.output, bytes);
      } catch (error) {
        throw new StatusError(
          Code.INTERNAL,
          `Response message parsing error: ${(error as Error).message}`,
        );
      }
    } catch (error) {
      this.#options.onAttempt?.(method, statusCode(error as StatusError));
      throw error;
    }
    this.#options.onAttempt?.(method, Code.OK);
    return message;
  };
}

// Made once per method rather than per call.
const paths = new WeakMap<DescMethod, string>();

function pathOf(method: DescMethod): string {
  let path = paths.get(method);
  if (path === undefined) {
    path = methodPath(method);
    paths.set(method, path);
  }
  return path;
}
