import { once } from "node:events";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import type { Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { unaryGrpcHandler } from "./grpc-unary.ts";
import { http2StreamValues } from "./http2-stream.ts";
import type { ServiceRegistration } from "./services.ts";

export interface Server {
  readonly port: number;
  /**
   * Stops accepting connections, lets in-flight calls finish for up to `timeoutMs`, then closes
   * whatever is left. Resolves once no connection remains.
   */
  close(timeoutMs: number): Promise<void>;
}

export interface ServerOptions {
  host: string;
  port: number;
  services: readonly ServiceRegistration[];
  interceptors: Interceptor[];
  /** Serve unary gRPC calls without connect-node's pipeline (see grpc-unary.ts); default true. */
  unaryFastPath?: boolean;
}

// Requests of this API are tiny; a bound stops a client from making the server buffer megabytes.
const readMaxBytes = 1024 * 1024;

// gRPC, gRPC-Web and Connect share one cleartext HTTP/2 port (h2c with prior knowledge), which
// is what grpcurl -plaintext, buf curl --http2-prior-knowledge and in-cluster gRPC clients speak.
export async function startServer(options: ServerOptions): Promise<Server> {
  const connect = connectNodeAdapter({
    routes(router) {
      for (const { service, impl } of options.services) router.service(service, impl);
    },
    interceptors: options.interceptors,
    readMaxBytes,
    // Lets a streaming handler reset its stream when the client stops reading (see watch.ts).
    contextValues: http2StreamValues,
  });
  const unary =
    options.unaryFastPath === false
      ? () => false
      : unaryGrpcHandler(options.services, options.interceptors, { readMaxBytes });
  const server = http2.createServer((req, res) => {
    if (!unary(req, res)) connect(req, res);
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  server.listen(options.port, options.host);
  await once(server, "listening");

  return {
    port: (server.address() as AddressInfo).port,
    async close(timeoutMs) {
      const closed = once(server, "close");
      server.close();
      // GOAWAY tells clients to open new calls elsewhere while streams already started complete.
      for (const session of sessions) session.close();
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<"expired">((resolve) => {
        timer = setTimeout(() => resolve("expired"), timeoutMs);
      });
      const outcome = await Promise.race([closed.then(() => "drained" as const), expired]);
      clearTimeout(timer);
      if (outcome === "expired") {
        for (const session of sessions) session.destroy();
        await closed;
      }
    },
  };
}
