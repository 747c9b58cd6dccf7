// An HTTP client for streaming responses that records what arrives as it arrives: NDJSON lines or
// Server-Sent Events, parsed the way a browser's EventSource parses them.

/** One Server-Sent Event, or a comment line (`comment` set, nothing else). */
export interface SseEvent {
  event: string;
  data: string;
  id: string | undefined;
  comment?: string;
}

export interface StreamClient {
  status: number;
  headers: Headers;
  /** The raw body received so far. */
  readonly text: string;
  /** NDJSON: each complete line, parsed. */
  readonly lines: unknown[];
  /** SSE: each complete event or comment. */
  readonly events: SseEvent[];
  /** Resolves when the server ends the body (or the client aborted it). */
  readonly ended: Promise<void>;
  readonly isEnded: boolean;
  /** Hangs up, as a browser tab that closes. */
  close(): void;
}

/** Sends a GET and starts reading the body; resolves once the response headers are in. */
export async function openStream(
  url: string,
  headers: Record<string, string> = {},
): Promise<StreamClient> {
  const abort = new AbortController();
  const res = await fetch(url, { headers, signal: abort.signal });
  let text = "";
  let ended = false;
  const lines: unknown[] = [];
  const events: SseEvent[] = [];
  let pending = "";
  const sse = (res.headers.get("content-type") ?? "").startsWith("text/event-stream");
  const consume = () => {
    if (sse) {
      // Events end with a blank line (the standard also accepts CR and CRLF; the gateway sends LF).
      let end = pending.indexOf("\n\n");
      while (end >= 0) {
        const block = pending.slice(0, end);
        pending = pending.slice(end + 2);
        const event: SseEvent = { event: "message", data: "", id: undefined };
        const data: string[] = [];
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) {
            event.comment = line.slice(1).trim();
            continue;
          }
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
          if (field === "data") data.push(value);
          else if (field === "event") event.event = value;
          else if (field === "id") event.id = value;
        }
        event.data = data.join("\n");
        events.push(event);
        end = pending.indexOf("\n\n");
      }
    } else {
      let end = pending.indexOf("\n");
      while (end >= 0) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 1);
        if (line.trim() !== "") lines.push(JSON.parse(line));
        end = pending.indexOf("\n");
      }
    }
  };
  const endedPromise = (async () => {
    const decoder = new TextDecoder();
    try {
      const reader = res.body?.getReader();
      for (;;) {
        const chunk = await reader?.read();
        if (!chunk || chunk.done) break;
        const piece = decoder.decode(chunk.value, { stream: true });
        text += piece;
        pending += piece;
        consume();
      }
    } catch {
      // Aborted by close(), or the connection was cut.
    }
    ended = true;
  })();
  return {
    status: res.status,
    headers: res.headers,
    get text() {
      return text;
    },
    lines,
    events,
    ended: endedPromise,
    get isEnded() {
      return ended;
    },
    close: () => abort.abort(),
  };
}
