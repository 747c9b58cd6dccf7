import http2, { type ClientHttp2Stream, type IncomingHttpHeaders } from "node:http2";
import { gunzipSync, inflateSync } from "node:zlib";
import { Code, codeName } from "@infinity-pool/runtime/status";
import type { Channel, PickWaiter } from "./channel.ts";
import type { Transport } from "./connection.ts";
import { MessageReader, type ReceivedMessage } from "./frames.ts";

/**
 * A call's final non-OK status, shaped like grpc-js's ServiceError: the code, the status message
 * (`details`, percent-decoded) and the trailers the server sent (`metadata`).
 */
export class StatusError extends Error {
  override name = "StatusError";
  readonly code: Code;
  readonly details: string;
  readonly metadata: IncomingHttpHeaders;

  constructor(code: Code, details: string, metadata: IncomingHttpHeaders = {}) {
    super(`${code} ${codeName(code)}: ${details}`);
    this.code = code;
    this.details = details;
    this.metadata = metadata;
  }
}

/** One unary call: where it goes, what it sends, and the bounds it runs within. */
export interface UnaryCallOptions {
  /** `/package.Service/Method`. */
  path: string;
  /** The request message, framed (frames.ts `frame`). */
  body: Buffer;
  /** Request metadata: lower-case ASCII keys, string values. */
  metadata: Record<string, string>;
  /** Absolute deadline in milliseconds since the Unix epoch; sent as `grpc-timeout`. */
  deadline: number;
  signal: AbortSignal | undefined;
  /** Responses whose message is larger fail RESOURCE_EXHAUSTED (grpc-js's default is 4 MiB). */
  maxReceiveBytes: number;
  userAgent: string;
}

const {
  NGHTTP2_NO_ERROR,
  NGHTTP2_REFUSED_STREAM,
  NGHTTP2_CANCEL,
  NGHTTP2_ENHANCE_YOUR_CALM,
  NGHTTP2_INADEQUATE_SECURITY,
  NGHTTP2_INTERNAL_ERROR,
  NGHTTP2_FLAG_END_STREAM,
} = http2.constants;

const requestOptions = { endStream: false };
const kCall = Symbol("unary call");
type CallStream = ClientHttp2Stream & { [kCall]: UnaryCall };

/**
 * Makes one unary gRPC call over `channel` and resolves with the response message's bytes, or
 * rejects with StatusError. It follows https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md
 * and gives the answers grpc-js gives for the same wire events:
 * - the status from the trailers, or from the headers of a trailers-only response; without one,
 *   the HTTP status mapped as https://github.com/grpc/grpc/blob/master/doc/http-grpc-status-mapping.md
 *   says (400 INTERNAL, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED, 404 UNIMPLEMENTED,
 *   429/502/503/504 UNAVAILABLE, anything else UNKNOWN);
 * - `grpc-message` percent-decoded as UTF-8 (an invalid escape is kept as written);
 * - OK without a message, or with two, is UNIMPLEMENTED; a message over `maxReceiveBytes` is
 *   RESOURCE_EXHAUSTED (or the mapped HTTP status when that is not 200);
 * - a stream reset: REFUSED_STREAM is UNAVAILABLE and, once per call, sent again on another
 *   connection (the server never saw it); CANCEL is CANCELLED; ENHANCE_YOUR_CALM is
 *   RESOURCE_EXHAUSTED; INADEQUATE_SECURITY is PERMISSION_DENIED; the rest INTERNAL;
 * - a connection that breaks under the call is UNAVAILABLE; a stream that never started (the
 *   session closed first) is sent again on another connection;
 * - the deadline is sent as `grpc-timeout` and enforced locally: DEADLINE_EXCEEDED, the stream
 *   reset with CANCEL; an aborted `signal` is CANCELLED, likewise;
 * - compressed responses (gzip, deflate) are read though none is asked for.
 */
export function unaryCall(channel: Channel, options: UnaryCallOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    new UnaryCall(channel, options, resolve, reject).start();
  });
}

class UnaryCall implements PickWaiter {
  readonly #channel: Channel;
  readonly #options: UnaryCallOptions;
  readonly #resolve: (message: Buffer) => void;
  readonly #reject: (error: StatusError) => void;
  readonly #started = Date.now();
  #timer: NodeJS.Timeout | undefined;
  #waiting = false;
  #stream: CallStream | undefined;
  #transport: Transport | undefined;
  #done = false;
  #refusedOnce = false;
  // What the current stream has received.
  #httpStatus = 0;
  #encoding: string | undefined;
  #reader: MessageReader | undefined;
  #message: ReceivedMessage | undefined;
  #status: { code: Code; details: string; trailers: IncomingHttpHeaders } | undefined;
  #streamError: NodeJS.ErrnoException | undefined;

