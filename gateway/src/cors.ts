import type { IncomingMessage, ServerResponse } from "node:http";
import { ConfigError } from "@infinity-pool/runtime/config";
import { Code } from "@infinity-pool/runtime/status";
import { HttpError } from "./http-error.ts";

/** Seconds a browser may reuse a preflight answer (Chromium caps this at 7200). */
export const corsMaxAgeSeconds = 600;

/**
 * Request headers a cross-origin page may send beyond the CORS-safelisted ones: the bearer token,
 * JSON bodies, the request id, the gRPC deadline, W3C trace context and `Last-Event-ID`, which
 * fetch-based EventSource clients send themselves when they resume a stream (native EventSource
 * sends it without a preflight). `authorization` must be named explicitly: a `*` never covers it
 * (Fetch standard, CORS-preflight fetch).
 */
export const corsAllowedHeaders = [
  "authorization",
  "content-type",
  "grpc-timeout",
  "last-event-id",
  "traceparent",
  "tracestate",
  "x-request-id",
];

/** Response headers a cross-origin page may read beyond the safelisted ones. */
export const corsExposedHeaders = ["x-request-id"];

// The header values, joined once rather than per request.
const allowedHeaders = corsAllowedHeaders.join(", ");
const exposedHeaders = corsExposedHeaders.join(", ");

/**
 * Parses GATEWAY_CORS_ALLOWED_ORIGINS: comma-separated origins as browsers send them in `Origin`
 * (RFC 6454: scheme, host, port; no path, no `*`, no `null`). Throws ConfigError naming the
 * variable, without echoing a value.
 */
export function parseAllowedOrigins(value: string): string[] {
  const origins: string[] = [];
  for (const raw of value.split(",").map((o) => o.trim())) {
    if (raw === "") continue;
    let origin: string;
    try {
      origin = new URL(raw).origin;
    } catch {
      throw new ConfigError(
        "GATEWAY_CORS_ALLOWED_ORIGINS",
        "must list origins such as https://app.example.com, separated by commas",
      );
    }
    if (origin === "null" || origin !== raw.replace(/\/$/, "").toLowerCase()) {
      throw new ConfigError(
        "GATEWAY_CORS_ALLOWED_ORIGINS",
        "must list origins (scheme://host[:port], no path) such as https://app.example.com",
      );
    }
    origins.push(origin);
  }
  return origins;
}

/**
 * Cross-origin resource sharing for browser apps on other origins (Fetch standard, "CORS
 * protocol"). Only the configured origins get CORS headers; with none configured the gateway
 * sends none at all. Answers to a request that carries `Origin` vary with it (`Vary: Origin`), so
 * a shared cache never hands one origin's answer to another.
 */
export class CorsPolicy {
  readonly #origins: ReadonlySet<string>;
  readonly #methods: string;

  /** @param methods the HTTP methods of the API routes, for Access-Control-Allow-Methods. */
  constructor(allowedOrigins: readonly string[], methods: readonly string[]) {
    this.#origins = new Set(allowedOrigins);
    this.#methods = [...new Set(["GET", "HEAD", ...methods])].join(", ");
  }

  get enabled(): boolean {
    return this.#origins.size > 0;
  }

  /** The request's Origin when it is an allowed one. */
  #allowed(req: IncomingMessage): string | undefined {
    const origin = req.headers.origin;
    return typeof origin === "string" && this.#origins.has(origin.toLowerCase())
      ? origin
      : undefined;
  }

  /** Headers for any answer (errors included): the allowed origin, what it may read, Vary. */
  decorate(req: IncomingMessage, res: ServerResponse): void {
    if (!this.enabled) return;
    res.appendHeader("vary", "Origin");
    const origin = this.#allowed(req);
    if (origin === undefined) return;
    res.setHeader("access-control-allow-origin", origin);
    res.setHeader("access-control-expose-headers", exposedHeaders);
  }

  /** True for a CORS preflight: OPTIONS with Origin and Access-Control-Request-Method. */
  isPreflight(req: IncomingMessage): boolean {
    return (
      this.enabled &&
      req.method === "OPTIONS" &&
      typeof req.headers.origin === "string" &&
      typeof req.headers["access-control-request-method"] === "string"
    );
  }

  /**
   * Answers a preflight: 204 with the methods, headers and max-age for an allowed origin; 403
   * PERMISSION_DENIED and no CORS headers for any other, so the browser refuses the real request.
   */
  answerPreflight(req: IncomingMessage, res: ServerResponse): void {
    res.appendHeader("vary", ["Access-Control-Request-Method", "Access-Control-Request-Headers"]);
    if (this.#allowed(req) === undefined) {
      throw new HttpError(
        403,
        Code.PERMISSION_DENIED,
        "cross-origin requests from this origin are not allowed",
      );
    }
    res.writeHead(204, {
      "access-control-allow-methods": this.#methods,
      "access-control-allow-headers": allowedHeaders,
      "access-control-max-age": String(corsMaxAgeSeconds),
    });
    res.end();
  }
}
