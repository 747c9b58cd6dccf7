import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { Message } from "@bufbuild/protobuf";
import type { Logger } from "@infinity-pool/runtime/logger";
import { atMost } from "@infinity-pool/runtime/signals";
import { Code } from "@infinity-pool/runtime/status";
import { AccessLog, accessLogLine, type Exchange } from "./access-log.ts";
import type { WriteAuth } from "./auth.ts";
import type { Backend, CallOptions } from "./backend.ts";
import type { GatewayConfig } from "./config.ts";
import { CorsPolicy } from "./cors.ts";
import { deadlineFrom } from "./deadline.ts";
import { DocsPage } from "./docs.ts";
import { hasBody, readJsonBody } from "./http-body.ts";
import { badRequest, HttpError, methodNotAllowed } from "./http-error.ts";
import { forwardedMetadata, requestIdOf } from "./metadata.ts";
import type { GatewayMetrics } from "./metrics.ts";
import { OperationalEndpoints } from "./operational.ts";
import { buildRequest } from "./request-mapping.ts";
import { requestTarget } from "./request-target.ts";
import { renderResponse, writeJson } from "./response.ts";
import type { Router } from "./router.ts";
import type { Route } from "./routes.ts";
import { malformedRequestResponse, writeError } from "./status.ts";
import { resumedQuery, StreamResponses } from "./stream-response.ts";

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

/** What the gateway keeps per client connection. */
interface ClientConnection {
  /** Requests whose responses have not closed yet, and what to do once there are none (#refuse). */
  open: Set<IncomingMessage>;
  whenIdle?: () => void;
  /**
   * Aborted when the connection closes: its upstream calls and streams are cancelled. A client that
   * hangs up before its response ends closes the connection (HTTP/1.1 has no other way to cancel),
   * and so does every way the gateway gives up on a response (`destroy`). One signal serves all
   * the requests of a connection, so a request costs no AbortController and no listener of its own.
   */
  signal: AbortSignal;
}

/** One API request, read and checked, ready to be sent upstream. */
interface UpstreamCall {
  route: Route;
  request: Message;
  options: CallOptions;
}

/**
 * The HTTP/JSON gateway: an HTTP/1.1 server that answers API routes by calling the backend, plus
 * the operational endpoints (operational.ts), and a second listener on the admin port for
 * /metrics and the probes, which no load balancer routes to. It owns the listener and the drain; reading a
 * request (http-body.ts, request-mapping.ts), forwarding metadata (metadata.ts), rendering the
 * answer (response.ts) and writing errors (status.ts) live beside it.
 */
export class Gateway {
  /** The node:http server, for its timeouts; `listen` and `shutdown` drive it. */
  readonly server: Server;
  /** The admin listener (GATEWAY_ADMIN_PORT): /metrics, /healthz, /readyz. */
  readonly #adminServer: Server;
  readonly #config: GatewayConfig;
  readonly #router: Router;
  readonly #backend: Backend;
  readonly #auth: WriteAuth;
  readonly #metrics: GatewayMetrics;
  readonly #log: Logger;
  readonly #accessLog: AccessLog;
  readonly #operational: OperationalEndpoints;
  readonly #docs = new DocsPage();
  readonly #cors: CorsPolicy;
  readonly #streams: StreamResponses;
  #draining = false;
  #inflight = 0;
  #idleWaiters: (() => void)[] = [];
  #shutdown: Promise<void> | undefined;
  readonly #connections = new WeakMap<Socket, ClientConnection>();

