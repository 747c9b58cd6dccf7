import type { Http2ServerRequest, Http2ServerResponse, IncomingHttpHeaders } from "node:http2";
import {
  create,
  type DescMessage,
  type DescMethodUnary,
  type DescService,
  fromBinary,
  toBinary,
} from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createContextKey,
  createContextValues,
  createHandlerContext,
  createServiceImplSpec,
  type HandlerContext,
  type Interceptor,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { parseTimeout, setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import type { ServiceRegistration } from "./services.ts";

/**
 * Answers unary gRPC calls (`application/grpc`, uncompressed) directly on Node's HTTP/2 request,
 * and returns false for everything else, which connect-node then serves: gRPC-Web, Connect,
 * streaming methods, compressed calls, unknown paths.
 *
 * Why it exists: connect-node runs every gRPC call, unary or not, through its streaming pipeline
 * of async iterables and abort signals. Measured on the 2-core bench machine, that was ~170 µs of
 * CPU per call against ~40 µs here, and it dominated the cost of `GET /` through the gateway.
 * The contract parts are still connect's: the same service implementations, interceptors and
 * handler context, connect's grpc-timeout parser and grpc-status trailer encoder. The backend
 * tests send every edge case to both paths and expect the same answers.
 */
export function unaryGrpcHandler(
  services: readonly ServiceRegistration[],
  interceptors: readonly Interceptor[],
  options: { readMaxBytes: number; maxTimeoutMs?: number },
): (req: Http2ServerRequest, res: Http2ServerResponse) => boolean {
  const methods = new Map<string, UnaryMethod>();
  for (const { service, impl } of services) {
    const spec = createServiceImplSpec(service, impl);
    for (const candidate of service.methods) {
      const methodSpec = spec.methods[candidate.localName];
      if (candidate.methodKind !== "unary" || methodSpec === undefined) continue;
      const method = candidate as DescMethodUnary;
      const call = methodSpec.impl as (req: unknown, ctx: HandlerContext) => unknown;
      methods.set(`/${service.typeName}/${method.name}`, {
        service,
        method,
        invoke: chain(interceptors, async (req) => {
          const output = await call(req.message, req.contextValues.get(handlerContextKey) as never);
          return {
            stream: false,
            service,
            method,
            header: new Headers(),
            trailer: new Headers(),
            message: create(method.output, output as never),
          } as UnaryResponse<DescMessage, DescMessage>;
        }),
      });
    }
  }
  const maxTimeoutMs = options.maxTimeoutMs ?? Number.MAX_SAFE_INTEGER;

  return (req, res) => {
    const headers = req.headers;
    const found = req.method === "POST" ? methods.get(req.url) : undefined;
    if (
      found === undefined ||
      !grpcContentTypes.has(headers["content-type"] ?? "") ||
      (headers["grpc-encoding"] !== undefined && headers["grpc-encoding"] !== "identity")
    ) {
      return false;
    }
    serve(found, req, res, options.readMaxBytes, maxTimeoutMs);
    return true;
  };
}

interface UnaryMethod {
  service: DescService;
  method: DescMethodUnary;
  invoke: (req: UnaryRequest<DescMessage, DescMessage>) => Promise<UnaryResponse>;
}

// connect-node answers both with `application/grpc+proto`; so does this path.
const grpcContentTypes = new Set(["application/grpc", "application/grpc+proto"]);
const responseContentType = "application/grpc+proto";

// The implementation reads its context from here, so interceptors see the same request object
// connect would give them.
const handlerContextKey = createContextKey<HandlerContext | undefined>(undefined, {
  description: "handler context",
});

// A finished call releases its deadline timer and signal listeners through abort(); a shared,
// ready-made reason avoids building a DOMException with a stack trace on every call.
const callFinished = new ConnectError("call finished", Code.Canceled);
const clientCancelled = new ConnectError("the client cancelled the call", Code.Canceled);

function serve(
  target: UnaryMethod,
  req: Http2ServerRequest,
  res: Http2ServerResponse,
  readMaxBytes: number,
  maxTimeoutMs: number,
): void {
  const { service, method } = target;
  const timeout = parseTimeout(first(req.headers["grpc-timeout"]), maxTimeoutMs);
  const context = createHandlerContext({
    service,
    method,
    protocolName: "grpc",
    requestMethod: "POST",
    url: req.url,
    timeoutMs: timeout.timeoutMs,
    requestHeader: toHeaders(req.headers),
    responseHeader: { "content-type": responseContentType },
    responseTrailer: {},
    contextValues: createContextValues(),
  });
  context.values.set(handlerContextKey, context);
  let finished = false;
  const onClose = () => {
    if (!finished) context.abort(clientCancelled);
  };
  req.once("close", onClose);

  const finish = (message: Uint8Array | undefined, error: ConnectError | undefined) => {
    if (finished) return;
    finished = true;
    req.off("close", onClose);
    context.abort(error ?? callFinished);
    if (res.stream.destroyed || res.stream.closed) return;
    const header = headersToObject(context.responseHeader);
    const trailer = headersToObject(setTrailerStatus(context.responseTrailer, error));
    res.writeHead(200, header);
    // Compat responses always ask for trailers, so these go out after the body.
    res.addTrailers(trailer);
    if (message === undefined) res.end();
    else res.end(envelope(message));
  };

  if (timeout.error) {
    finish(undefined, timeout.error);
    req.resume();
    return;
  }
  // The deadline (or a cancelled stream) ends the call even while the implementation still runs.
  context.signal.addEventListener("abort", () => {
    const reason = context.signal.reason;
    if (reason !== callFinished && reason !== clientCancelled) {
      finish(undefined, ConnectError.from(reason));
    }
  });

  const chunks: Buffer[] = [];
  let size = 0;
  let declared = -1;
  req.on("data", (chunk: Buffer) => {
    if (finished) return;
    chunks.push(chunk);
    size += chunk.length;
    if (declared < 0 && size >= 5) {
      const head = chunks.length === 1 ? chunk : Buffer.concat(chunks, size);
      declared = head.readUInt32BE(1);
      // Like connect-node: refuse by the declared size before buffering the message.
      if (declared > readMaxBytes) {
        finish(undefined, tooLarge(declared, readMaxBytes));
        return;
      }
    }
    // The header of a second message is enough to know the request is bad; stop buffering.
    if (declared >= 0 && size >= 5 + declared + 5) finish(undefined, extraMessage());
  });
  req.once("end", () => {
    if (finished) return;
    let input: unknown;
    try {
      input = parseUnary(method.input, Buffer.concat(chunks, size));
    } catch (err) {
      finish(undefined, ConnectError.from(err, Code.Internal));
      return;
    }
    target
      .invoke({
        stream: false,
        service,
        method,
        requestMethod: "POST",
        url: req.url,
        signal: context.signal,
        header: context.requestHeader,
        contextValues: context.values,
        message: input as never,
      })
      .then(
        (response) => {
          mergeInto(context.responseHeader, response.header);
          mergeInto(context.responseTrailer, response.trailer);
          finish(toBinary(method.output, response.message), undefined);
        },
        (err: unknown) =>
          finish(
            undefined,
            err instanceof ConnectError
              ? err
              : new ConnectError("internal error", Code.Internal, undefined, undefined, err),
          ),
      );
  });
}

/**
 * A unary request carries exactly one uncompressed length-prefixed message. Errors and their
 * wording are connect-node's, so a client cannot tell the two paths apart.
 */
function parseUnary(schema: DescMessage, body: Buffer): unknown {
  if (body.length === 0) {
    throw new ConnectError(
      "protocol error: missing input message for unary method",
      Code.Unimplemented,
    );
  }
  if (body.length < 5 || body.length < 5 + body.readUInt32BE(1)) {
    throw new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument);
  }
  const length = body.readUInt32BE(1);
  if (body.length > 5 + length) throw extraMessage();
  if (((body[0] ?? 0) & 0b1) !== 0) {
    throw new ConnectError(
      "received compressed envelope, but do not know how to decompress",
      Code.Internal,
    );
  }
  try {
    return fromBinary(schema, body.subarray(5));
  } catch (e) {
    throw new ConnectError(
      `parse binary: ${e instanceof Error ? e.message : String(e)}`,
      Code.Internal,
    );
  }
}

