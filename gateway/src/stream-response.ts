import type { IncomingMessage, ServerResponse } from "node:http";
import type { Message } from "@bufbuild/protobuf";
import type { Logger } from "@infinity-pool/runtime/logger";
import { Code } from "@infinity-pool/runtime/status";
import type { Exchange } from "./access-log.ts";
import { type Backend, UpstreamError } from "./backend.ts";
import type { GatewayMetrics } from "./metrics.ts";
import { parseQuery } from "./request-mapping.ts";
import { renderResponse, writeJson } from "./response.ts";
import type { Route } from "./routes.ts";
import { statusBody, upstreamErrorResponse } from "./status.ts";
import {
  eventIdOf,
  ndjsonError,
  ndjsonResult,
  type StreamFormat,
  sseError,
  sseHeartbeat,
  sseMessage,
  streamContentType,
  streamFormat,
} from "./stream-framing.ts";

/** What StreamResponses needs besides the backend; durations in milliseconds. */
export interface StreamResponsesOptions {
  backend: Pick<Backend, "stream">;
  metrics: GatewayMetrics;
  log: Logger;
  /** GATEWAY_STREAM_MAX_LIFETIME_MS: a stream ends after this long with a final event. */
  maxLifetimeMs: number;
  /** GATEWAY_SSE_HEARTBEAT_MS: the interval of Server-Sent Events comment lines. */
  heartbeatMs: number;
}

/** One server-streaming call to answer over HTTP (gateway.ts builds it from the request). */
export interface StreamCall {
  route: Route;
  request: Message;
  metadata: Record<string, string>;
  /** Aborted when the HTTP client goes away. */
  signal: AbortSignal;
}

/** Why the gateway itself ends a stream: the status of its final event. */
interface Ending {
  code: Code;
  message: string;
}

const lifetimeReached: Ending = {
  code: Code.UNAVAILABLE,
  message: "the stream reached its maximum lifetime; reconnect to resume",
};

// Headers wait this long for the first message (so an immediate failure still gets its HTTP
// status), then go out: a client, and a load balancer, see the stream open before anything happens.
const COMMIT_WITHIN_MS = 250;

const shuttingDown: Ending = {
  code: Code.UNAVAILABLE,
  message: "the gateway is shutting down; reconnect to resume",
};

/** An open streaming response, as the drain sees it. */
interface OpenStream {
  end(ending: Ending): void;
}

/**
 * Answers server-streaming routes (grpc-gateway's runtime.ForwardResponseStream, plus
 * Server-Sent Events) and keeps the set of open streams, so the drain can end them.
 *
 * - Format: `Accept: text/event-stream` gets Server-Sent Events, anything else NDJSON
 *   (stream-framing.ts). Each message is written and flushed as it arrives; while the client
 *   reads slowly no further message is pulled from the backend, so gRPC flow control holds the
 *   backend back and the gateway buffers at most what the socket does.
 * - Headers are committed with the first message, as grpc-gateway does, so a call that fails at
 *   once (bad input, backend down) gets its HTTP status and the usual Status body; without a
 *   message they go out after 250 ms anyway, so an idle stream is open in the browser (EventSource's `open`) and the load
 *   balancer sees a response.
 * - A failure after the headers ends the body with `{"error": Status}` or an `error` event. Before
 *   them, SSE answers 4xx statuses (but 429) as HTTP errors, which EventSource does not retry, and
 *   others as a 200 stream with one `error` event, after which EventSource reconnects.
 * - HEAD answers what GET would (status and header fields, RFC 9110 §9.3.2): it calls the backend
 *   and, as soon as GET would have committed its headers, sends them with no body, ends the
 *   response and cancels the upstream call.
 * - No deadline applies; the stream ends after maxLifetimeMs, or when the gateway drains, with a
 *   final UNAVAILABLE error telling the client to reconnect (EventSource does so by itself, sending
 *   Last-Event-ID). A client that disconnects cancels the upstream call at once.
 */
export class StreamResponses {
  readonly #options: StreamResponsesOptions;
  readonly #open = new Set<OpenStream>();
  #closed = false;

  constructor(options: StreamResponsesOptions) {
    this.#options = options;
  }

  /** Streams open now. */
  get size(): number {
    return this.#open.size;
  }