  constructor(
    channel: Channel,
    options: UnaryCallOptions,
    resolve: (message: Buffer) => void,
    reject: (error: StatusError) => void,
  ) {
    this.#channel = channel;
    this.#options = options;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  start(): void {
    const { signal, deadline } = this.#options;
    if (signal?.aborted) {
      this.#fail(Code.CANCELLED, "Cancelled on client");
      return;
    }
    const remaining = deadline - this.#started;
    if (remaining <= 0) {
      this.#fail(Code.DEADLINE_EXCEEDED, "Deadline exceeded");
      return;
    }
    this.#timer = setTimeout(deadlineReached, Math.min(remaining, 2 ** 31 - 1), this);
    if (signal !== undefined) watch(signal, this);
    this.#pick();
  }

  /** The `signal` fired. */
  aborted(): void {
    this.#cancel(Code.CANCELLED, "Cancelled on client");
  }

  deadlineReached(): void {
    const seconds = ((Date.now() - this.#started) / 1000).toFixed(3);
    const where =
      this.#transport !== undefined
        ? `remote_addr=${this.#transport.peer}`
        : "waiting for a connection";
    this.#cancel(Code.DEADLINE_EXCEEDED, `Deadline exceeded after ${seconds}s,${where}`);
  }

  picked(transport: Transport): void {
    this.#waiting = false;
    this.#send(transport);
  }

  unavailable(message: string): void {
    this.#waiting = false;
    this.#fail(Code.UNAVAILABLE, message);
  }

  #pick(): void {
    const transport = this.#channel.pick();
    if (transport !== undefined) {
      this.#send(transport);
    } else {
      this.#waiting = true;
      this.#channel.wait(this);
    }
  }

  #send(transport: Transport): void {
    const o = this.#options;
    const headers = [
      ":method",
      "POST",
      ":scheme",
      "http",
      ":authority",
      this.#channel.target.authority,
      ":path",
      o.path,
      "content-type",
      "application/grpc",
      "te",
      "trailers",
      "user-agent",
      o.userAgent,
      "grpc-timeout",
      timeoutHeader(o.deadline),
    ];
    for (const key in o.metadata) headers.push(key, o.metadata[key] as string);
    this.#httpStatus = 0;
    this.#encoding = undefined;
    this.#reader = undefined;
    this.#message = undefined;
    this.#status = undefined;
    this.#streamError = undefined;
    const stream = transport.session.request(headers, requestOptions) as CallStream;
    stream[kCall] = this;
    this.#stream = stream;
    this.#transport = transport;
    transport.callStarted();
    stream.on("response", onResponse);
    stream.on("data", onData);
    stream.on("trailers", onTrailers);
    stream.on("error", onError);
    stream.on("close", onClose);
    stream.end(o.body);
  }

  response(headers: IncomingHttpHeaders, flags: number): void {
    this.#httpStatus = Number(headers[":status"]);
    if (flags & NGHTTP2_FLAG_END_STREAM) this.trailers(headers);
    else this.#encoding = headers["grpc-encoding"] as string | undefined;
  }

