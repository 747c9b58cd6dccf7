import { once } from "node:events";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { createServiceImplSpec, type Interceptor } from "@connectrpc/connect";
import { type ConnectNodeAdapterOptions, connectNodeAdapter } from "@connectrpc/connect-node";
import { atMost } from "@infinity-pool/runtime/signals";
import { unaryGrpcHandler } from "./grpc-unary.ts";
import { http2StreamValues } from "./http2-stream.ts";
import { strictJsonOptions } from "./protocol/strict-json.ts";
import type { ServiceRegistration } from "./services.ts";

/** A listening backend server. */
export interface Server {
  readonly port: number;
  /**
   * Stops accepting connections, lets in-flight calls finish for up to `timeoutMs`, then closes
   * whatever is left. Resolves once no connection remains.
   */
  close(timeoutMs: number): Promise<void>;
}

/** What startServer serves and where; port 0 picks a free port. */
export interface ServerOptions {
  host: string;
  port: number;
  services: readonly ServiceRegistration[];
  interceptors: Interceptor[];
  /**
   * Serve unary gRPC calls without connect-node's pipeline (see grpc-unary.ts); default true.
   * BACKEND_GRPC_FAST_PATH sets it.
   */
  unaryFastPath?: boolean;
}

// Requests of this API are tiny; a bound stops a client from making the server buffer megabytes.
const readMaxBytes = 1024 * 1024;

/**
 * Listens on cleartext HTTP/2 (h2c with prior knowledge, what grpcurl -plaintext, buf curl
 * --http2-prior-knowledge and in-cluster gRPC clients speak) and serves gRPC, gRPC-Web and Connect
 * for every registered service (https://connectrpc.com/docs/node/getting-started); request
 * messages above 1 MiB are refused with RESOURCE_EXHAUSTED. Resolves once listening.
 */
export async function startServer(options: ServerOptions): Promise<Server> {
  // One options object for both paths: the fast path refuses any option it does not implement.
  const handlerOptions: ConnectNodeAdapterOptions = {
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
  };
  // The fast path first: connectNodeAdapter writes its default acceptCompression (gzip, br) into
  // the object, a default the fast path leaves to connect (it never compresses; grpc-unary.ts).
  const unary = options.unaryFastPath === false ? () => false : unaryGrpcHandler(handlerOptions);
  // The context values reach a streaming handler its HTTP/2 stream, so it can reset the stream when
  // the client stops reading (http2-stream.ts). Streaming calls never take the unary fast path.
  const connect = connectNodeAdapter({ ...handlerOptions, contextValues: http2StreamValues });
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
