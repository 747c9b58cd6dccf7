import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { JsonValue, Message } from "@bufbuild/protobuf";
import type { Logger } from "@infinity-pool/runtime/logger";
import { atMost } from "@infinity-pool/runtime/signals";
import { Code } from "@infinity-pool/runtime/status";
import { AccessLog, accessLogLine, type Exchange } from "./access-log.ts";
import type { WriteAuth } from "./auth.ts";
import type { Backend, CallOptions } from "./backend.ts";
import type { GatewayConfig } from "./config.ts";
import { deadlineFrom } from "./deadline.ts";
import { hasBody, readJsonBody } from "./http-body.ts";
import { badRequest, HttpError, methodNotAllowed } from "./http-error.ts";
import { forwardedMetadata, requestIdOf } from "./metadata.ts";
import type { GatewayMetrics } from "./metrics.ts";
import { OperationalEndpoints } from "./operational.ts";
import { buildRequest } from "./request-mapping.ts";
import { renderResponse, writeJson } from "./response.ts";
import type { Router } from "./router.ts";
import type { Route } from "./routes.ts";
import { malformedRequestResponse, writeError } from "./status.ts";

/** Everything a Gateway works with; `start.ts` builds each part. */
export interface GatewayOptions {
  config: GatewayConfig;
  /** The API routes, from the services' google.api.http annotations. */
  router: Router;
  /** Where API calls go; closed when the gateway has drained. */
  backend: Backend;
  auth: WriteAuth;
  metrics: GatewayMetrics;
  /** The OpenAPI document served at /openapi.json. */
  openApi: Record<string, unknown>;
  logger: Logger;
}

/** One API request, read and checked, ready to be sent upstream. */
interface UpstreamCall {
  route: Route;
  request: Message;
  options: CallOptions;
}

/**
 * The HTTP/JSON gateway: an HTTP/1.1 server that answers API routes by calling the backend, plus
 * the operational endpoints (operational.ts). It owns the listener and the drain; reading a
 * request (http-body.ts, request-mapping.ts), forwarding metadata (metadata.ts), rendering the
 * answer (response.ts) and writing errors (status.ts) live beside it.
 */
export class Gateway {
  /** The node:http server, for its timeouts; `listen` and `shutdown` drive it. */
  readonly server: Server;
  readonly #config: GatewayConfig;
  readonly #router: Router;
  readonly #backend: Backend;
  readonly #auth: WriteAuth;
  readonly #metrics: GatewayMetrics;
  readonly #log: Logger;
  readonly #accessLog: AccessLog;
  readonly #operational: OperationalEndpoints;
  #draining = false;
  #inflight = 0;
  #idleWaiters: (() => void)[] = [];
  #shutdown: Promise<void> | undefined;

