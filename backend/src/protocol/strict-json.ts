import type { DescMessage, JsonReadOptions } from "@bufbuild/protobuf";
import { decodeJsonText, readProtoJson } from "@infinity-pool/runtime/protojson";

/**
 * connect's JSON options for one method's input: the request's JSON is read by the project's one
 * ProtoJSON reader (`@infinity-pool/runtime/protojson`, the gateway's too) before protobuf-es
 * parses it. protobuf-es 2.17 (the newest release) reads 64-bit integers with `BigInt()` and
 * 32-bit ones with `Number()`, so `{"id":"0x1"}`, `" 1"` or `"+1"` were read as 1; and connect's
 * decoder replaces bytes that are not UTF-8 instead of refusing them.
 *
 * The seam: connect-es 2.x builds each method's JSON serialization with
 * `createJsonSerialization(method.input, jsonOptions)`, whose documented `textDecoder` option
 * turns the request bytes into the text protobuf-es' `fromJsonString` reads. This decoder
 * refuses (connect answers INVALID_ARGUMENT with the message) or returns the same document
 * with its numbers in the one form protobuf-es reads exactly. backend/test/strict-json.test.ts
 * pins the seam over Connect, gRPC-Web and gRPC with JSON.
 */
export function strictJsonOptions(input: DescMessage): Partial<JsonReadOptions> {
  const textDecoder = {
    decode(bytes?: Uint8Array): string {
      const text = decodeJsonText(bytes ?? new Uint8Array(0));
      return JSON.stringify(readProtoJson(input, text));
    },
  };
  // UniversalHandlerOptions types jsonOptions without the serialization's text codec fields.
  return { textDecoder } as Partial<JsonReadOptions>;
}