  /** Ends every open stream with its final event, and any stream asked for later at once. */
  closeAll(): void {
    this.#closed = true;
    for (const stream of this.#open) stream.end(shuttingDown);
  }

  /**
   * Answers one streaming call on `res`, resolving once the response has ended. Upstream failures
   * are written into the response and recorded on `exchange`; it does not throw for them.
   */
  async serve(call: StreamCall, req: IncomingMessage, res: ServerResponse, exchange: Exchange) {
    const { route } = call;
    const format = streamFormat(req.headers.accept);
    // HEAD takes GET's path up to the point GET commits its status and headers (RFC 9110 §9.3.2:
    // the same status and header fields, no body); the response then ends and the call is cancelled.
    const head = req.method === "HEAD";
    const labels = { route: route.template.source, format };
    const { metrics, log } = this.#options;
    const stop = new AbortController();
    let ending: Ending | undefined;
    let committed = false;
    const commit = () => {
      if (committed) return;
      committed = true;
      clearTimeout(commitTimer);
      res.writeHead(200, streamHeaders(format));
      if (head) {
        res.end();
        stop.abort();
      }
    };
    const commitTimer = setTimeout(() => {
      if (gone()) return;
      commit();
      if (!gone()) res.flushHeaders();
    }, COMMIT_WITHIN_MS);
    const gone = () => res.destroyed || res.writableEnded;
    const write = (text: string): boolean => !gone() && res.write(text);
    const stream: OpenStream = {
      end(why) {
        if (ending !== undefined || stop.signal.aborted) return;
        ending = why;
        stop.abort();
      },
    };
    const leave = () => stop.abort();
    call.signal.addEventListener("abort", leave, { once: true });
    const lifetime = setTimeout(() => stream.end(lifetimeReached), this.#options.maxLifetimeMs);
    const heartbeat =
      format === "sse"
        ? setInterval(() => {
            if (gone()) return;
            commit();
            write(sseHeartbeat);
          }, this.#options.heartbeatMs)
        : undefined;
    this.#open.add(stream);
    metrics.openStreams.inc(labels);
    if (this.#closed) stream.end(shuttingDown);

    let failure: UpstreamError | undefined;
    try {
      const messages = this.#options.backend.stream(route.method, call.request, {
        metadata: call.metadata,
        signal: stop.signal,
      });
      for await (const message of messages) {
        if (stop.signal.aborted) break;
        commit();
        if (gone()) break;
        const json = renderResponse(route, message);
        const flushed = write(
          format === "sse"
            ? sseMessage(json, route.resumption && eventIdOf(route.resumption, message))
            : ndjsonResult(json),
        );
        metrics.streamMessages.inc(labels);
        if (!flushed) await drained(res, stop.signal);
      }
    } catch (error) {
      if (!(error instanceof UpstreamError)) throw error;
      failure = error;
    } finally {
      clearTimeout(lifetime);
      clearTimeout(commitTimer);
      clearInterval(heartbeat);
      call.signal.removeEventListener("abort", leave);
      this.#open.delete(stream);
      metrics.openStreams.dec(labels);
    }

    if (gone() || (call.signal.aborted && ending === undefined)) {
      // The client left: the upstream call is already cancelled and nobody is there to tell.
      exchange.upstreamCode = Code.CANCELLED;
      return;
    }
    if (ending !== undefined) {
      exchange.upstreamCode = Code.CANCELLED;
      exchange.errorMessage = ending.message;
      this.#finish(format, statusBody(ending.code, ending.message), commit, write, res);
      return;
    }
    if (failure === undefined) {
      exchange.upstreamCode = Code.OK;
      commit();
      res.end();
      return;
    }
    exchange.upstreamCode = failure.code;
    exchange.errorMessage = failure.message;
    const { status, body } = upstreamErrorResponse(failure.code, failure.message);
    const clientError = status >= 400 && status < 500 && status !== 429;
    if (!committed && (format === "ndjson" || clientError)) {
      // Nothing sent yet: the HTTP status tells what happened, as grpc-gateway does, with the
      // same Status body as any other error of this API (grpc-gateway wraps it in {"error": …}).
      writeJson(res, status, body);
      return;
    }
    log.debug({ requestId: exchange.requestId, code: failure.code }, "stream failed");
    this.#finish(format, body, commit, write, res);
  }

  /** Writes the final error (after committing the headers if need be) and ends the response. */
  #finish(
    format: StreamFormat,
    status: string,
    commit: () => void,
    write: (text: string) => boolean,
    res: ServerResponse,
  ): void {
    commit();
    write(format === "sse" ? sseError(status) : ndjsonError(status));
    res.end();
  }
}

function streamHeaders(format: StreamFormat): Record<string, string> {
  return {
    "content-type": streamContentType[format],
    // Intermediaries must neither cache nor buffer a live stream (nginx honours X-Accel-Buffering).
    "cache-control": "no-cache",
    "x-accel-buffering": "no",
  };
}

/** Resolves when `res` can take more data, or at once when the stream is stopped. */
function drained(res: ServerResponse, stop: AbortSignal): Promise<void> {
  if (stop.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      stop.removeEventListener("abort", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
    stop.addEventListener("abort", done, { once: true });
  });
}

/**
 * The query string with the resume field set from a reconnecting EventSource's Last-Event-ID
 * header, replacing the value in the URL it resends (the page's original since_id). Unchanged when
 * the route has no stream_resumption option or the header is absent.
 */
export function resumedQuery(route: Route, query: string, lastEventId: string | undefined): string {
  if (!route.resumption || lastEventId === undefined || lastEventId === "") return query;
  const field = route.resumption.resumeField;
  const kept = parseQuery(query).filter(([key]) => key !== field.name && key !== field.jsonName);
  kept.push([field.name, lastEventId]);
  return kept.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
}
