import {
  boolean,
  ConfigError,
  integer,
  logLevel,
  nonEmpty,
  parseEnv,
} from "@infinity-pool/runtime/config";
import { inlineWriteTokens } from "@infinity-pool/runtime/tokens";
import { z } from "zod";
import { parseAllowedOrigins } from "./cors.ts";
import { parseTarget } from "./grpc/target.ts";

/** The gateway's settings, read from the environment by loadConfig. Durations in milliseconds. */
export interface GatewayConfig {
  host: string;
  /** The public port: API, /healthz, /readyz, /openapi.json, /docs. */
  port: number;
  /** The operational port: /metrics, /healthz, /readyz, for in-cluster use only (no Ingress). */
  adminPort: number;
  /** A gRPC target, e.g. dns:///backend-headless.ns.svc.cluster.local:50051. */
  backendAddress: string;
  /**
   * The gRPC client for API calls: `http2` (unary calls on node:http2, http2-backend-client.ts)
   * or `grpc-js` (backend-client.ts). Both give the same answers; `http2` costs less CPU.
   */
  backendClient: "http2" | "grpc-js";
  /** How often the backend name is resolved again so new replicas receive traffic. 0 disables. */
  backendRefreshMs: number;
  /** Write tokens given inline (WRITE_TOKENS, comma-separated); the backend reads the same. */
  writeTokens: string[];
  /** Origins whose pages may call the API from a browser (cors.ts); empty: no CORS. */
  corsAllowedOrigins: string[];
  /** A file of write tokens (WRITE_TOKENS_FILE, e.g. a mounted Secret), re-read while running. */
  writeTokensFile: string | undefined;
  /**
   * Refuse writes whose `X-Forwarded-Proto` is present and not `https` (403), so a token never
   * travels in clear text past the load balancer (CONTRACTS.md "Writes only over HTTPS").
   */
  writesRequireHttps: boolean;
  logLevel: string;
  /** Time the listener keeps accepting after SIGTERM while readiness reports 503. */
  shutdownDelayMs: number;
  /** Upper bound for finishing in-flight requests once the listener is closed. */
  shutdownTimeoutMs: number;
  defaultDeadlineMs: number;
  maxDeadlineMs: number;
  /** Attempts for safe (GET) calls that fail with UNAVAILABLE, including the first. */
  getMaxAttempts: number;
  maxBodyBytes: number;
  maxHeaderCount: number;
  keepAliveTimeoutMs: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** A streaming response ends after this long, with a final event telling the client to resume. */
  streamMaxLifetimeMs: number;
  /** Interval of the comment lines that keep an idle Server-Sent Events stream open. */
  sseHeartbeatMs: number;
}

const schema = z.object({
  GATEWAY_HOST: nonEmpty.default("0.0.0.0"),
  GATEWAY_PORT: integer(0, 65535).default(8080),
  GATEWAY_ADMIN_PORT: integer(0, 65535).default(9090),
  BACKEND_PORT: integer(1, 65535).optional(),
  BACKEND_ADDRESS: z
    .string()
    .regex(/^(dns|ipv4|ipv6|unix):/, "must be a grpc-js target such as dns:///host:50051")
    .optional(),
  BACKEND_REFRESH_MS: integer(0, 3_600_000).default(30_000),
  GATEWAY_BACKEND_CLIENT: z
    .enum(["http2", "grpc-js"], { message: "must be http2 or grpc-js" })
    .default("http2"),
  WRITE_TOKENS: z.string().default(""),
  WRITE_TOKENS_FILE: nonEmpty.optional(),
  // Renamed WRITE_TOKENS (both services read it); refused below so a deployment still setting
  // the old name does not start with writes silently disabled.
  GATEWAY_WRITE_TOKENS: z.string().optional(),
  GATEWAY_WRITES_REQUIRE_HTTPS: boolean.default(false),
  GATEWAY_CORS_ALLOWED_ORIGINS: z.string().default(""),
  LOG_LEVEL: logLevel,
  SHUTDOWN_DELAY_MS: integer(0, 600_000).default(0),
  SHUTDOWN_TIMEOUT_MS: integer(0, 600_000).default(10_000),
  GATEWAY_DEADLINE_MS: integer(1, 600_000).default(5_000),
  GATEWAY_MAX_DEADLINE_MS: integer(1, 600_000).default(30_000),
  GATEWAY_GET_MAX_ATTEMPTS: integer(1, 10).default(3),
  GATEWAY_MAX_BODY_BYTES: integer(1, 100 * 1024 * 1024).default(64 * 1024),
  GATEWAY_MAX_HEADER_COUNT: integer(1, 2000).default(100),
  GATEWAY_KEEP_ALIVE_TIMEOUT_MS: integer(1, 3_600_000).default(65_000),
  GATEWAY_HEADERS_TIMEOUT_MS: integer(1, 3_600_000).default(15_000),
  GATEWAY_REQUEST_TIMEOUT_MS: integer(1, 3_600_000).default(30_000),
  GATEWAY_STREAM_MAX_LIFETIME_MS: integer(1_000, 86_400_000).default(900_000),
  GATEWAY_SSE_HEARTBEAT_MS: integer(100, 600_000).default(15_000),
});

