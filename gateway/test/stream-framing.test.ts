import { create } from "@bufbuild/protobuf";
import { TestingService } from "@infinity-pool/proto/infinitypool/testing/v1/testing_pb.js";
import {
  GreetingService,
  WatchGreetingsResponseSchema,
} from "@infinity-pool/proto/infinitypool/v1/greeting_pb.js";
import { describe, expect, it } from "vitest";
import { buildRoutes, type Route } from "../src/routes.ts";
import {
  eventIdOf,
  ndjsonError,
  ndjsonResult,
  sseError,
  sseMessage,
  streamFormat,
} from "../src/stream-framing.ts";
import { resumedQuery } from "../src/stream-response.ts";

const watch = buildRoutes([GreetingService]).find(
  (r) => r.method.name === "WatchGreetings",
) as Route;
const streamEcho = buildRoutes([TestingService]).find(
  (r) => r.method.name === "StreamEcho",
) as Route;

describe("streamFormat", () => {
  it.each([
    [undefined, "ndjson"],
    ["*/*", "ndjson"],
    ["application/json", "ndjson"],
    ["application/x-ndjson", "ndjson"],
    // What EventSource sends.
    ["text/event-stream", "sse"],
    ["Text/Event-Stream", "sse"],
    ["text/event-stream;q=0.5, application/x-ndjson", "ndjson"],
    ["application/x-ndjson;q=0.2, text/event-stream;q=0.9", "sse"],
    ["text/event-stream;q=0", "ndjson"],
    ["text/html, text/event-stream, */*", "sse"],
  ])("Accept %s -> %s", (accept, format) => {
    expect(streamFormat(accept)).toBe(format);
  });
});

describe("frames", () => {
  it("NDJSON: one object per line, result or error, as grpc-gateway writes them", () => {
    expect(ndjsonResult('{"id":"1"}')).toBe('{"result":{"id":"1"}}\n');
    expect(ndjsonError('{"code":14,"message":"m","details":[]}')).toBe(
      '{"error":{"code":14,"message":"m","details":[]}}\n',
    );
  });

  it("SSE: data with an optional id, an error event, each ended by a blank line", () => {
    expect(sseMessage('{"a":1}', "7")).toBe('id: 7\ndata: {"a":1}\n\n');
    expect(sseMessage('{"a":1}', undefined)).toBe('data: {"a":1}\n\n');
    expect(sseError('{"code":8}')).toBe('event: error\ndata: {"code":8}\n\n');
  });
});

describe("stream_resumption", () => {
  it("is read from WatchGreetings' annotation; StreamEcho has none", () => {
    expect(watch.streaming).toBe(true);
    expect(watch.resumption?.eventId.map((f) => f.name)).toEqual(["greeting", "id"]);
    expect(watch.resumption?.resumeField.name).toBe("since_id");
    expect(streamEcho.streaming).toBe(true);
    expect(streamEcho.resumption).toBeUndefined();
  });

  it("gives the event id from the message, none when the path is unset", () => {
    const resumption = watch.resumption as NonNullable<Route["resumption"]>;
    const message = create(WatchGreetingsResponseSchema, { greeting: { id: 42n, text: "x" } });
    expect(eventIdOf(resumption, message)).toBe("42");
    expect(eventIdOf(resumption, create(WatchGreetingsResponseSchema))).toBeUndefined();
  });

  it("lets Last-Event-ID replace the resume field the URL carries", () => {
    expect(resumedQuery(watch, "since_id=3", "9")).toBe("since_id=9");
    expect(resumedQuery(watch, "sinceId=3&x=%20y", "9")).toBe("x=%20y&since_id=9");
    expect(resumedQuery(watch, "", "12")).toBe("since_id=12");
    expect(resumedQuery(watch, "since_id=3", undefined)).toBe("since_id=3");
    // Without the option the header means nothing to the route.
    expect(resumedQuery(streamEcho, "count=2", "9")).toBe("count=2");
  });
});
