import { setTimeout as sleep } from "node:timers/promises";
import { create, type DescMethod, fromBinary, type Message, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import {
  Health,
  HealthCheckRequestSchema,
  type HealthCheckResponse,
  HealthCheckResponse_ServingStatus,
} from "@infinity-pool/proto/grpc/health/v1/health_pb.js";
import { Code } from "@infinity-pool/runtime/status";
import {
  type Backend,
  type CallOptions,
  type CallResult,
  type StreamOptions,
  UpstreamError,
} from "./backend.ts";

/** Where BackendClient connects and how it retries; durations in milliseconds. */
export interface BackendClientOptions {
  target: string;
  maxAttempts: number;
  /** Interval for building a fresh channel so DNS is resolved again; 0 disables. */
  refreshMs: number;
  /** Observes each attempt's outcome, for metrics. */
  onAttempt?: (method: DescMethod, code: Code) => void;
}

const channelOptions: grpc.ChannelOptions = {
  // Every address the name resolves to gets a connection and calls go round robin over them.
  "grpc.service_config": JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
  // The service config is ours, not something a DNS TXT record may override.
  "grpc.service_config_disable_resolution": 1,
  "grpc.keepalive_time_ms": 30_000,
  "grpc.keepalive_timeout_ms": 10_000,
  // A replaced pod must be dialled again quickly; the grpc-js defaults back off up to 2 minutes.
  "grpc.initial_reconnect_backoff_ms": 200,
  "grpc.max_reconnect_backoff_ms": 2_000,
  "grpc.dns_min_time_between_resolutions_ms": 1_000,
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
    return new grpc.Client(this.#options.target, grpc.credentials.createInsecure(), channelOptions);
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
    return new Promise((resolve, reject) => {
      const call = this.#client.makeUnaryRequest(
        codec.path,
        codec.serialize,
        codec.deserialize,
        request,
        metadata,
        { deadline: options.deadline },
        (error, response) => {
          if (error) {
            this.#options.onAttempt?.(method, statusCode(error));
            reject(error);
          } else {
            this.#options.onAttempt?.(method, Code.OK);
            resolve(response as Message);
          }
        },
      );
      // An abort before the call started fires no event: cancel it now.
      if (options.signal?.aborted) call.cancel();
      else options.signal?.addEventListener("abort", () => call.cancel(), { once: true });
    });
  }

  /**
   * Calls a unary method by its descriptor. With `retry`, UNAVAILABLE is retried up to
   * `maxAttempts` with exponential backoff and full jitter, never past the deadline. Rejects with
   * UpstreamError (the final status, the backend's message, the attempts, the grpc-js error as cause).
   */
  async call(method: DescMethod, request: Message, options: CallOptions): Promise<CallResult> {
    const maxAttempts = options.retry ? this.#options.maxAttempts : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        return { message: await this.#once(method, request, options), attempts: attempt };
      } catch (e) {
        const error = e as grpc.ServiceError;
        const code = statusCode(error);
        // Exponential backoff with full jitter: 25, 50, 100 ms ceilings, never past the deadline.
        const pause = Math.random() * 25 * 2 ** (attempt - 1);
        const retryable =
          code === Code.UNAVAILABLE &&
          options.signal?.aborted !== true &&
          attempt < maxAttempts &&
          Date.now() + pause < options.deadline - 5;
        if (!retryable) {
          throw new UpstreamError(code, error.details ?? error.message, attempt, { cause: error });
        }
        await sleep(pause);
      }
    }
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
      throw new UpstreamError(code, error.details ?? error.message, 1, { cause: error });
    } finally {
      options.signal.removeEventListener("abort", cancel);
      // A consumer that stops early (return()) leaves the call open otherwise.
      call.cancel();
      this.#options.onAttempt?.(method, code);
    }
  }

  /** True when grpc.health.v1.Health/Check reports SERVING for the service ("" = the server). */
  async healthy(service: string, timeoutMs: number): Promise<boolean> {
    try {
      const response = (await this.#once(
        Health.method.check,
        create(HealthCheckRequestSchema, { service }),
        { deadline: Date.now() + timeoutMs, metadata: {}, retry: false },
      )) as HealthCheckResponse;
      return response.status === HealthCheckResponse_ServingStatus.SERVING;
    } catch {
      return false;
    }
  }

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
      path: `/${method.parent.typeName}/${method.name}`,
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

/** The gRPC status of a failed grpc-js call; UNKNOWN when the error carries none. */
function statusCode(error: { code?: unknown }): Code {
  return typeof error.code === "number" ? (error.code as Code) : Code.UNKNOWN;
}
