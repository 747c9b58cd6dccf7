// gRPC over HTTP/2 at the wire, for tests that need what a client library will not do: drop a
// connection mid-call, stop reading, send a cut message.
import type http2 from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import {
  GreetingService,
  WatchGreetingsRequestSchema,
} from "@infinity-pool/proto/infinitypool/v1/greeting_pb.js";

/**
 * One gRPC Length-Prefixed-Message: a flags byte (1 = compressed), the length as a 4-byte big-endian
 * unsigned integer, then the message (gRPC over HTTP/2 spec, "Requests").
 */
export function envelope(message: Uint8Array, flags = 0): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out[0] = flags;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

/** Starts WatchGreetings from `sinceId` on `session` and sends its whole request. */
export function rawWatch(
  session: http2.ClientHttp2Session,
  sinceId: bigint,
): http2.ClientHttp2Stream {
  const call = session.request({
    ":method": "POST",
    ":path": `/${GreetingService.typeName}/WatchGreetings`,
    "content-type": "application/grpc",
    te: "trailers",
  });
  const request = create(WatchGreetingsRequestSchema, { sinceId });
  call.end(envelope(toBinary(WatchGreetingsRequestSchema, request)));
  return call;
}
