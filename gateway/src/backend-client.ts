import { type DescMethod, fromBinary, type Message, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { Code } from "@infinity-pool/runtime/status";
import {
  type Backend,
  type CallOptions,
  type CallResult,
  type StreamOptions,
  UpstreamError,
} from "./backend.ts";
import {
  callWithRetries,
  checkHealth,
  connectionSettings,
  methodPath,
  statusCode,
} from "./upstream.ts";

/** Where BackendClient connects and how it retries; durations in milliseconds. */
export interface BackendClientOptions {
  target: string;
  maxAttempts: number;
  /** Interval for building a fresh channel so DNS is resolved again; 0 disables. */
  refreshMs: number;
  /** Observes each attempt's outcome, for metrics. */
  onAttempt?: (method: DescMethod, code: Code) => void;
  /** Keepalive PING interval and timeout (upstream.ts `connectionSettings` when absent). */
  keepalive?: { timeMs: number; timeoutMs: number };
}

const channelOptions: grpc.ChannelOptions = {
  // Every address the name resolves to gets a connection and calls go round robin over them.
  "grpc.service_config": JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
  // The service config is ours, not something a DNS TXT record may override.
  "grpc.service_config_disable_resolution": 1,
  "grpc.keepalive_time_ms": connectionSettings.keepaliveTimeMs,
  "grpc.keepalive_timeout_ms": connectionSettings.keepaliveTimeoutMs,
  "grpc.initial_reconnect_backoff_ms": connectionSettings.initialBackoffMs,
  "grpc.max_reconnect_backoff_ms": connectionSettings.maxBackoffMs,
  "grpc.dns_min_time_between_resolutions_ms": connectionSettings.minResolutionIntervalMs,
  // channelz (grpc-js's introspection counters) is never served here; with it on, every call
  // allocates trackers, closures and timestamps in the channel, the subchannel and the transport.
  "grpc.enable_channelz": 0,
};

/**
 * A generic gRPC client: any unary method of any descriptor, with messages encoded by protobuf-es.
 * grpc-js re-resolves the DNS name when a connection drops, but not when replicas are added; the
 * channel is therefore rebuilt every refreshMs. Subchannels are shared between channels with the
 * same target and options, so live connections carry over and only new addresses are dialled.
 */
export class BackendClient implements Backend {
  #client: grpc.Client;
  readonly #options: BackendClientOptions;
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #retired = new Set<grpc.Client>();

  constructor(options: BackendClientOptions) {
    this.#options = options;
    this.#client = this.#newClient();
    if (options.refreshMs > 0) {
      this.#timer = setInterval(() => this.#refresh(), options.refreshMs);
      this.#timer.unref();
    }
  }

  #newClient(): grpc.Client {
    const keepalive = this.#options.keepalive;
    const options = keepalive
      ? {
          ...channelOptions,
          "grpc.keepalive_time_ms": keepalive.timeMs,
          "grpc.keepalive_timeout_ms": keepalive.timeoutMs,
        }
      : channelOptions;
    return new grpc.Client(this.#options.target, grpc.credentials.createInsecure(), options);
  }

  #refresh(): void {
    const old = this.#client;
    this.#client = this.#newClient();
    // Calls already started on the old channel keep it until they finish.
    this.#retired.add(old);
    setTimeout(() => {
      old.close();
      this.#retired.delete(old);
    }, 60_000).unref();
  }

  #once(method: DescMethod, request: Message, options: CallOptions): Promise<Message> {
    const metadata = new grpc.Metadata();
    for (const key in options.metadata) metadata.set(key, options.metadata[key] as string);
    const codec = codecOf(method);
    const signal = options.signal;
    return new Promise((resolve, reject) => {
      // The gateway shares one signal across a client connection's requests: the listener must go
      // when the call ends, or a keep-alive connection collects one per request.
      const cancel = () => call.cancel();
      const call = this.#client.makeUnaryRequest(
        codec.path,
        codec.serialize,
        codec.deserialize,
        request,
        metadata,
        { deadline: options.deadline },
        (error, response) => {
          signal?.removeEventListener("abort", cancel);
          if (error) {
            this.#options.onAttempt?.(method, statusCode(error));
            error.details = decodeReservedEscapes(error.details);
            reject(error);
          } else {
            this.#options.onAttempt?.(method, Code.OK);
            resolve(response as Message);
          }
        },
      );
      // An abort before the call started fires no event: cancel it now.
      if (signal?.aborted) call.cancel();
      else signal?.addEventListener("abort", cancel, { once: true });
    });
  }

  /**
   * Calls a unary method by its descriptor. With `retry`, UNAVAILABLE is retried up to
   * `maxAttempts` with exponential backoff and full jitter, never past the deadline (upstream.ts).
   * Rejects with UpstreamError (the final status, the backend's message, the attempts, the
   * grpc-js error as cause).
   */
  call(method: DescMethod, request: Message, options: CallOptions): Promise<CallResult> {
    return callWithRetries(this.#attempt, method, request, options, this.#options.maxAttempts);
  }

  /**
   * Opens a server-streaming call (see Backend.stream). grpc-js' stream is a Readable in object
   * mode: while this generator is not pulled its buffer fills (16 messages), grpc-js stops reading
   * and HTTP/2 flow control stops the backend.
   */
  async *stream(
    method: DescMethod,
    request: Message,
    options: StreamOptions,
  ): AsyncGenerator<Message> {
    const metadata = new grpc.Metadata();
    for (const key in options.metadata) metadata.set(key, options.metadata[key] as string);
    const codec = codecOf(method);
    const call = this.#client.makeServerStreamRequest(
      codec.path,
      codec.serialize,
      codec.deserialize,
      request,
      metadata,
      { deadline: Number.POSITIVE_INFINITY },
    );
    const cancel = () => call.cancel();
    if (options.signal.aborted) cancel();
    else options.signal.addEventListener("abort", cancel, { once: true });
    let code: Code = Code.OK;
    try {
      for await (const message of call as AsyncIterable<Message>) yield message;
    } catch (e) {
      const error = e as grpc.ServiceError;
      code = statusCode(error);
      const details =
        error.details === undefined ? error.message : decodeReservedEscapes(error.details);
      throw new UpstreamError(code, details, 1, { cause: error });
    } finally {
      options.signal.removeEventListener("abort", cancel);
      // A consumer that stops early (return()) leaves the call open otherwise.
      call.cancel();
      this.#options.onAttempt?.(method, code);
    }
  }

  /** True when grpc.health.v1.Health/Check reports SERVING for the service ("" = the server). */
  healthy(service: string, timeoutMs: number): Promise<boolean> {
    return checkHealth(this.#attempt, service, timeoutMs);
  }

  readonly #attempt = (method: DescMethod, request: Message, options: CallOptions) =>
    this.#once(method, request, options);

  /** Closes the channel and any retired by a refresh, and stops the refresh timer. */
  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#client.close();
    for (const old of this.#retired) old.close();
    this.#retired.clear();
  }
}

