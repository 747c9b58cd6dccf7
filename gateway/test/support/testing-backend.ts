// An in-process gRPC server (connect-node, HTTP/2) for infinitypool.testing.v1.TestingService and
// grpc.health.v1.Health: it echoes what the gateway sent and returns any status on demand.
import { once } from "node:events";
import { createServer, type Http2Server } from "node:http2";
import type { AddressInfo } from "node:net";
import { create } from "@bufbuild/protobuf";
import { ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import {
  Health,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponseSchema,
} from "@infinity-pool/proto/grpc/health/v1/health_pb.js";
import { TestingService } from "@infinity-pool/proto/infinitypool/testing/v1/testing_pb.js";

export interface TestingBackend {
  port: number;
  target: string;
  /** Calls received, by method name. */
  calls: Map<string, number>;
  serving: boolean;
  close(): Promise<void>;
}

const forwarded = ["x-request-id", "traceparent", "tracestate", "authorization", "grpc-timeout"];

/** Starts the server on `host` (127.0.0.1) and `port` (a free one). */
export async function startTestingBackend(
  options: { host?: string; port?: number } = {},
): Promise<TestingBackend> {
  const calls = new Map<string, number>();
  const count = (name: string) => calls.set(name, (calls.get(name) ?? 0) + 1);
  const state = { serving: true };
  const routes = (router: ConnectRouter) => {
    router.service(TestingService, {
      echo(request, context) {
        count("Echo");
        const metadata: Record<string, string> = {};
        for (const name of forwarded) {
          const value = context.requestHeader.get(name);
          if (value !== null) metadata[name] = value;
        }
        return { request, metadata };
      },
      echoTags(request) {
        count("EchoTags");
        return { tags: request.tags.map((t) => `${request.prefix}${t}`) };
      },
      getShelf(request) {
        count("GetShelf");
        return { shelf: { name: request.name, theme: "fiction" } };
      },
      getBook(request) {
        count("GetBook");
        return { book: { name: request.name, title: request.view || "full", pages: 1 } };
      },
      createBook(request) {
        count("CreateBook");
        return { book: request.book, parent: request.parent, bookId: request.bookId };
      },
      updateBook(request) {
        count("UpdateBook");
        return { book: request.book, allowMissing: request.allowMissing };
      },
      archiveShelf(request) {
        count("ArchiveShelf");
        return { shelf: { name: request.name, theme: "archived" }, reason: request.reason };
      },
      deleteShelf() {
        count("DeleteShelf");
        return {};
      },
      async *streamEcho(request, context) {
        count("StreamEcho");
        context.signal.addEventListener("abort", () => count("StreamEcho:cancelled"), {
          once: true,
        });
        const intervalMs = request.interval
          ? Number(request.interval.seconds) * 1_000 + request.interval.nanos / 1e6
          : 0;
        for (let index = 0; index < request.count; index++) {
          if (index > 0 && intervalMs > 0) await abortableSleep(intervalMs, context.signal);
          yield { index, text: request.text };
          count("StreamEcho:sent");
        }
        if (request.hold) await abortableSleep(Number.POSITIVE_INFINITY, context.signal);
        if (request.code !== 0) {
          throw new ConnectError(`status ${request.code}`, request.code as ConnectError["code"]);
        }
      },
      async fail(request, context) {
        count("Fail");
        if (request.delayMs > 0) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, request.delayMs);
            context.signal.addEventListener("abort", () => {
              count(`Fail:cancelled:${request.delayMs}`);
              clearTimeout(timer);
              resolve();
            });
          });
        }
        if (request.code === 0) return { code: 0 };
        throw new ConnectError(
          request.message || `status ${request.code}`,
          request.code as ConnectError["code"],
        );
      },
    });
    router.service(Health, {
      check() {
        return create(HealthCheckResponseSchema, {
          status: state.serving
            ? HealthCheckResponse_ServingStatus.SERVING
            : HealthCheckResponse_ServingStatus.NOT_SERVING,
        });
      },
    });
  };
  const server: Http2Server = createServer(connectNodeAdapter({ routes }));
  const host = options.host ?? "127.0.0.1";
  server.listen(options.port ?? 0, host);
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    target: `dns:///${host}:${port}`,
    calls,
    get serving() {
      return state.serving;
    },
    set serving(value: boolean) {
      state.serving = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Established HTTP/2 sessions keep close() waiting; the tests are done with them.
        setTimeout(resolve, 500).unref();
      }),
  };
}

/** Resolves after `ms` (never, for Infinity) or once `signal` aborts, whichever comes first. */
function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = Number.isFinite(ms) ? setTimeout(resolve, ms) : undefined;
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
