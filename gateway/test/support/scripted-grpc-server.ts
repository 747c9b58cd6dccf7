// A raw HTTP/2 server for gRPC client tests: it answers TestingService/Fail with whatever wire
// behaviour the request's `message` field names (a script), including what no well-behaved gRPC
// server sends: non-200 statuses with HTML, missing or malformed statuses, oversized or broken
// messages, stream resets, GOAWAY. Every attempt is recorded with the headers it carried and how
// the client ended it.
import { once } from "node:events";
import http2, { type IncomingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  FailRequestSchema,
  FailResponseSchema,
} from "@infinity-pool/proto/infinitypool/testing/v1/testing_pb.js";

export interface Attempt {
  script: string;
  headers: IncomingHttpHeaders;
  /** The RST_STREAM code the stream closed with (8 = CANCEL when the client gave up). */
  rstCode?: number;
}

export interface ScriptedServer {
  port: number;
  target: string;
  attempts: Attempt[];
  /** HTTP/2 sessions (connections) opened so far. */
  sessions: number;
  /** Attempts of one script so far. */
  count(script: string): number;
  close(): Promise<void>;
}

export function envelope(message: Uint8Array, flags = 0): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out[0] = flags;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

const { constants } = http2;
const grpcHeaders = { ":status": 200, "content-type": "application/grpc" };
/** The answer of every successful script: FailResponse { code: 7 }. */
export const okMessage = toBinary(FailResponseSchema, create(FailResponseSchema, { code: 7 }));
const html = `<!DOCTYPE html><html><body>${"upstream trouble ".repeat(40)}</body></html>`;

/** A wire behaviour; `attempt` counts the requests for this script so far, from 1. */
type Script = (stream: ServerHttp2Stream, attempt: number) => void;

function answer(stream: ServerHttp2Stream, body: Buffer, trailers: Record<string, string>) {
  stream.respond(grpcHeaders, { waitForTrailers: true });
  stream.once("wantTrailers", () => stream.sendTrailers(trailers));
  stream.end(body);
}

// A reset before any HEADERS: after respond(), Node ends the stream (END_STREAM) before it sends
// RST_STREAM, and the client would see a normal end instead.
function reset(code: number): Script {
  return (stream) => stream.close(code);
}

function httpStatus(status: number, body: string): Script {
  return (stream) => {
    stream.respond({ ":status": status, "content-type": "text/html" });
    stream.end(body);
  };
}