  data(chunk: Buffer): void {
    if (this.#done) return;
    // The common case: one whole message in one chunk, taken without a reader.
    if (this.#reader === undefined && this.#message === undefined && chunk.length >= 5) {
      const length = chunk.readUInt32BE(1);
      if (chunk.length === length + 5 && length <= this.#options.maxReceiveBytes) {
        this.#message = { bytes: chunk.subarray(5), compressed: chunk[0] === 1 };
        return;
      }
    }
    this.#reader ??= new MessageReader(this.#options.maxReceiveBytes);
    const tooLarge = this.#reader.push(chunk, (message) => {
      if (this.#message !== undefined) {
        this.#cancel(Code.UNIMPLEMENTED, "Too many responses received");
      } else {
        this.#message = message;
      }
    });
    if (tooLarge >= 0 && !this.#done) {
      const max = this.#options.maxReceiveBytes;
      // A non-gRPC answer (an HTML error page) says more through its HTTP status.
      if (this.#httpStatus !== 200 && this.#httpStatus !== 0) {
        const mapped = fromHttpStatus(this.#httpStatus);
        this.#cancel(mapped.code, mapped.details);
      } else {
        this.#cancel(
          Code.RESOURCE_EXHAUSTED,
          `Received message larger than max (${tooLarge} vs ${max})`,
        );
      }
    }
  }

  trailers(headers: IncomingHttpHeaders): void {
    const status = headers["grpc-status"];
    if (status === "0") {
      this.#status = { code: Code.OK, details: "", trailers: headers };
    } else if (typeof status === "string") {
      const message = headers["grpc-message"];
      this.#status = {
        code: /^\d+$/.test(status) ? (Number(status) as Code) : Code.UNKNOWN,
        details: typeof message === "string" ? decodeGrpcMessage(message) : "",
        trailers: headers,
      };
    } else if (this.#httpStatus !== 0) {
      this.#status = { ...fromHttpStatus(this.#httpStatus), trailers: headers };
    } else {
      this.#status = {
        code: Code.UNKNOWN,
        details: "No status information received",
        trailers: headers,
      };
    }
  }

  error(error: NodeJS.ErrnoException): void {
    this.#streamError = error;
  }

  closed(stream: CallStream): void {
    const transport = this.#transport as Transport;
    transport.callEnded();
    if (this.#done || stream !== this.#stream) return;
    const status = this.#status;
    if (status !== undefined) {
      if (status.code !== Code.OK) this.#fail(status.code, status.details, status.trailers);
      else if (this.#message === undefined) {
        this.#fail(Code.UNIMPLEMENTED, "No message received", status.trailers);
      } else this.#succeed(this.#message);
      return;
    }
    if (stream.id === undefined && this.#streamError !== undefined && !transport.dropped) {
      // Never sent: the session closed (GOAWAY) or ran out of stream ids before it began.
      this.#channel.discard(transport);
      this.#pick();
      return;
    }
    const rstCode = stream.rstCode ?? NGHTTP2_NO_ERROR;
    if (rstCode === NGHTTP2_REFUSED_STREAM && !transport.dropped && !this.#refusedOnce) {
      // The server refused it before its application saw it (RFC 9113 §8.7): safe to send again.
      this.#refusedOnce = true;
      this.#pick();
      return;
    }
    const { code, details } = transport.dropped
      ? { code: Code.UNAVAILABLE, details: "Connection dropped" }
      : fromReset(rstCode, this.#httpStatus, this.#streamError);
    this.#fail(code, details);
  }

  #succeed(message: ReceivedMessage): void {
    if (!message.compressed) {
      this.#finish();
      this.#resolve(message.bytes);
      return;
    }
    const max = this.#options.maxReceiveBytes;
    let bytes: Buffer;
    try {
      if (this.#encoding === "gzip") bytes = gunzipSync(message.bytes, { maxOutputLength: max });
      else if (this.#encoding === "deflate") {
        bytes = inflateSync(message.bytes, { maxOutputLength: max });
      } else {
        const encoding = this.#encoding ?? "identity";
        this.#fail(Code.INTERNAL, `Received compressed message but "grpc-encoding" is ${encoding}`);
        return;
      }
    } catch (error) {
      const tooLarge = (error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE";
      this.#fail(
        tooLarge ? Code.RESOURCE_EXHAUSTED : Code.INTERNAL,
        tooLarge
          ? `Received message that decompresses to a size larger than ${max}`
          : `Failed to decompress the response: ${(error as Error).message}`,
      );
      return;
    }
    this.#finish();
    this.#resolve(bytes);
  }

  /** Ends the call with `code` and resets its stream, if one is open. */
  #cancel(code: Code, details: string): void {
    if (this.#done) return;
    const stream = this.#stream;
    this.#fail(code, details);
    if (stream !== undefined && !stream.destroyed) stream.close(NGHTTP2_CANCEL);
  }

  #fail(code: Code, details: string, trailers?: IncomingHttpHeaders): void {
    if (this.#done) return;
    this.#finish();
    this.#reject(new StatusError(code, details, trailers && metadataOf(trailers)));
  }

  #finish(): void {
    this.#done = true;
    clearTimeout(this.#timer);
    const signal = this.#options.signal;
    if (signal !== undefined) unwatch(signal, this);
    if (this.#waiting) {
      this.#waiting = false;
      this.#channel.cancelWait(this);
    }
  }
}

// The calls open under each signal. A signal gets one "abort" listener, however many calls it
// governs (the gateway uses one per client connection): EventTarget's addEventListener and
// removeEventListener per call cost more than the rest of the call's bookkeeping together.
const watched = new WeakMap<AbortSignal, Set<UnaryCall>>();

function watch(signal: AbortSignal, call: UnaryCall): void {
  let calls = watched.get(signal);
  if (calls === undefined) {
    const open = new Set<UnaryCall>();
    calls = open;
    watched.set(signal, open);
    signal.addEventListener(
      "abort",
      () => {
        for (const c of [...open]) c.aborted();
      },
      { once: true },
    );
  }
  calls.add(call);
}

function unwatch(signal: AbortSignal, call: UnaryCall): void {
  watched.get(signal)?.delete(call);
}

// Stream listeners shared by every call (the call hangs off the stream): no closures per call.
function onResponse(this: CallStream, headers: IncomingHttpHeaders, flags: number): void {
  this[kCall].response(headers, flags);
}
function onData(this: CallStream, chunk: Buffer): void {
  this[kCall].data(chunk);
}
function onTrailers(this: CallStream, headers: IncomingHttpHeaders): void {
  this[kCall].trailers(headers);
}
function onError(this: CallStream, error: NodeJS.ErrnoException): void {
  this[kCall].error(error);
}
function onClose(this: CallStream): void {
  this[kCall].closed(this);
}
function deadlineReached(call: UnaryCall): void {
  call.deadlineReached();
}

/**
 * `grpc-timeout` for an absolute deadline: the time left, rounded up, in the smallest unit of
 * milliseconds, seconds, minutes or hours that keeps it under 10^8 (the header's 8 digits).
 */
export function timeoutHeader(deadline: number, now = Date.now()): string {
  const ms = Math.max(deadline - now, 0);
  if (ms < 1e8) return `${Math.ceil(ms)}m`;
  if (ms / 1_000 < 1e8) return `${Math.ceil(ms / 1_000)}S`;
  if (ms / 60_000 < 1e8) return `${Math.ceil(ms / 60_000)}M`;
  return `${Math.ceil(ms / 3_600_000)}H`;
}

/** The gRPC status of a response without one (http-grpc-status-mapping.md). */
export function fromHttpStatus(status: number): { code: Code; details: string } {
  const details = `Received HTTP status code ${status}`;
  switch (status) {
    case 400:
      return { code: Code.INTERNAL, details };
    case 401:
      return { code: Code.UNAUTHENTICATED, details };
    case 403:
      return { code: Code.PERMISSION_DENIED, details };
    case 404:
      return { code: Code.UNIMPLEMENTED, details };
    case 429:
    case 502:
    case 503:
    case 504:
      return { code: Code.UNAVAILABLE, details };
    default:
      return { code: Code.UNKNOWN, details };
  }
}

/** The status of a stream that closed without one, by its RST_STREAM (or GOAWAY) error code. */
function fromReset(
  rstCode: number,
  httpStatus: number,
  error: NodeJS.ErrnoException | undefined,
): { code: Code; details: string } {
  switch (rstCode) {
    case NGHTTP2_NO_ERROR:
      if (httpStatus !== 0 && httpStatus !== 200) return fromHttpStatus(httpStatus);
      return {
        code: Code.INTERNAL,
        details: `Received RST_STREAM with code ${rstCode} (Call ended without gRPC status)`,
      };
    case NGHTTP2_REFUSED_STREAM:
      return { code: Code.UNAVAILABLE, details: "Stream refused by server" };
    case NGHTTP2_CANCEL:
      return { code: Code.CANCELLED, details: "Call cancelled" };
    case NGHTTP2_ENHANCE_YOUR_CALM:
      return {
        code: Code.RESOURCE_EXHAUSTED,
        details: "Bandwidth exhausted or memory limit exceeded",
      };
    case NGHTTP2_INADEQUATE_SECURITY:
      return { code: Code.PERMISSION_DENIED, details: "Protocol not secure enough" };
    case NGHTTP2_INTERNAL_ERROR:
      if (error?.code === "ECONNRESET" || error?.code === "ETIMEDOUT") {
        return { code: Code.UNAVAILABLE, details: error.message };
      }
      return {
        code: Code.INTERNAL,
        details:
          error !== undefined && error.code !== "ERR_HTTP2_STREAM_ERROR"
            ? `Received RST_STREAM with code ${rstCode} triggered by internal client error: ${error.message}`
            : `Received RST_STREAM with code ${rstCode} (Internal server error)`,
      };
    default:
      return { code: Code.INTERNAL, details: `Received RST_STREAM with code ${rstCode}` };
  }
}

/** Trailers as call metadata: without pseudo-headers and the status fields. */
function metadataOf(trailers: IncomingHttpHeaders): IncomingHttpHeaders {
  const metadata: IncomingHttpHeaders = {};
  for (const key in trailers) {
    if (key[0] !== ":" && key !== "grpc-status" && key !== "grpc-message") {
      metadata[key] = trailers[key];
    }
  }
  return metadata;
}

/**
 * A `grpc-message` value decoded: percent-encoded bytes (PROTOCOL-HTTP2.md, Status-Message) read
 * as UTF-8. An escape that is not two hex digits stays as written; bytes that are not UTF-8
 * become U+FFFD, so the message is never lost.
 */
export function decodeGrpcMessage(value: string): string {
  if (!value.includes("%")) return value;
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x25 && /^[0-9A-Fa-f]{2}$/.test(value.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(value.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(c & 0xff);
    }
  }
  return Buffer.from(bytes).toString("utf8");
}
