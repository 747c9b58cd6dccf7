import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
import { type JsonValue, type Message, toJson } from "@bufbuild/protobuf";
import type { Route } from "./routes.ts";

const noHeaders: OutgoingHttpHeaders = {};

/**
 * Writes a whole JSON response: `status`, `content-type: application/json`, the exact
 * `content-length` of `body` (UTF-8 bytes) and any extra `headers`. When headers already went out
 * (a failure mid-response) the connection is destroyed instead: the client sees a truncated answer
 * rather than two responses glued together.
 */
export function writeJson(
  res: ServerResponse,
  status: number,
  body: string,
  headers: OutgoingHttpHeaders = noHeaders,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const length = Buffer.byteLength(body);
  res.writeHead(
    status,
    headers === noHeaders
      ? { "content-type": "application/json", "content-length": length }
      : { "content-type": "application/json", "content-length": length, ...headers },
  );
  res.end(body);
}

/**
 * The JSON text answered for a route's response message: proto3 JSON with fields at their default
 * values written too (https://protobuf.dev/programming-guides/json/), reduced to the one field the
 * rule's `response_body` names when it names one (google/api/http.proto). An unset message field
 * renders as `{}`, any other unset field as `null`. A server-streaming route renders each message
 * with this function.
 */
export function renderResponse(route: Route, message: Message): string {
  const json = toJson(route.method.output, message, { alwaysEmitImplicit: true });
  const field = route.responseField;
  if (!field) return JSON.stringify(json);
  const value: JsonValue | undefined = (json as Record<string, JsonValue>)[field.jsonName];
  return JSON.stringify(value ?? (field.fieldKind === "message" ? {} : null));
}