interface Codec {
  /** The request path, `/package.Service/Method`. */
  path: string;
  serialize: (message: Message) => Buffer;
  deserialize: (bytes: Buffer) => Message;
}

// Made once per method rather than per call: the path string and the two closures.
const codecs = new WeakMap<DescMethod, Codec>();

function codecOf(method: DescMethod): Codec {
  let codec = codecs.get(method);
  if (codec === undefined) {
    codec = {
      path: methodPath(method),
      serialize: (message) => {
        const bytes = toBinary(method.input, message);
        return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      },
      deserialize: (bytes) => fromBinary(method.output, bytes),
    };
    codecs.set(method, codec);
  }
  return codec;
}

/**
 * grpc-js decodes `grpc-message` with `decodeURI`, which leaves the escapes of URI-reserved
 * characters (`%2C` for ",", `%3A` for ":", …) in place; servers that encode with
 * `encodeURIComponent`, connect among them, thus reach clients as "a%2C b". The gRPC spec asks
 * for every escape to be decoded (PROTOCOL-HTTP2.md, Status-Message), so those eleven are decoded
 * here. A message that contained such an escape as literal text is the one thing this cannot
 * tell apart; the node:http2 client (http2-backend-client.ts) decodes the raw header instead.
 */
export function decodeReservedEscapes(details: string): string {
  return details.replace(/%(2[346BCF]|3[ABDF]|40)/gi, (_, hex: string) =>
    String.fromCharCode(Number.parseInt(hex, 16)),
  );
}
