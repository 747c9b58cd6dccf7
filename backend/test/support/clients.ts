import http2 from "node:http2";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Health } from "@infinity-pool/proto/grpc/health/v1/health_pb.js";
import { GreetingService } from "@infinity-pool/proto/infinitypool/v1/greeting_pb.js";

/** The write token every backend test process accepts (backend-process.ts sets WRITE_TOKENS). */
export const testWriteToken = "backend-test-token-2c7e";

/**
 * Generated clients over gRPC. They present `token` (default: the test token) as
 * `authorization: Bearer …` on every call, as the gateway does on writes; `token: null` sends none.
 */
export function clients(baseUrl: string, options: { token?: string | null } = {}) {
  const token = options.token === undefined ? testWriteToken : options.token;
  const transport = createGrpcTransport({
    baseUrl,
    interceptors:
      token === null
        ? []
        : [
            (next) => (req) => {
              req.header.set("authorization", `Bearer ${token}`);
              return next(req);
            },
          ],
  });
  return {
    greetings: createClient(GreetingService, transport),
    health: createClient(Health, transport),
  };
}

export interface RawHttp2Response {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * One HTTP/2 (h2c) request with any body, for Connect-protocol calls a generated client would
 * never send: `{"id":"0x1"}`, duplicate keys, bytes that are not UTF-8.
 */
export function http2Request(
  baseUrl: string,
  path: string,
  body: string | Uint8Array,
  headers: Record<string, string> = { "content-type": "application/json" },
): Promise<RawHttp2Response> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(baseUrl);
    session.on("error", reject);
    const stream = session.request({ ":method": "POST", ":path": path, ...headers });
    const chunks: Buffer[] = [];
    let status = 0;
    const responseHeaders: Record<string, string> = {};
    stream.on("response", (h) => {
      status = Number(h[":status"]);
      for (const [k, v] of Object.entries(h))
        if (!k.startsWith(":")) responseHeaders[k] = String(v);
    });
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("error", reject);
    stream.on("end", () => {
      session.close();
      resolve({ status, headers: responseHeaders, body: Buffer.concat(chunks).toString("utf8") });
    });
    stream.end(body);
  });
}

/** A Connect unary call with a JSON body, as curl would make it (https://connectrpc.com/docs/protocol). */
export function connectJson(
  baseUrl: string,
  method: string,
  body: string | Uint8Array,
  headers: Record<string, string> = {},
): Promise<RawHttp2Response> {
  return http2Request(baseUrl, `/infinitypool.v1.GreetingService/${method}`, body, {
    "content-type": "application/json",
    ...headers,
  });
}