const scripts: Record<string, Script> = {
  ok: (s) => answer(s, envelope(okMessage), { "grpc-status": "0" }),
  // The message one byte per DATA frame, each after the last left.
  "ok-split": (s) => {
    const bytes = envelope(okMessage);
    s.respond(grpcHeaders, { waitForTrailers: true });
    s.once("wantTrailers", () => s.sendTrailers({ "grpc-status": "0" }));
    let i = 0;
    const next = () => {
      if (i === bytes.length) s.end();
      else s.write(bytes.subarray(i, ++i), () => setTimeout(next, 1));
    };
    next();
  },
  "ok-gzip": (s) => {
    s.respond({ ...grpcHeaders, "grpc-encoding": "gzip" }, { waitForTrailers: true });
    s.once("wantTrailers", () => s.sendTrailers({ "grpc-status": "0" }));
    s.end(envelope(gzipSync(okMessage), 1));
  },
  "status-5": (s) => answer(s, Buffer.alloc(0), { "grpc-status": "5", "grpc-message": "gone" }),
  // UTF-8 and reserved characters percent-encoded, an escape that is no escape, a bare "%".
  "status-3-encoded": (s) =>
    answer(s, Buffer.alloc(0), {
      "grpc-status": "3",
      "grpc-message": "caf%C3%A9%2C name%3A a%2Fb %zz 100%",
    }),
  "status-16-with-message": (s) =>
    answer(s, envelope(okMessage), { "grpc-status": "16", "grpc-message": "who are you" }),
  "trailers-only-5": (s) =>
    s.respond(
      { ...grpcHeaders, "grpc-status": "5", "grpc-message": "not%20here" },
      { endStream: true },
    ),
  "trailers-only-0": (s) => s.respond({ ...grpcHeaders, "grpc-status": "0" }, { endStream: true }),
  "no-status": (s) => answer(s, envelope(okMessage), { "x-note": "no status" }),
  "two-messages": (s) =>
    answer(s, Buffer.concat([envelope(okMessage), envelope(okMessage)]), { "grpc-status": "0" }),
  "not-protobuf": (s) =>
    answer(s, envelope(Buffer.from([0xff, 0xff, 0xff])), { "grpc-status": "0" }),
  // Declares a 5 MiB message (over the 4 MiB limit) and never sends it.
  oversized: (s) => {
    const prefix = Buffer.alloc(5);
    prefix.writeUInt32BE(5 * 1024 * 1024, 1);
    s.respond(grpcHeaders);
    s.write(prefix);
  },
  "http-400": httpStatus(400, html),
  "http-401": httpStatus(401, html),
  "http-403": httpStatus(403, html),
  "http-404": httpStatus(404, html),
  "http-429": httpStatus(429, html),
  "http-500": httpStatus(500, html),
  "http-502": httpStatus(502, html),
  "http-503": httpStatus(503, html),
  "http-504": httpStatus(504, html),
  "http-503-empty": httpStatus(503, ""),
  "rst-no-error": reset(constants.NGHTTP2_NO_ERROR),
  "rst-protocol-error": reset(constants.NGHTTP2_PROTOCOL_ERROR),
  "rst-internal-error": reset(constants.NGHTTP2_INTERNAL_ERROR),
  "rst-cancel": reset(constants.NGHTTP2_CANCEL),
  "rst-enhance-your-calm": reset(constants.NGHTTP2_ENHANCE_YOUR_CALM),
  "rst-inadequate-security": reset(constants.NGHTTP2_INADEQUATE_SECURITY),
  refused: reset(constants.NGHTTP2_REFUSED_STREAM),
  // Every other attempt refused: each first try, and the next one answered.
  "refused-once": (s, attempt) =>
    attempt % 2 === 1
      ? s.close(constants.NGHTTP2_REFUSED_STREAM)
      : answer(s, envelope(okMessage), { "grpc-status": "0" }),
  // GOAWAY naming the stream before this one as the last processed (so this must not be the
  // connection's first): this one never reached the application and may be sent again, on a new
  // connection.
  "goaway-once": (s, attempt) => {
    if (attempt % 2 === 1) s.session?.goaway(constants.NGHTTP2_NO_ERROR, (s.id ?? 3) - 2);
    else answer(s, envelope(okMessage), { "grpc-status": "0" });
  },
  // Never answers; the client must give up (deadline) or cancel.
  silent: () => {},
};

export async function startScriptedServer(): Promise<ScriptedServer> {
  const attempts: Attempt[] = [];
  const server = http2.createServer();
  const state = { sessions: 0 };
  server.on("session", () => {
    state.sessions++;
  });
  server.on("stream", (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("error", () => {});
    stream.on("end", () => {
      const body = Buffer.concat(chunks);
      const request = fromBinary(FailRequestSchema, body.subarray(5));
      const script = request.message;
      const attempt: Attempt = { script, headers };
      attempts.push(attempt);
      stream.once("close", () => {
        attempt.rstCode = stream.rstCode;
      });
      const n = attempts.filter((a) => a.script === script).length;
      (scripts[script] ?? scripts.ok)?.(stream, n);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    target: `dns:///127.0.0.1:${port}`,
    attempts,
    get sessions() {
      return state.sessions;
    },
    count: (script) => attempts.filter((a) => a.script === script).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        setTimeout(resolve, 500).unref();
      }),
  };
}

/** The names of every script, for tables of cases. */
export const scriptNames = Object.keys(scripts);