/**
 * Reads the gateway's configuration from the environment. Empty strings count as unset, so a
 * Kubernetes manifest can blank a variable. Throws ConfigError, one line naming the first variable
 * at fault and never its value, e.g. `invalid configuration: GATEWAY_PORT must be a whole number`.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const c = parseEnv(schema, env);
  if (c.GATEWAY_DEADLINE_MS > c.GATEWAY_MAX_DEADLINE_MS) {
    throw new ConfigError("GATEWAY_DEADLINE_MS", "must not exceed GATEWAY_MAX_DEADLINE_MS");
  }
  if (c.GATEWAY_HEADERS_TIMEOUT_MS > c.GATEWAY_REQUEST_TIMEOUT_MS) {
    throw new ConfigError(
      "GATEWAY_HEADERS_TIMEOUT_MS",
      "must not exceed GATEWAY_REQUEST_TIMEOUT_MS",
    );
  }
  if (c.GATEWAY_PORT !== 0 && c.GATEWAY_PORT === c.GATEWAY_ADMIN_PORT) {
    throw new ConfigError("GATEWAY_ADMIN_PORT", "must differ from GATEWAY_PORT");
  }
  if (c.GATEWAY_WRITE_TOKENS !== undefined) {
    throw new ConfigError(
      "GATEWAY_WRITE_TOKENS",
      "is no longer read: set WRITE_TOKENS or WRITE_TOKENS_FILE, which the backend reads too",
    );
  }
  const backendAddress = c.BACKEND_ADDRESS ?? `dns:///127.0.0.1:${c.BACKEND_PORT ?? 50051}`;
  try {
    parseTarget(backendAddress);
  } catch {
    throw new ConfigError("BACKEND_ADDRESS", "must be a gRPC target such as dns:///host:50051");
  }
  return {
    host: c.GATEWAY_HOST,
    port: c.GATEWAY_PORT,
    adminPort: c.GATEWAY_ADMIN_PORT,
    backendAddress,
    backendRefreshMs: c.BACKEND_REFRESH_MS,
    backendClient: c.GATEWAY_BACKEND_CLIENT,
    writeTokens: inlineWriteTokens(c.WRITE_TOKENS),
    writeTokensFile: c.WRITE_TOKENS_FILE,
    writesRequireHttps: c.GATEWAY_WRITES_REQUIRE_HTTPS,
    corsAllowedOrigins: parseAllowedOrigins(c.GATEWAY_CORS_ALLOWED_ORIGINS),
    logLevel: c.LOG_LEVEL,
    shutdownDelayMs: c.SHUTDOWN_DELAY_MS,
    shutdownTimeoutMs: c.SHUTDOWN_TIMEOUT_MS,
    defaultDeadlineMs: c.GATEWAY_DEADLINE_MS,
    maxDeadlineMs: c.GATEWAY_MAX_DEADLINE_MS,
    getMaxAttempts: c.GATEWAY_GET_MAX_ATTEMPTS,
    maxBodyBytes: c.GATEWAY_MAX_BODY_BYTES,
    maxHeaderCount: c.GATEWAY_MAX_HEADER_COUNT,
    keepAliveTimeoutMs: c.GATEWAY_KEEP_ALIVE_TIMEOUT_MS,
    headersTimeoutMs: c.GATEWAY_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: c.GATEWAY_REQUEST_TIMEOUT_MS,
    streamMaxLifetimeMs: c.GATEWAY_STREAM_MAX_LIFETIME_MS,
    sseHeartbeatMs: c.GATEWAY_SSE_HEARTBEAT_MS,
  };
}