  constructor(options: GatewayOptions) {
    this.#config = options.config;
    this.#router = options.router;
    this.#backend = options.backend;
    this.#auth = options.auth;
    this.#metrics = options.metrics;
    this.#log = options.logger;
    this.#cors = new CorsPolicy(
      options.config.corsAllowedOrigins,
      options.router.routes.map((r) => r.httpMethod),
    );
    this.#accessLog = new AccessLog(options.logger);
    this.#operational = new OperationalEndpoints({
      metrics: options.metrics,
      openApi: options.openApi,
      draining: () => this.#draining,
    });
    this.#streams = new StreamResponses({
      backend: options.backend,
      metrics: options.metrics,
      log: options.logger,
      maxLifetimeMs: options.config.streamMaxLifetimeMs,
      heartbeatMs: options.config.sseHeartbeatMs,
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
    // Without a listener Node drops a CONNECT without a word; the gateway is not a proxy.
    this.server.on("connect", (_req: IncomingMessage, socket: Socket) => {
      const { status, response } = malformedRequestResponse("CONNECT");
      this.#refuse(socket, status, "CONNECT", response);
    });
    this.#adminServer = createServer(
      { keepAliveTimeout: config.keepAliveTimeoutMs, requestTimeout: config.requestTimeoutMs },
      (req, res) => void this.#handleAdmin(req, res),
    );
  }

  /**
   * Starts listening on the configured host, public port and admin port (0 picks a free port);
   * resolves with the public port's address.
   */
  async listen(): Promise<AddressInfo> {
    this.server.listen(this.#config.port, this.#config.host);
    await once(this.server, "listening");
    this.#adminServer.listen(this.#config.adminPort, this.#config.host);
    await once(this.#adminServer, "listening");
    return this.server.address() as AddressInfo;
  }

  /** The admin listener's address, once `listen` has resolved. */
  adminAddress(): AddressInfo {
    return this.#adminServer.address() as AddressInfo;
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
    // Streams never finish by themselves: each ends now with a final event telling its client to
    // reconnect, which the load balancer sends to another gateway.
    this.#streams.closeAll();
    const idle = new Promise<void>((resolve) => {
      if (this.#inflight === 0) resolve();
      else this.#idleWaiters.push(resolve);
    });
    if (!(await atMost(this.#config.shutdownTimeoutMs, idle))) {
      this.#log.warn({ inflight: this.#inflight }, "shutdown timeout; closing open connections");
    }
    this.server.closeAllConnections();
    await closed;
    // Last: /readyz on the admin port reports the drain until the very end.
    this.#adminServer.closeAllConnections();
    await new Promise<void>((resolve) => this.#adminServer.close(() => resolve()));
    this.#backend.close();
    this.#log.info("gateway stopped");
  }

  #clientError(error: NodeJS.ErrnoException, socket: Socket): void {
    if (error.code === "ECONNRESET" || !socket.writable) {
      socket.destroy();
      return;
    }
    const { status, response } = malformedRequestResponse(error.code);
    this.#refuse(socket, status, error.code, response);
  }

  /**
   * Answers a request Node's parser refused, then closes the connection. Requests pipelined before
   * it on the same connection are answered first (RFC 9112 §9.3.2: responses in request order):
   * a write already committed must not lose its 200 to the bad request that followed it.
   */
  #refuse(socket: Socket, status: number, reason: string | undefined, response: string): void {
    this.#metrics.requests.inc({ route: "(client error)", method: "", status });
    this.#log.info({ status, error: reason }, "rejected malformed request");
    const answer = () => {
      if (socket.writable) socket.end(response);
      else socket.destroy();
    };
    const open = this.#connections.get(socket);
    // A request still missing part of its body can never complete now: answer at once, which
    // ends it too. Requests read in full are answered first.
    if (open && open.open.size > 0 && [...open.open].every((r) => r.complete)) {
      open.whenIdle = answer;
    } else {
      answer();
    }
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    this.#inflight++;
    const exchange: Exchange = { requestId: requestIdOf(req.headers), route: "(unmatched)" };
    const socket = req.socket;
    let connection = this.#connections.get(socket);
    if (!connection) {
      const closed = new AbortController();
      socket.once("close", () => closed.abort());
      connection = { open: new Set(), signal: closed.signal };
      this.#connections.set(socket, connection);
    }
    connection.open.add(req);
    // Headers every answer carries, errors included (CORS response headers belong here too).
    res.setHeader("x-request-id", exchange.requestId);
    this.#cors.decorate(req, res);
    if (this.#draining) res.setHeader("connection", "close");
    res.on("close", () => {
      this.#finish(req, res, exchange, started);
      const c = connection;
      c.open.delete(req);
      if (c.open.size === 0 && c.whenIdle) {
        const answer = c.whenIdle;
        delete c.whenIdle;
        answer();
      }
    });
    try {
      await this.#dispatch(req, res, exchange, connection.signal);
    } catch (error) {
      writeError(req, res, error, exchange, this.#log);
    }
  }

  /** The admin port: its own endpoints only (404 JSON otherwise), no access log line. */
  async #handleAdmin(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const exchange: Exchange = { requestId: requestIdOf(req.headers), route: "(admin)" };
    try {
      const { path } = requestTarget(req);
      if (!this.#operational.serves(path, "admin")) {
        throw new HttpError(404, Code.NOT_FOUND, "no such endpoint on the admin port");
      }
      await this.#operational.answer(req.method ?? "", path, res);
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
  async #dispatch(
    req: IncomingMessage,
    res: ServerResponse,
    ex: Exchange,
    signal: AbortSignal,
  ): Promise<void> {
    const { path, query } = requestTarget(req);
    ex.path = path;
    const method = req.method ?? "";
    if (this.#cors.isPreflight(req)) {
      ex.route = "(CORS preflight)";
      return this.#cors.answerPreflight(req, res);
    }
    if (this.#operational.serves(path)) {
      ex.route = path;
      return this.#operational.answer(method, path, res);
    }
    if (this.#docs.serves(path)) {
      ex.route = "/docs";
      return this.#docs.answer(req, res, path);
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
    if (match.route.streaming) {
      const { route, request, options } = call;
      return this.#streams.serve(
        { route, request, metadata: options.metadata, signal },
        req,
        res,
        ex,
      );
    }
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
    const credentials = route.write
      ? this.#auth.check({
          authorization: req.headers.authorization,
          forwardedProto: req.headers["x-forwarded-proto"],
        })
      : undefined;
    let body: string | undefined;
    if (route.body.kind !== "none") {
      body = await readJsonBody(req, this.#config.maxBodyBytes);
    } else if (hasBody(req)) {
      throw badRequest("this route takes no request body");
    }
    // A reconnecting EventSource names the last event it saw; the stream resumes after it.
    const lastEventId = route.streaming ? req.headers["last-event-id"] : undefined;
    const resumeFrom = typeof lastEventId === "string" ? lastEventId : undefined;
    const request = buildRequest(route, rawValues, resumedQuery(route, query, resumeFrom), body);
    const grpcTimeout = req.headers["grpc-timeout"];
    const deadline = deadlineFrom(
      typeof grpcTimeout === "string" ? grpcTimeout : undefined,
      this.#config.defaultDeadlineMs,
      this.#config.maxDeadlineMs,
    );
    const metadata = forwardedMetadata(req.headers, requestId);
    // The backend authorises writes itself, with the same token set (CONTRACTS.md).
    if (credentials !== undefined) metadata.authorization = credentials;
    return {
      route,
      request,
      options: {
        deadline,
        metadata,
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
