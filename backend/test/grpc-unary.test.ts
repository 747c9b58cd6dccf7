// The unary gRPC fast path (src/grpc-unary.ts) must answer exactly like connect-node. Two
// in-process servers share one PGlite database, one with the fast path and one without; every
// case goes to both over real HTTP/2 and the answers are compared.
import http2 from "node:http2";
import { gzipSync } from "node:zlib";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { HandlerContext, Interceptor } from "@connectrpc/connect";
import {
  CreateGreetingRequestSchema,
  GetGreetingRequestSchema,
  GreetingService,
  SayHelloRequestSchema,
  SayHelloResponseSchema,
} from "@infinity-pool/proto/infinitypool/v1/greeting_pb.js";
import { createLogger } from "@infinity-pool/runtime/logger";
import { Code } from "@infinity-pool/runtime/status";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { type Database, openDatabase } from "../src/db/database.ts";
import { GreetingFeed } from "../src/greetings/feed.ts";
import { HealthMonitor } from "../src/health.ts";
import { observe } from "../src/interceptors.ts";
import { type Server, startServer } from "../src/server.ts";
import { type ServiceRegistration, services } from "../src/services.ts";
import { envelope } from "./support/grpc-wire.ts";

interface Answer {
  httpStatus: number;
  contentType: string | undefined;
  grpcStatus: string | undefined;
  grpcMessage: string | undefined;
  body: Buffer;
  head: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders;
}

function call(
  port: number,
  path: string,
  body: Buffer,
  headers: http2.OutgoingHttpHeaders = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", reject);
    const req = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
      ...headers,
    });
    const chunks: Buffer[] = [];
    let head: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    req.on("response", (h) => {
      head = h;
    });
    req.on("trailers", (t) => {
      trailers = t;
    });
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("error", reject);
    req.on("close", () => {
      session.close();
      const status = trailers["grpc-status"] ?? head["grpc-status"];
      const message = trailers["grpc-message"] ?? head["grpc-message"];
      resolve({
        httpStatus: Number(head[":status"]),
        contentType: head["content-type"] as string | undefined,
        grpcStatus: status as string | undefined,
        grpcMessage: typeof message === "string" ? decodeURIComponent(message) : undefined,
        body: Buffer.concat(chunks),
        head,
        trailers,
      });
    });
    req.end(body);
  });
}

const sayHello = `/${GreetingService.typeName}/SayHello`;
const getGreeting = `/${GreetingService.typeName}/GetGreeting`;
const createGreeting = `/${GreetingService.typeName}/CreateGreeting`;
const helloRequest = envelope(toBinary(SayHelloRequestSchema, create(SayHelloRequestSchema)));
const log = createLogger({ service: "backend", level: "silent" });

let database: Database;
let health: HealthMonitor;
let feed: GreetingFeed;
const started: Server[] = [];

async function serve(
  fast: boolean,
  registrations: ServiceRegistration[],
  extra: Interceptor[] = [],
) {
  const server = await startServer({
    host: "127.0.0.1",
    port: 0,
    services: registrations,
    interceptors: [...extra, observe(log, health)],
    unaryFastPath: fast,
  });
  started.push(server);
  return server.port;
}

beforeAll(async () => {
  const config = loadConfig({});
  database = openDatabase(config.database, config.pool, log);
  await database.migrate();
  health = new HealthMonitor(database, 60_000, log);
  await health.start();
  feed = new GreetingFeed(database, config.watch, log);
});

afterAll(async () => {
  await Promise.all(started.map((s) => s.close(1_000)));
  health?.shutdown();
  await database?.close();
});

