// The unary fast path must not drift from connect: it is built from connect-node's own options
// object and refuses any option it does not implement, connect is pinned exactly (the fast path
// imports entry points connect marks @private), and operators can switch it off.
import { readFileSync } from "node:fs";
import http2 from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { createContextValues } from "@connectrpc/connect";
import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";
import {
  GreetingService,
  SayHelloRequestSchema,
} from "@infinity-pool/proto/infinitypool/v1/greeting_pb.js";
import { afterAll, describe, expect, it } from "vitest";
import { UnsupportedHandlerOptionError, unaryGrpcHandler } from "../src/grpc-unary.ts";
import { type BackendProcess, startBackend } from "./support/backend-process.ts";
import { envelope } from "./support/grpc-wire.ts";

const routes: ConnectNodeAdapterOptions["routes"] = (router) => {
  router.service(GreetingService, { sayHello: () => ({ message: "ok" }) });
};

describe("the fast path's options", () => {
  // Options connect 2.3's gRPC handler applies (UniversalHandlerOptions, ConnectRouterOptions,
  // ConnectNodeAdapterOptions) that the fast path does not implement.
  const unsupported: [string, Partial<ConnectNodeAdapterOptions>][] = [
    ["requestGate", { requestGate: () => {} }],
    ["contextValues", { contextValues: () => createContextValues() }],
    ["shutdownSignal", { shutdownSignal: new AbortController().signal }],
    ["maxTimeoutMs", { maxTimeoutMs: 1_000 }],
    ["writeMaxBytes", { writeMaxBytes: 1_024 }],
    ["binaryOptions", { binaryOptions: { readUnknownFields: false } }],
    ["acceptCompression", { acceptCompression: [] }],
    ["compressMinBytes", { compressMinBytes: 10 }],
    ["requestPathPrefix", { requestPathPrefix: "/api" }],
    ["grpc", { grpc: false }],
  ];

  it.each(unsupported)("refuses %s at start, naming it", (name, option) => {
    expect(() => unaryGrpcHandler({ routes, ...option })).toThrow(UnsupportedHandlerOptionError);
    expect(() => unaryGrpcHandler({ routes, ...option })).toThrow(`option "${name}"`);
  });

  it("refuses an option it has never heard of, as a future connect release may add", () => {
    const future = { routes, someNewOption: true } as ConnectNodeAdapterOptions;
    expect(() => unaryGrpcHandler(future)).toThrow('option "someNewOption"');
  });

  it("refuses per-service and per-method options, which only connect's handlers would apply", () => {
    expect(() =>
      unaryGrpcHandler({
        routes: (router) => router.service(GreetingService, {}, { readMaxBytes: 10 }),
      }),
    ).toThrow('router.service(infinitypool.v1.GreetingService) option "readMaxBytes"');
    expect(() =>
      unaryGrpcHandler({
        routes: (router) =>
          router.rpc(GreetingService.method.sayHello, () => ({}), { interceptors: [] }),
      }),
    ).toThrow('router.rpc(SayHello) option "interceptors"');
  });

  it("accepts the options it implements and those that do not concern unary gRPC", () => {
    expect(() =>
      unaryGrpcHandler({
        routes,
        interceptors: [],
        readMaxBytes: 1024,
        grpc: true,
        grpcWeb: false,
        requireConnectProtocolHeader: true,
        jsonOptions: { ignoreUnknownFields: false },
        fallback: () => {},
      }),
    ).not.toThrow();
  });
});

describe("connect is pinned exactly", () => {
  const manifest = (path: string) =>
    JSON.parse(readFileSync(new URL(path, import.meta.url), "utf8")) as {
      version: string;
      dependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
    };

  it.each(["@connectrpc/connect", "@connectrpc/connect-node"])(
    "%s: the same exact version in every workspace, the one installed",
    (name) => {
      const installed = manifest(`../../node_modules/${name}/package.json`).version;
      for (const workspace of ["../package.json", "../../gateway/package.json"]) {
        const { dependencies = {}, devDependencies = {} } = manifest(workspace);
        const wanted = dependencies[name] ?? devDependencies[name];
        if (wanted !== undefined)
          expect(`${workspace}: ${wanted}`).toBe(`${workspace}: ${installed}`);
      }
    },
  );
});

describe("BACKEND_GRPC_FAST_PATH", () => {
  const started: BackendProcess[] = [];
  afterAll(async () => {
    for (const b of started) b.kill();
    await Promise.all(started.map((b) => b.exited));
  });

  // The path that answered shows in one intended difference: connect names the response
  // compression it negotiated (grpc-encoding) when the client accepts gzip; the fast path never
  // compresses.
  async function responseEncoding(backend: BackendProcess): Promise<unknown> {
    const session = http2.connect(backend.url);
    try {
      const req = session.request({
        ":method": "POST",
        ":path": `/${GreetingService.typeName}/SayHello`,
        "content-type": "application/grpc",
        "grpc-accept-encoding": "gzip",
        te: "trailers",
      });
      const message = toBinary(SayHelloRequestSchema, create(SayHelloRequestSchema));
      req.end(envelope(message));
      const [head] = await Promise.all([
        new Promise<http2.IncomingHttpHeaders>((r) => req.once("response", r)),
        new Promise<http2.IncomingHttpHeaders>((r) => req.once("trailers", r)),
        req.resume() && new Promise((r) => req.once("end", r)),
      ]);
      return head["grpc-encoding"];
    } finally {
      session.close();
    }
  }

  it("serves unary gRPC on the fast path by default and on connect-node when false", async () => {
    // One after the other: each runs PGlite migrations at start, which a busy machine feels.
    const fast = await startBackend();
    started.push(fast);
    const connect = await startBackend({
      env: { BACKEND_GRPC_FAST_PATH: "false" },
    });
    started.push(connect);
    expect(await responseEncoding(fast)).toBeUndefined();
    expect(await responseEncoding(connect)).toBe("gzip");
  }, 240_000);
});
