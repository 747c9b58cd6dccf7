import type { IncomingMessage } from "node:http";
import http2, { type Http2ServerRequest, type ServerHttp2Stream } from "node:http2";
import {
  type ContextValues,
  createContextKey,
  createContextValues,
  type HandlerContext,
} from "@connectrpc/connect";

const streamKey = createContextKey<ServerHttp2Stream | undefined>(undefined, {
  description: "the HTTP/2 stream of the call",
});

/** Context values that let a handler reach its HTTP/2 stream; connectNodeAdapter's contextValues. */
export function http2StreamValues(req: IncomingMessage | Http2ServerRequest): ContextValues {
  return createContextValues().set(streamKey, "stream" in req ? req.stream : undefined);
}

/**
 * Ends the call's HTTP/2 stream with RST_STREAM ENHANCE_YOUR_CALM, which gRPC clients report as
 * RESOURCE_EXHAUSTED (gRPC over HTTP/2, "Errors":
 * https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md). This is the only way to end a
 * stream whose client stopped reading: trailers queue behind the DATA frames that flow control
 * holds back, so a status in trailers would never arrive.
 *
 * @returns false when the call has no HTTP/2 stream or it is already closed.
 */
export function resetResourceExhausted(ctx: HandlerContext): boolean {
  const stream = ctx.values.get(streamKey);
  if (stream === undefined || stream.closed || stream.destroyed) return false;
  stream.close(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
  return true;
}