describe("unary gRPC fast path", () => {
  let fastPort: number;
  let connectPort: number;

  beforeAll(async () => {
    fastPort = await serve(true, services(database, health, feed));
    connectPort = await serve(false, services(database, health, feed));
  });

  const tooLong = Buffer.alloc(1024 * 1024 + 10, 0x61);
  const cases: [string, string, Buffer, http2.OutgoingHttpHeaders?][] = [
    ["a valid SayHello", sayHello, helloRequest],
    [
      "the +proto content type",
      sayHello,
      helloRequest,
      { "content-type": "application/grpc+proto" },
    ],
    [
      "a greeting that does not exist",
      getGreeting,
      envelope(
        toBinary(GetGreetingRequestSchema, create(GetGreetingRequestSchema, { id: 999_999n })),
      ),
    ],
    [
      "an invalid create request",
      createGreeting,
      envelope(
        toBinary(CreateGreetingRequestSchema, create(CreateGreetingRequestSchema, { text: "" })),
      ),
    ],
    ["an empty body", sayHello, Buffer.alloc(0)],
    ["a partial envelope header", sayHello, Buffer.from([0, 0, 0])],
    ["a truncated envelope", sayHello, Buffer.from([0, 0, 0, 0, 10, 1, 2, 3])],
    ["two messages for a unary method", sayHello, Buffer.concat([helloRequest, helloRequest])],
    ["a compressed flag without grpc-encoding", sayHello, envelope(new Uint8Array(), 1)],
    [
      "a valid message and two stray bytes",
      sayHello,
      Buffer.concat([helloRequest, Buffer.from([0, 0])]),
    ],
    [
      "bad protobuf followed by a second message",
      getGreeting,
      Buffer.concat([envelope(Buffer.from([0xff, 0xff])), helloRequest]),
    ],
    [
      "a compressed message followed by a second one",
      sayHello,
      Buffer.concat([envelope(new Uint8Array(), 1), helloRequest]),
    ],
    [
      "a second envelope declaring more than 1 MiB",
      sayHello,
      Buffer.concat([helloRequest, Buffer.from([0, 0, 0x20, 0, 0])]),
    ],
    ["bytes that are not protobuf", getGreeting, envelope(Buffer.from([0xff, 0xff, 0xff]))],
    ["a message over the 1 MiB limit", sayHello, envelope(tooLong)],
    ["a malformed grpc-timeout", sayHello, helloRequest, { "grpc-timeout": "soon" }],
    ["an unknown method", `/${GreetingService.typeName}/Nope`, helloRequest],
  ];

  it.each(cases)("answers %s exactly as connect-node does", async (_, path, body, headers) => {
    const [fast, reference] = await Promise.all([
      call(fastPort, path, body, headers),
      call(connectPort, path, body, headers),
    ]);
    expect(fast.httpStatus).toBe(reference.httpStatus);
    expect(fast.contentType).toBe(reference.contentType);
    expect(fast.grpcStatus).toBe(reference.grpcStatus);
    expect(fast.body.equals(reference.body)).toBe(true);
    expect(fast.grpcMessage).toBe(reference.grpcMessage);
  });

  it("answers SayHello with the stored greeting", async () => {
    const answer = await call(fastPort, sayHello, helloRequest);
    expect(answer.grpcStatus).toBe("0");
    const message = fromBinary(SayHelloResponseSchema, answer.body.subarray(5));
    expect(message.data?.greeting).toBe("Hello World");
  });

  it("leaves compressed calls and gRPC-Web to connect-node, which still serves them", async () => {
    const gzipped = envelope(
      gzipSync(toBinary(SayHelloRequestSchema, create(SayHelloRequestSchema))),
      1,
    );
    const compressed = await call(fastPort, sayHello, gzipped, { "grpc-encoding": "gzip" });
    expect(compressed.grpcStatus).toBe("0");
    const web = await call(fastPort, sayHello, helloRequest, {
      "content-type": "application/grpc-web+proto",
    });
    expect(web.httpStatus).toBe(200);
    // gRPC-Web carries its status in a trailer frame inside the body.
    expect(web.body.toString("latin1")).toContain("grpc-status: 0");
  });

  it("gives interceptors and implementations the same view on both paths", async () => {
    const seen: string[] = [];
    const record: Interceptor = (next) => async (req) => {
      seen.push(`${req.method.name} ${req.requestMethod} ${req.header.get("x-request-id")}`);
      req.header.set("x-added", "by-interceptor");
      const res = await next(req);
      seen.push(`interceptor sees x-impl=${res.header.get("x-impl")}`);
      res.header.delete("x-impl");
      res.header.append("set-cookie", "a=1");
      res.header.append("set-cookie", "b=2");
      res.trailer.set("x-trailer", "t");
      return res;
    };
    const echo: ServiceRegistration = {
      service: GreetingService,
      impl: {
        sayHello(_req: unknown, ctx: HandlerContext) {
          seen.push(`implementation sees x-added=${ctx.requestHeader.get("x-added")}`);
          ctx.responseHeader.set("x-impl", "1");
          return { message: "ok" };
        },
      },
    };
    const answers: string[] = [];
    for (const fast of [true, false]) {
      const port = await serve(fast, [echo], [record]);
      const { head: h, trailers: t } = await call(port, sayHello, helloRequest, {
        "x-request-id": "req-1",
      });
      answers.push(
        JSON.stringify([h["x-impl"], h["set-cookie"], t["x-trailer"], t["grpc-status"]]),
      );
    }
    expect(answers[0]).toBe(answers[1]);
    expect(answers[0]).toBe(JSON.stringify([undefined, ["a=1", "b=2"], "t", "0"]));
    expect(seen).toEqual([
      "SayHello POST req-1",
      "implementation sees x-added=by-interceptor",
      "interceptor sees x-impl=1",
      "SayHello POST req-1",
      "implementation sees x-added=by-interceptor",
      "interceptor sees x-impl=1",
    ]);
  });

  it("turns a throwing interceptor or an unencodable answer into a status, as connect does", async () => {
    const throwing: Interceptor = () => () => {
      throw new Error("interceptor bug");
    };
    const unencodable: ServiceRegistration = {
      service: GreetingService,
      impl: {
        getGreeting: () => ({
          greeting: { id: 1n, text: "x", createTime: { seconds: 0n, nanos: 1.5 } },
        }),
      },
    };
    const request = envelope(
      toBinary(GetGreetingRequestSchema, create(GetGreetingRequestSchema, { id: 1n })),
    );
    for (const [registrations, extra] of [
      [services(database, health, feed), [throwing]],
      [[unencodable], []],
    ] as const) {
      const fast = await serve(true, [...registrations], [...extra]);
      const reference = await serve(false, [...registrations], [...extra]);
      const [a, b] = await Promise.all([
        call(fast, getGreeting, request),
        call(reference, getGreeting, request),
      ]);
      expect(a.grpcStatus).toBe(String(Code.INTERNAL));
      expect([a.grpcStatus, a.grpcMessage]).toEqual([b.grpcStatus, b.grpcMessage]);
    }
  });

  it("stops a client that keeps uploading after an oversized message was refused", async () => {
    const session = http2.connect(`http://127.0.0.1:${fastPort}`);
    const req = session.request({
      ":method": "POST",
      ":path": sayHello,
      "content-type": "application/grpc",
      te: "trailers",
    });
    const trailers = new Promise<http2.IncomingHttpHeaders>((r) => req.once("trailers", r));
    const closed = new Promise<void>((r) => req.once("close", () => r()));
    req.on("error", () => {});
    req.resume();
    req.write(Buffer.from([0, 0, 0x20, 0, 0]));
    const chunk = Buffer.alloc(64 * 1024);
    const timer = setInterval(() => req.write(chunk), 5);
    try {
      expect((await trailers)["grpc-status"]).toBe(String(Code.RESOURCE_EXHAUSTED));
      await closed;
    } finally {
      clearInterval(timer);
      session.destroy();
    }
  });
});

