import { once } from "node:events";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { createServiceImplSpec, type Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { atMost } from "@infinity-pool/runtime/signals";
import { unaryGrpcHandler } from "./grpc-unary.ts";
import { strictJsonOptions } from "./protocol/strict-json.ts";
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
      // Method by method, so each one's JSON is read against its own input message.
      for (const { service, impl } of options.services) {
        const spec = createServiceImplSpec(service, impl);
        for (const method of service.methods) {
          const methodSpec = spec.methods[method.localName];
          if (methodSpec === undefined) continue;
          router.rpc(method, methodSpec.impl as never, {
            jsonOptions: strictJsonOptions(method.input),
          });
        }
      }
    },
    interceptors: options.interceptors,
    readMaxBytes,
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
      if (!(await atMost(timeoutMs, closed))) {
        for (const session of sessions) session.destroy();
        await closed;
      }
    },
  };
}