  constructor(options: GatewayOptions) {
    this.#config = options.config;
    this.#router = options.router;
    this.#backend = options.backend;
    this.#auth = options.auth;
    this.#metrics = options.metrics;
    this.#log = options.logger;
    this.#accessLog = new AccessLog(options.logger);
    this.#operational = new OperationalEndpoints({
      backend: options.backend,
      metrics: options.metrics,
      openApi: options.openApi,
      draining: () => this.#draining,
    });
    const config = this.#config;
    this.server = createServer(
      {
        keepAliveTimeout: config.keepAliveTimeoutMs,
        headersTimeout: config.headersTimeoutMs,
        requestTimeout: config.requestTimeoutMs,
        // How often the header and request timeouts are enforced (Node's default is 30 s).
        connectionsCheckingInterval: Math.min(1_000, config.headersTimeoutMs),
      },
      (req, res) => void this.#handle(req, res),
    );
    // Without a listener Node answers an unknown Expect with a bare 417; dispatch sends it as JSON.
    this.server.on("checkExpectation", (req: IncomingMessage, res: ServerResponse) => {
      void this.#handle(req, res);
    });
    // One more than allowed so an overflow is visible: Node silently drops headers past the limit.
    this.server.maxHeadersCount = config.maxHeaderCount + 1;
    this.server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) =>
      this.#clientError(error, socket),
    );
  }

  /** Starts listening on the configured host and port (0 picks a free port). */
  async listen(): Promise<AddressInfo> {
    this.server.listen(this.#config.port, this.#config.host);
    await once(this.server, "listening");
    return this.server.address() as AddressInfo;
  }

  /**
   * Graceful stop: readiness fails at once, the listener keeps accepting for `delayMs` (time for
   * the load balancer to notice), then closes; in-flight requests get up to the shutdown timeout,
   * then their connections are cut and the backend client is closed. Calling it again returns the
   * same promise.
   */
  shutdown(delayMs = this.#config.shutdownDelayMs): Promise<void> {
    this.#shutdown ??= this.#drain(delayMs);
    return this.#shutdown;
  }

  async #drain(delayMs: number): Promise<void> {
    this.#draining = true;
    this.#log.info({ delayMs, inflight: this.#inflight }, "draining");
    if (delayMs > 0) await sleep(delayMs);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const idle = new Promise<void>((resolve) => {
      if (this.#inflight === 0) resolve();
      else this.#idleWaiters.push(resolve);
    });
    if (!(await atMost(this.#config.shutdownTimeoutMs, idle))) {
      this.#log.warn({ inflight: this.#inflight }, "shutdown timeout; closing open connections");
    }
    this.server.closeAllConnections();
    await closed;
    this.#backend.close();
    this.#log.info("gateway stopped");
  }

  #clientError(error: NodeJS.ErrnoException, socket: Socket): void {
    if (error.code === "ECONNRESET" || !socket.writable) {
      socket.destroy();
      return;
    }
    const { status, response } = malformedRequestResponse(error.code);
    this.#metrics.requests.inc({ route: "(client error)", method: "", status });
    this.#log.info({ status, error: error.code }, "rejected malformed request");
    socket.end(response);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    this.#inflight++;
    const exchange: Exchange = { requestId: requestIdOf(req.headers), route: "(unmatched)" };
    // Headers every answer carries, errors included (CORS response headers belong here too).
    res.setHeader("x-request-id", exchange.requestId);
    if (this.#draining) res.setHeader("connection", "close");
    res.on("close", () => this.#finish(req, res, exchange, started));
    try {
      await this.#dispatch(req, res, exchange);
    } catch (error) {
      writeError(req, res, error, exchange, this.#log);
    }
  }

  #finish(req: IncomingMessage, res: ServerResponse, exchange: Exchange, started: number): void {
    const seconds = (performance.now() - started) / 1000;
    const line = accessLogLine(req, res, exchange, seconds);
    this.#metrics.requests.inc({ route: exchange.route, method: line.method, status: line.status });
    this.#metrics.duration.observe({ route: exchange.route, method: line.method }, seconds);
    this.#accessLog.write(line);
    this.#inflight--;
    if (this.#inflight === 0 && this.#idleWaiters.length > 0) {
      for (const resolve of this.#idleWaiters) resolve();
      this.#idleWaiters = [];
    }
  }

  /**
   * Routes one request: operational endpoints, then the API routes. A CORS preflight (OPTIONS)
   * would be answered before routing; a server-streaming route would branch at the end.
   */
  async #dispatch(req: IncomingMessage, res: ServerResponse, ex: Exchange): Promise<void> {
    const signal = cancelledWhenClientLeaves(req);
    const { path, query } = requestTarget(req);
    const method = req.method ?? "";
    if (this.#operational.serves(path)) {
      ex.route = path;
      return this.#operational.answer(method, path, res);
    }
    if (req.rawHeaders.length / 2 > this.#config.maxHeaderCount) {
      throw new HttpError(431, Code.INVALID_ARGUMENT, "too many request headers");
    }
    const match = this.#router.match(method, path);
    if (match.kind === "not-found") {
      throw new HttpError(404, Code.NOT_FOUND, "no route for this path");
    }
    if (match.kind === "method-not-allowed") throw methodNotAllowed(method, match.allow.join(", "));
    ex.route = match.route.template.source;
    const call = await this.#read(req, match.route, match.rawValues, query, ex.requestId, signal);
    return this.#unary(call, res, ex);
  }

  /** Authorises, reads and maps an API request into the upstream call it asks for. */
  async #read(
    req: IncomingMessage,
    route: Route,
    rawValues: string[],
    query: string,
    requestId: string,
    signal: AbortSignal,
  ): Promise<UpstreamCall> {
    // Authenticate before reading the body: an anonymous client cannot make us buffer anything.
    if (route.write) this.#auth.check(req.headers.authorization);
    let body: JsonValue | undefined;
    if (route.body.kind !== "none") {
      body = await readJsonBody(req, this.#config.maxBodyBytes);
    } else if (hasBody(req)) {
      throw badRequest("this route takes no request body");
    }
    const request = buildRequest(route, rawValues, query, body);
    const grpcTimeout = req.headers["grpc-timeout"];
    const deadline = deadlineFrom(
      typeof grpcTimeout === "string" ? grpcTimeout : undefined,
      this.#config.defaultDeadlineMs,
      this.#config.maxDeadlineMs,
    );
    return {
      route,
      request,
      options: {
        deadline,
        metadata: forwardedMetadata(req.headers, requestId),
        retry: route.httpMethod === "GET",
        signal,
      },
    };
  }

  /** A unary call answered with one JSON document. */
  async #unary(call: UpstreamCall, res: ServerResponse, ex: Exchange): Promise<void> {
    const result = await this.#backend.call(call.route.method, call.request, call.options);
    ex.upstreamCode = Code.OK;
    ex.attempts = result.attempts;
    writeJson(res, 200, renderResponse(call.route, result.message));
  }
}

/**
 * The request target split into raw path and raw query. Only origin-form targets (RFC 9112 §3.2.1)
 * are served; an unknown `Expect` is refused with 417 (RFC 9110 §10.1.1).
 */
function requestTarget(req: IncomingMessage): { path: string; query: string } {
  const url = req.url ?? "";
  if (!url.startsWith("/")) throw badRequest("the request target must be an absolute path");
  const expect = req.headers.expect;
  if (expect !== undefined && expect.toLowerCase() !== "100-continue") {
    throw new HttpError(417, Code.INVALID_ARGUMENT, "only Expect: 100-continue is supported");
  }
  const q = url.indexOf("?");
  return q < 0 ? { path: url, query: "" } : { path: url.slice(0, q), query: url.slice(q + 1) };
}

const connectionSignals = new WeakMap<Socket, AbortSignal>();

/**
 * Aborted when the client's connection closes: its upstream calls are cancelled. A client that
 * hangs up before its response ends closes the connection (HTTP/1.1 has no other way to cancel),
 * and so does every way the gateway gives up on a response (`destroy`). One signal serves all the
 * requests of a connection, so a request costs no AbortController and no listener of its own.
 */
function cancelledWhenClientLeaves(req: IncomingMessage): AbortSignal {
  const socket = req.socket;
  let signal = connectionSignals.get(socket);
  if (signal === undefined) {
    const abort = new AbortController();
    socket.once("close", () => abort.abort());
    signal = abort.signal;
    connectionSignals.set(socket, signal);
  }
  return signal;
}