describe("unary gRPC fast path with a slow implementation", () => {
  const signals: { reason: unknown }[] = [];
  const slow: ServiceRegistration = {
    service: GreetingService,
    impl: {
      sayHello(_req: unknown, ctx: HandlerContext): Promise<never> {
        signals.push(ctx.signal);
        return new Promise(() => {});
      },
    },
  };

  it("answers DEADLINE_EXCEEDED when grpc-timeout passes, without waiting for the implementation", async () => {
    const port = await serve(true, [slow]);
    // The implementation never settles: only the deadline can produce an answer.
    const answer = await call(port, sayHello, helloRequest, { "grpc-timeout": "200m" });
    expect(answer.grpcStatus).toBe(String(Code.DEADLINE_EXCEEDED));
  });

  it("treats a deadline beyond what Node's timers hold as no deadline", async () => {
    const quick: ServiceRegistration = {
      service: GreetingService,
      impl: {
        sayHello: async () => {
          await new Promise((r) => setTimeout(r, 20));
          return { message: "ok" };
        },
      },
    };
    const port = await serve(true, [quick]);
    const answer = await call(port, sayHello, helloRequest, { "grpc-timeout": "1000H" });
    expect(answer.grpcStatus).toBe("0");
  });

  it("aborts the implementation's signal when the client cancels", async () => {
    const port = await serve(true, [slow]);
    signals.length = 0;
    const session = http2.connect(`http://127.0.0.1:${port}`);
    const req = session.request({
      ":method": "POST",
      ":path": sayHello,
      "content-type": "application/grpc",
      te: "trailers",
    });
    req.end(helloRequest);
    await expect.poll(() => signals.length).toBe(1);
    req.close(http2.constants.NGHTTP2_CANCEL);
    await expect.poll(() => (signals[0] as AbortSignal).aborted).toBe(true);
    expect(String((signals[0] as AbortSignal).reason)).toMatch(/cancel/);
    session.close();
  });
});