function tooLarge(length: number, readMaxBytes: number): ConnectError {
  return new ConnectError(
    `message size ${length} is larger than configured readMaxBytes ${readMaxBytes}`,
    Code.ResourceExhausted,
  );
}

function extraMessage(): ConnectError {
  return new ConnectError(
    "protocol error: received extra input message for unary method",
    Code.Unimplemented,
  );
}

function envelope(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

function toHeaders(headers: IncomingHttpHeaders): Headers {
  const out = new Headers();
  for (const name in headers) {
    if (name.startsWith(":")) continue;
    const value = headers[name];
    if (typeof value === "string") out.append(name, value);
    else if (value !== undefined) for (const v of value) out.append(name, v);
  }
  return out;
}

function headersToObject(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    out[name] = value;
  });
  return out;
}

function mergeInto(target: Headers, source: Headers): void {
  source.forEach((value, name) => {
    target.set(name, value);
  });
}

function first(value: string | string[] | undefined): string | null {
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

function chain(
  interceptors: readonly Interceptor[],
  last: (req: UnaryRequest<DescMessage, DescMessage>) => Promise<UnaryResponse>,
): (req: UnaryRequest<DescMessage, DescMessage>) => Promise<UnaryResponse> {
  let next = last as unknown as Parameters<Interceptor>[0];
  for (let i = interceptors.length - 1; i >= 0; i--) {
    next = (interceptors[i] as Interceptor)(next);
  }
  return next as unknown as (req: UnaryRequest<DescMessage, DescMessage>) => Promise<UnaryResponse>;
}
