import http2, {
  type Http2ServerRequest,
  type Http2ServerResponse,
  type IncomingHttpHeaders,
} from "node:http2";
import {
  type DescMessage,
  type DescMethod,
  type DescService,
  fromBinary,
  toBinary,
} from "@bufbuild/protobuf";
import {
  ConnectError,
  type ConnectRouter,
  createHandlerContext,
  createMethodImplSpec,
  createServiceImplSpec,
  type Interceptor,
  type MethodImpl,
  type MethodImplSpec,
  type ServiceImpl,
} from "@connectrpc/connect";
import {
  invokeUnaryImplementation,
  type UniversalHandler,
  validateUniversalHandlerOptions,
} from "@connectrpc/connect/protocol";
import { parseTimeout, setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";
import { errorMessage } from "@infinity-pool/runtime/errors";
import { Code } from "@infinity-pool/runtime/status";

/**
 * Answers unary gRPC calls (`application/grpc`, uncompressed) directly on Node's HTTP/2 request,
 * and returns false for everything else, which connect-node then serves: gRPC-Web, Connect,
 * streaming methods, compressed calls, unknown paths.
 *
 * Why it exists: connect-node runs every gRPC call, unary or not, through its streaming pipeline
 * of async iterables and abort signals. Measured on the 2-core bench machine, that was ~170 µs of
 * CPU per call against ~40 µs here, and it dominated the cost of `GET /` through the gateway.
 * Everything above the wire is connect's own code: createHandlerContext, the interceptor chain
 * and header handling of invokeUnaryImplementation, the grpc-timeout parser, the grpc-status
 * trailer encoder and the option defaults (validateUniversalHandlerOptions). Those entry points
 * are marked `@private` by connect (not covered by semver), so backend/package.json pins
 * @connectrpc/connect and connect-node exactly, and the backend tests send every edge case to
 * both paths and expect the same answers.
 *
 * It is built from the very options object given to `connectNodeAdapter` (the same `routes`,
 * `interceptors` and `readMaxBytes`) and throws UnsupportedHandlerOptionError at start for any
 * option it does not implement, so a new connect option cannot be skipped silently; operators can
 * turn it off with BACKEND_GRPC_FAST_PATH=false.
 *
 * Intended differences from connect-node, for the calls it serves:
 * - Responses are never compressed. connect answers `grpc-encoding: gzip` (or br) when the client
 *   accepts it and compresses messages of 1 KiB or more; here every message goes out as sent.
 * - A `grpc-timeout` longer than Node's timers hold (2^31-1 ms, ~24.8 days) means no deadline;
 *   connect would arm an overflowing timer, which fires at once.
 * - It only sees HTTP/2 requests (the backend serves h2c only).
 */
export function unaryGrpcHandler(
  options: ConnectNodeAdapterOptions,
): (req: Http2ServerRequest, res: Http2ServerResponse) => boolean {
  refuseUnsupported(options, "connectNodeAdapter");
  const { interceptors, readMaxBytes } = validateUniversalHandlerOptions(options);
  const methods = unaryMethods(options.routes);

  return (req, res) => {
    const headers = req.headers;
    const spec = req.method === "POST" ? methods.get(req.url) : undefined;
    if (
      spec === undefined ||
      !grpcContentTypes.has(headers["content-type"] ?? "") ||
      (headers["grpc-encoding"] !== undefined && headers["grpc-encoding"] !== "identity")
    ) {
      return false;
    }
    serve(spec, interceptors, req, res, readMaxBytes);
    return true;
  };
}

/** A handler option was given that the unary fast path does not implement. */
export class UnsupportedHandlerOptionError extends Error {
  override name = "UnsupportedHandlerOptionError";
  constructor(where: string, option: string) {
    super(
      `the unary gRPC fast path does not implement the ${where} option "${option}": ` +
        "implement it in backend/src/grpc-unary.ts with a test against connect-node, " +
        "or set BACKEND_GRPC_FAST_PATH=false",
    );
  }
}

// The options of connectNodeAdapter the fast path honours exactly as connect does, and those
// that do not concern the calls it serves (gRPC-Web, Connect, JSON and unmatched paths stay with
// connect). Everything else, including any option a future connect adds, is refused at start.
const honoured: Record<string, (value: unknown) => boolean> = {
  routes: () => true,
  interceptors: () => true,
  readMaxBytes: () => true,
  grpc: (enabled) => enabled !== false,
  grpcWeb: () => true,
  connect: () => true,
  requireConnectProtocolHeader: () => true,
  jsonOptions: () => true,
  fallback: () => true,
};

function refuseUnsupported(options: object | undefined, where: string, allowed = honoured): void {
  for (const [name, value] of Object.entries(options ?? {})) {
    if (value === undefined) continue;
    if (!allowed[name]?.(value)) throw new UnsupportedHandlerOptionError(where, name);
  }
}

/**
 * The unary methods the routes register, by request path. A router that records what `routes`
 * registers, so both paths serve the same implementations; per-service or per-method options
 * apply to connect's handlers only and are refused.
 */
function unaryMethods(routes: ConnectNodeAdapterOptions["routes"]): Map<string, UnarySpec> {
  const methods = new Map<string, UnarySpec>();
  const add = (spec: MethodImplSpec | undefined) => {
    if (spec?.kind === "unary") {
      methods.set(`/${spec.method.parent.typeName}/${spec.method.name}`, spec);
    }
  };
  const recorder: ConnectRouter = {
    handlers: [] as UniversalHandler[],
    service<T extends DescService>(service: T, impl: Partial<ServiceImpl<T>>, options?: object) {
      refuseUnsupported(options, `router.service(${service.typeName})`, {
        jsonOptions: () => true,
      });
      const spec = createServiceImplSpec(service, impl);
      for (const method of service.methods) add(spec.methods[method.localName]);
      return this;
    },
    rpc<M extends DescMethod>(method: M, impl: MethodImpl<M>, options?: object) {
      // JSON options concern only the JSON calls connect serves (server.ts reads JSON strictly).
      refuseUnsupported(options, `router.rpc(${method.name})`, { jsonOptions: () => true });
      add(createMethodImplSpec(method, impl));
      return this;
    },
  };
  routes(recorder);
  return methods;
}

type UnarySpec = MethodImplSpec & { kind: "unary" };

// connect-node answers both with `application/grpc+proto`; so does this path.
const grpcContentTypes = new Set(["application/grpc", "application/grpc+proto"]);
const responseContentType = "application/grpc+proto";
// Node's timers overflow past this and would fire at once; longer deadlines mean "no deadline".
const maxTimeoutMs = 2 ** 31 - 1;

// A finished call releases its deadline timer and signal listeners through abort(). connect
// aborts with no reason, which builds a DOMException with a stack trace on every call (~9 % of
// the backend's CPU in profiles); one ready-made reason is shared instead.
const callFinished = new ConnectError("the call has finished", Code.CANCELLED);

function serve(
  spec: UnarySpec,
  interceptors: Interceptor[],
  req: Http2ServerRequest,
  res: Http2ServerResponse,
  readMaxBytes: number,
): void {
  const method = spec.method;
  const timeout = parseTimeout(first(req.headers["grpc-timeout"]), Number.MAX_SAFE_INTEGER);
  const context = createHandlerContext({
    service: method.parent,
    method,
    protocolName: "grpc",
    requestMethod: "POST",
    url: req.url,
    ...(timeout.timeoutMs !== undefined && timeout.timeoutMs <= maxTimeoutMs
      ? { timeoutMs: timeout.timeoutMs }
      : {}),
    requestHeader: headerPairs(req.headers),
    responseHeader: { "content-type": responseContentType },
    responseTrailer: {},
  });
  let finished = false;
  let requestEnded = false;
  const onClose = () => {
    if (!finished) {
      finished = true;
      context.abort(
        new ConnectError(
          `the client closed the stream (HTTP/2 code ${req.stream.rstCode ?? 0})`,
          Code.CANCELLED,
        ),
      );
    }
  };
  req.once("close", onClose);

  const finish = (message: Uint8Array | undefined, error: ConnectError | undefined) => {
    if (finished) return;
    finished = true;
    req.off("close", onClose);
    context.abort(error ?? callFinished);
    const stream = res.stream;
    if (stream.destroyed || stream.closed) return;
    try {
      res.writeHead(200, headersToObject(context.responseHeader));
      // Compat responses always ask for trailers, so these go out after the body.
      res.addTrailers(headersToObject(setTrailerStatus(context.responseTrailer, error)));
      if (!requestEnded) {
        // Answered before the client finished sending (an oversized or surplus message): like
        // connect-node, reset the stream with NO_ERROR once the trailers are out so the upload
        // stops. Node's own wantTrailers listener sends them on setImmediate; this one runs later.
        stream.once("wantTrailers", () =>
          setImmediate(() => {
            if (!stream.destroyed && stream.state.remoteClose === 0) {
              stream.close(http2.constants.NGHTTP2_NO_ERROR);
            }
          }),
        );
      }
      if (message === undefined) res.end();
      else res.end(envelope(message));
    } catch {
      stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    }
  };
  const fail = (err: unknown) =>
    finish(
      undefined,
      err instanceof ConnectError
        ? err
        : new ConnectError("internal error", Code.INTERNAL, undefined, undefined, err),
    );

  if (timeout.error) {
    finish(undefined, timeout.error);
    req.resume();
    return;
  }
  // The deadline ends the call even while the implementation still runs.
  context.signal.addEventListener("abort", () => {
    if (!finished) finish(undefined, ConnectError.from(context.signal.reason));
  });

  const chunks: Buffer[] = [];
  let size = 0;
  let declared = -1;
  req.on("data", (chunk: Buffer) => {
    if (finished) return;
    chunks.push(chunk);
    size += chunk.length;
    if (declared < 0 && size >= 5) {
      declared = (chunks.length === 1 ? chunk : Buffer.concat(chunks, size)).readUInt32BE(1);
      // Like connect-node: refuse by the declared size before buffering the message.
      if (declared > readMaxBytes) finish(undefined, tooLarge(declared, readMaxBytes));
    } else if (declared >= 0 && size > 5 + declared + 5 + readMaxBytes) {
      // Room for this message and a whole second one: the answer is certain, stop buffering.
      try {
        unaryMessage(method.input, Buffer.concat(chunks, size), readMaxBytes);
      } catch (err) {
        fail(err);
      }
    }
  });
  req.once("end", () => {
    requestEnded = true;
    if (finished) return;
    // Anything thrown from here on, by the parser, an interceptor, the implementation or the
    // encoder, becomes the call's status instead of an uncaught exception.
    Promise.resolve()
      .then(() => {
        const input = unaryMessage(method.input, Buffer.concat(chunks, size), readMaxBytes);
        return invokeUnaryImplementation(spec, context, input as never, interceptors);
      })
      .then((output) => finish(toBinaryOrFail(method.output, output), undefined))
      .catch(fail);
  });
}

/**
 * The message of a unary request body: exactly one uncompressed length-prefixed message. The
 * checks and their wording follow connect-node's, in its order (split, decompress, parse, then
 * "one message only"), so a client cannot tell the two paths apart.
 */
function unaryMessage(schema: DescMessage, body: Buffer, readMaxBytes: number): unknown {
  if (body.length === 0) {
    throw new ConnectError(
      "protocol error: missing input message for unary method",
      Code.UNIMPLEMENTED,
    );
  }
  const only = readEnvelopeAt(body, 0, readMaxBytes);
  const message = fromBinaryOrFail(schema, only.data);
  if (only.end < body.length) {
    fromBinaryOrFail(schema, readEnvelopeAt(body, only.end, readMaxBytes).data);
    throw new ConnectError(
      "protocol error: received extra input message for unary method",
      Code.UNIMPLEMENTED,
    );
  }
  return message;
}

function readEnvelopeAt(body: Buffer, offset: number, readMaxBytes: number) {
  if (body.length - offset < 5) {
    throw new ConnectError("protocol error: incomplete envelope", Code.INVALID_ARGUMENT);
  }
  const flags = body[offset] ?? 0;
  const length = body.readUInt32BE(offset + 1);
  if (length > readMaxBytes) throw tooLarge(length, readMaxBytes);
  if (body.length - offset < 5 + length) {
    throw new ConnectError("protocol error: incomplete envelope", Code.INVALID_ARGUMENT);
  }
  if ((flags & 0b1) !== 0) {
    throw new ConnectError(
      "received compressed envelope, but do not know how to decompress",
      Code.INTERNAL,
    );
  }
  return { data: body.subarray(offset + 5, offset + 5 + length), end: offset + 5 + length };
}

function fromBinaryOrFail(schema: DescMessage, bytes: Uint8Array): unknown {
  try {
    return fromBinary(schema, bytes);
  } catch (e) {
    throw new ConnectError(`parse binary: ${errorMessage(e)}`, Code.INTERNAL);
  }
}

function toBinaryOrFail(schema: DescMessage, message: unknown): Uint8Array {
  try {
    return toBinary(schema, message as never);
  } catch (e) {
    throw new ConnectError(`serialize binary: ${errorMessage(e)}`, Code.INTERNAL);
  }
}

function tooLarge(length: number, readMaxBytes: number): ConnectError {
  return new ConnectError(
    `message size ${length} is larger than configured readMaxBytes ${readMaxBytes}`,
    Code.RESOURCE_EXHAUSTED,
  );
}

function envelope(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

// Pairs rather than a Headers object: createHandlerContext builds its own Headers from them.
function headerPairs(headers: IncomingHttpHeaders): [string, string][] {
  const out: [string, string][] = [];
  for (const name in headers) {
    if (name.startsWith(":")) continue;
    const value = headers[name];
    if (typeof value === "string") out.push([name, value]);
    else if (value !== undefined) for (const v of value) out.push([name, v]);
  }
  return out;
}

function headersToObject(headers: Headers): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  headers.forEach((value, name) => {
    out[name] = value;
  });
  // Headers joins repeated values with ", ", which would corrupt cookies.
  const cookies = headers.getSetCookie();
  if (cookies.length > 0) out["set-cookie"] = cookies;
  return out;
}

function first(value: string | string[] | undefined): string | null {
  return (Array.isArray(value) ? value[0] : value) ?? null;
}
