import type { Message } from "@bufbuild/protobuf";
import type { Resumption } from "./routes.ts";

// How a server-streaming response is framed on the wire. NDJSON follows grpc-gateway's
// runtime.ForwardResponseStream: one JSON object per line, `{"result": …}` for each message and
// `{"error": <google.rpc.Status>}` when the stream fails. Server-Sent Events follow the HTML
// standard (https://html.spec.whatwg.org/multipage/server-sent-events.html).

/** The two ways a stream is written: newline-delimited JSON (the default) or Server-Sent Events. */
export type StreamFormat = "ndjson" | "sse";

/** Content-Type of each format (https://github.com/ndjson/ndjson-spec, the HTML standard). */
export const streamContentType: Record<StreamFormat, string> = {
  ndjson: "application/x-ndjson",
  sse: "text/event-stream",
};

/**
 * The format an `Accept` header asks for: Server-Sent Events when it lists `text/event-stream`
 * with a quality above 0 and at least that of `application/x-ndjson` (RFC 9110 §12.5.1), else
 * NDJSON. Anything else in the header is ignored, as grpc-gateway ignores Accept for streams.
 */
export function streamFormat(accept: string | undefined): StreamFormat {
  if (accept === undefined) return "ndjson";
  let sse = 0;
  let ndjson = 0;
  for (const range of accept.split(",")) {
    const [type = "", ...params] = range.split(";").map((part) => part.trim().toLowerCase());
    let quality = 1;
    for (const param of params) {
      const match = /^q=([01](?:\.\d{0,3})?)$/.exec(param);
      if (match) quality = Number(match[1]);
    }
    if (type === "text/event-stream") sse = Math.max(sse, quality);
    if (type === "application/x-ndjson") ndjson = Math.max(ndjson, quality);
  }
  return sse > 0 && sse >= ndjson ? "sse" : "ndjson";
}

/** An NDJSON line for one message; `json` is the rendered message (response.ts renderResponse). */
export function ndjsonResult(json: string): string {
  return `{"result":${json}}\n`;
}

/** An NDJSON line ending a failed stream; `status` is a google.rpc.Status JSON (status.ts). */
export function ndjsonError(status: string): string {
  return `{"error":${status}}\n`;
}

/**
 * One Server-Sent Event for a message: `data:` is the rendered message, `id:` (when the RPC has a
 * stream_resumption option) the value a reconnecting browser sends back as Last-Event-ID.
 * JSON.stringify never emits a raw line break, so the data fits one `data:` line.
 */
export function sseMessage(json: string, id: string | undefined): string {
  return id === undefined ? `data: ${json}\n\n` : `id: ${id}\ndata: ${json}\n\n`;
}

/** The `error` event ending a failed stream, its data a google.rpc.Status JSON (status.ts). */
export function sseError(status: string): string {
  return `event: error\ndata: ${status}\n\n`;
}

/**
 * A comment line: ignored by EventSource, but bytes on the wire, so load balancers (the ALB's
 * idle timeout is 60 s by default) do not close a stream that has nothing to say.
 */
export const sseHeartbeat = ": heartbeat\n\n";

/**
 * The event id of a message: the scalar at the resumption's event_id_field path, as text. No id
 * when the path crosses an unset message. Line breaks and NUL, which would end or void the `id:`
 * field, are dropped.
 */
export function eventIdOf(resumption: Resumption, message: Message): string | undefined {
  let value: unknown = message;
  for (const field of resumption.eventId) {
    if (value === undefined || value === null) return undefined;
    value = (value as Record<string, unknown>)[field.localName];
  }
  if (value === undefined || value === null) return undefined;
  return String(value).replace(/[\r\n\0]/g, "");
}
