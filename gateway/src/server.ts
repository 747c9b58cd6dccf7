import { randomUUID } from "node:crypto";
import { once } from "node:events";
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { type DescService, type JsonValue, toJson } from "@bufbuild/protobuf";
import { WriteAuth } from "./auth.ts";
import { BackendClient, UpstreamError } from "./backend-client.ts";
import type { GatewayConfig } from "./config.ts";
import { deadlineFrom } from "./deadline.ts";
import { hasBody, readJsonBody } from "./http-body.ts";
import type { Logger } from "./logger.ts";
import { createMetrics, type GatewayMetrics } from "./metrics.ts";
import { buildOpenApi, operationalPaths } from "./openapi.ts";
import { buildRequest } from "./request-mapping.ts";
import { Router } from "./router.ts";
import { buildRoutes, type Route } from "./routes.ts";
import {
  badRequest,
  Code,
  codeNames,
  HttpError,
  httpStatusFromCode,
  publicMessage,
  statusBody,
} from "./status.ts";

export interface GatewayOptions {
  config: GatewayConfig;
  services: readonly DescService[];
  logger: Logger;
  version?: string;
}

const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;
// W3C Trace Context: version ff and all-zero trace or parent ids are invalid and must be dropped.
const traceparentPattern =
  /^(?!ff)[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;
const opsPaths = new Set(operationalPaths.map((p) => p.path));

function methodNotAllowed(method: string, allow: string): HttpError {
  return new HttpError(405, Code.UNIMPLEMENTED, `${method} is not allowed here`, { allow });
}

/** A client that went away mid-request: nothing to answer, and not a gateway fault. */
function clientAborted(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === "ECONNRESET";
}

/** Per-request facts gathered for the access log and metrics. */
interface Exchange {
  requestId: string;
  route: string;
  upstreamCode?: number;
  attempts?: number;
  errorMessage?: string;
}

/**
 * The HTTP/JSON gateway: an HTTP/1.1 server whose API routes are built from the google.api.http
 * annotations of the given services, plus health, readiness, metrics and the OpenAPI document.
 */
export class Gateway {
  readonly server: Server;
  readonly router: Router;
  readonly routes: readonly Route[];
  readonly metrics: GatewayMetrics;
  readonly backend: BackendClient;
  readonly openApi: Record<string, unknown>;
  private readonly openApiJson: string;
  private readonly config: GatewayConfig;
  private readonly log: Logger;
  private readonly auth: WriteAuth;
  private draining = false;
  private inflight = 0;
  private idleWaiters: (() => void)[] = [];
  private shutdownPromise: Promise<void> | undefined;

  constructor(options: GatewayOptions) {
    this.config = options.config;
    this.log = options.logger;
    this.routes = buildRoutes(options.services);
    this.router = new Router(this.routes, [...opsPaths]);
    this.metrics = createMetrics();
    this.auth = new WriteAuth(this.config.writeTokens);
    this.openApi = buildOpenApi(this.router.routes, "Infinity Pool API", options.version ?? "v1");
    this.openApiJson = JSON.stringify(this.openApi);
    this.backend = new BackendClient({
      target: this.config.backendAddress,
      maxAttempts: this.config.getMaxAttempts,
      refreshMs: this.config.backendRefreshMs,
      onAttempt: (method, code) =>
        this.metrics.upstream.inc({
          rpc: `${method.parent.typeName}/${method.name}`,
          code: codeNames[code] ?? String(code),
        }),
    });
    this.server = createServer(
      {
        keepAliveTimeout: this.config.keepAliveTimeoutMs,
        headersTimeout: this.config.headersTimeoutMs,
        requestTimeout: this.config.requestTimeoutMs,
        // How often the header and request timeouts are enforced (Node's default is 30 s).
        connectionsCheckingInterval: Math.min(1_000, this.config.headersTimeoutMs),
      },
      (req, res) => {
        void this.handle(req, res);
      },
    );
    // Without a listener Node answers an unknown Expect with a bare 417; dispatch sends it as JSON.
    this.server.on("checkExpectation", (req: IncomingMessage, res: ServerResponse) => {
      void this.handle(req, res);
    });
    // One more than allowed so an overflow is visible: Node silently drops headers past the limit.
    this.server.maxHeadersCount = this.config.maxHeaderCount + 1;
    this.server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) =>
      this.clientError(error, socket),
    );
  }

  get isDraining(): boolean {
    return this.draining;
  }

  async listen(): Promise<AddressInfo> {
    this.server.listen(this.config.port, this.config.host);
    await once(this.server, "listening");
    return this.server.address() as AddressInfo;
  }

  /**
   * Graceful stop: readiness fails at once, the listener keeps accepting for `delayMs` (time for
   * the load balancer to notice), then closes; in-flight requests get up to the shutdown timeout.
   */
  shutdown(delayMs = this.config.shutdownDelayMs): Promise<void> {
    this.shutdownPromise ??= (async () => {
      this.draining = true;
      this.log.info({ delayMs, inflight: this.inflight }, "draining");
      if (delayMs > 0) await sleep(delayMs);
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      this.server.closeIdleConnections();
      const idle = new Promise<void>((resolve) => {
        if (this.inflight === 0) resolve();
        else this.idleWaiters.push(resolve);
      });
      const timedOut = await Promise.race([
        idle.then(() => false),
        sleep(this.config.shutdownTimeoutMs).then(() => true),
      ]);
      if (timedOut) {
        this.log.warn({ inflight: this.inflight }, "shutdown timeout; closing open connections");
      }
      this.server.closeAllConnections();
      await closed;
      this.backend.close();
      this.log.info("gateway stopped");
    })();
    return this.shutdownPromise;
  }

  private clientError(error: NodeJS.ErrnoException, socket: Socket): void {
    if (error.code === "ECONNRESET" || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, message] =
      error.code === "HPE_HEADER_OVERFLOW"
        ? [431, "the request headers are too large"]
        : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
          ? [408, "the request was not received in time"]
          : [400, "malformed HTTP request"];
    const code = status === 408 ? Code.DEADLINE_EXCEEDED : Code.INVALID_ARGUMENT;
    const body = statusBody(code, message);
    this.metrics.requests.inc({ route: "(client error)", method: "", status });
    this.log.info({ status, error: error.code }, "rejected malformed request");
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    this.inflight++;
    const incomingId = req.headers["x-request-id"];
    const exchange: Exchange = {
      requestId:
        typeof incomingId === "string" && requestIdPattern.test(incomingId)
          ? incomingId
          : randomUUID(),
      route: "(unmatched)",
    };
    res.setHeader("x-request-id", exchange.requestId);
    if (this.draining) res.setHeader("connection", "close");
    res.once("close", () => this.finish(req, res, exchange, started));
    try {
      await this.dispatch(req, res, exchange);
    } catch (error) {
      this.fail(req, res, exchange, error);
    }
  }

  private finish(req: IncomingMessage, res: ServerResponse, ex: Exchange, started: number): void {
    const seconds = (performance.now() - started) / 1000;
    // A response that never completed means the client went away first.
    const status = res.writableFinished ? res.statusCode : 499;
    const method = req.method ?? "";
    this.metrics.requests.inc({ route: ex.route, method, status });
    this.metrics.duration.observe({ route: ex.route, method }, seconds);
    this.log.info(
      {
        requestId: ex.requestId,
        method,
        path: (req.url ?? "").split("?")[0],
        route: ex.route,
        status,
        ms: Math.round(seconds * 100_000) / 100,
        ...(ex.upstreamCode === undefined
          ? {}
          : { grpcCode: codeNames[ex.upstreamCode] ?? ex.upstreamCode }),
        ...(ex.attempts && ex.attempts > 1 ? { attempts: ex.attempts } : {}),
        ...(ex.errorMessage ? { error: ex.errorMessage } : {}),
        remote: req.socket.remoteAddress,
        // Behind the ALB: the client's address, and the id that joins this line to the ALB's logs.
        ...(req.headers["x-forwarded-for"] ? { forwardedFor: req.headers["x-forwarded-for"] } : {}),
        ...(req.headers["x-amzn-trace-id"] ? { amznTraceId: req.headers["x-amzn-trace-id"] } : {}),
      },
      "request",
    );
    this.inflight--;
    if (this.inflight === 0 && this.idleWaiters.length > 0) {
      for (const resolve of this.idleWaiters) resolve();
      this.idleWaiters = [];
    }
  }

  private send(res: ServerResponse, status: number, body: string, headers = {}): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(status, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
      ...headers,
    });
    res.end(body);
  }

  private fail(req: IncomingMessage, res: ServerResponse, ex: Exchange, error: unknown): void {
    if (error instanceof HttpError) {
      ex.errorMessage = error.message;
      // Refused before its body was read: closing beats letting Node read and discard the rest.
      const unread = hasBody(req) && !req.readableEnded ? { connection: "close" } : {};
      this.send(res, error.httpStatus, statusBody(error.code, error.message), {
        ...error.headers,
        ...unread,
      });
    } else if (clientAborted(error)) {
      // Not a gateway fault, and no one is left to answer; the access log line says 499.
      this.log.debug({ requestId: ex.requestId }, "client closed the connection mid-request");
      res.destroy();
    } else if (error instanceof UpstreamError) {
      ex.upstreamCode = error.code;
      ex.attempts = error.attempts;
      ex.errorMessage = error.message;
      const status = httpStatusFromCode(error.code);
      const code = status === 500 ? Code.INTERNAL : error.code;
      this.send(res, status, statusBody(code, publicMessage(error.code, error.message)));
    } else {
      this.log.error({ requestId: ex.requestId, err: error }, "unexpected gateway error");
      this.send(res, 500, statusBody(Code.INTERNAL, "internal error"));
    }
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse, ex: Exchange): Promise<void> {
    // A client that hangs up cancels its upstream call instead of leaving the backend working.
    const abort = new AbortController();
    res.once("close", () => {
      if (!res.writableFinished) abort.abort();
    });
    const url = req.url ?? "";
    if (!url.startsWith("/")) throw badRequest("the request target must be an absolute path");
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    const query = q < 0 ? "" : url.slice(q + 1);
    const method = req.method ?? "";
    const expect = req.headers.expect;
    if (expect !== undefined && expect.toLowerCase() !== "100-continue") {
      throw new HttpError(417, Code.INVALID_ARGUMENT, "only Expect: 100-continue is supported");
    }

    if (opsPaths.has(path)) {
      ex.route = path;
      // Node sends no body for HEAD whatever the handler writes.
      if (method !== "GET" && method !== "HEAD") throw methodNotAllowed(method, "GET, HEAD");
      return this.operational(path, res);
    }
    if (req.rawHeaders.length / 2 > this.config.maxHeaderCount) {
      throw new HttpError(431, Code.INVALID_ARGUMENT, "too many request headers");
    }
    const match = this.router.match(method, path);
    if (match.kind === "not-found") {
      throw new HttpError(404, Code.NOT_FOUND, "no route for this path");
    }
    if (match.kind === "method-not-allowed") throw methodNotAllowed(method, match.allow.join(", "));
    const route = match.route;
    ex.route = route.template.source;
    // Authenticate before reading the body: an anonymous client cannot make us buffer anything.
    if (route.write) this.auth.check(req.headers.authorization);
    let body: JsonValue | undefined;
    if (route.body.kind !== "none") {
      body = await readJsonBody(req, this.config.maxBodyBytes);
    } else if (hasBody(req)) {
      throw badRequest("this route takes no request body");
    }
    const request = buildRequest(route, match.rawValues, query, body);
    const grpcTimeout = req.headers["grpc-timeout"];
    const deadline = deadlineFrom(
      typeof grpcTimeout === "string" ? grpcTimeout : undefined,
      this.config.defaultDeadlineMs,
      this.config.maxDeadlineMs,
    );
    const metadata: Record<string, string> = { "x-request-id": ex.requestId };
    const traceparent = req.headers.traceparent;
    if (typeof traceparent === "string" && traceparentPattern.test(traceparent)) {
      metadata.traceparent = traceparent;
      const tracestate = req.headers.tracestate;
      if (typeof tracestate === "string" && tracestate.length <= 512) {
        metadata.tracestate = tracestate;
      }
    }
    const result = await this.backend.call(route.method, request, {
      deadline,
      metadata,
      retry: route.httpMethod === "GET",
      signal: abort.signal,
    });
    ex.upstreamCode = Code.OK;
    ex.attempts = result.attempts;
    const json = toJson(route.method.output, result.message, { alwaysEmitImplicit: true });
    let payload: JsonValue = json;
    if (route.responseField) {
      const field = route.responseField;
      const value = (json as Record<string, JsonValue>)[field.jsonName];
      payload = value ?? (field.fieldKind === "message" ? {} : null);
    }
    this.send(res, 200, JSON.stringify(payload));
  }

  private async operational(path: string, res: ServerResponse): Promise<void> {
    switch (path) {
      case "/healthz":
        return this.send(res, 200, '{"status":"ok"}');
      case "/readyz": {
        if (this.draining) return this.send(res, 503, '{"status":"draining"}');
        const ok = await this.backend.healthy("", 1_000);
        return ok
          ? this.send(res, 200, '{"status":"ready"}')
          : this.send(res, 503, '{"status":"backend unavailable"}');
      }
      case "/metrics": {
        const text = await this.metrics.registry.metrics();
        res.writeHead(200, { "content-type": this.metrics.registry.contentType });
        res.end(text);
        return;
      }
      default:
        return this.send(res, 200, this.openApiJson);
    }
  }
}
