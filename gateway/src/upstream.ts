import { setTimeout as sleep } from "node:timers/promises";
import { create, type DescMethod, type Message } from "@bufbuild/protobuf";
import {
  Health,
  HealthCheckRequestSchema,
  type HealthCheckResponse,
  HealthCheckResponse_ServingStatus,
} from "@infinity-pool/proto/grpc/health/v1/health_pb.js";
import { Code } from "@infinity-pool/runtime/status";
import { type CallOptions, type CallResult, UpstreamError } from "./backend.ts";

// What both Backend implementations (backend-client.ts on grpc-js, http2-backend-client.ts on
// node:http2) do the same way around a single attempt: retries, health checks, settings.

/** One attempt of a unary call; rejects with an error carrying the gRPC status `code`. */
export type Attempt = (
  method: DescMethod,
  request: Message,
  options: CallOptions,
) => Promise<Message>;

/** How connections to the backend are kept, the same for both clients (milliseconds). */
export const connectionSettings = {
  keepaliveTimeMs: 30_000,
  keepaliveTimeoutMs: 10_000,
  // A replaced pod must be dialled again quickly; gRPC's default backoff grows to 2 minutes.
  initialBackoffMs: 200,
  maxBackoffMs: 2_000,
  minResolutionIntervalMs: 1_000,
  // grpc-js's default limit for a received message (grpc.max_receive_message_length).
  maxReceiveBytes: 4 * 1024 * 1024,
} as const;

/**
 * Calls `attempt` once, or with `options.retry` up to `maxAttempts` times while it fails with
 * UNAVAILABLE: exponential backoff with full jitter (25, 50, 100 ms ceilings), never past the
 * deadline, never after the signal aborted. Rejects with UpstreamError (the final status, the
 * status message, the attempts, the transport's error as cause).
 */
export async function callWithRetries(
  attempt: Attempt,
  method: DescMethod,
  request: Message,
  options: CallOptions,
  maxAttempts: number,
): Promise<CallResult> {
  const attempts = options.retry ? maxAttempts : 1;
  for (let n = 1; ; n++) {
    try {
      return { message: await attempt(method, request, options), attempts: n };
    } catch (e) {
      const error = e as { code?: unknown; details?: string; message: string };
      const code = statusCode(error);
      const pause = Math.random() * 25 * 2 ** (n - 1);
      const retryable =
        code === Code.UNAVAILABLE &&
        options.signal?.aborted !== true &&
        n < attempts &&
        Date.now() + pause < options.deadline - 5;
      if (!retryable) {
        throw new UpstreamError(code, error.details ?? error.message, n, { cause: error });
      }
      await sleep(pause);
    }
  }
}

/** True when grpc.health.v1.Health/Check answers SERVING for `service` within `timeoutMs`. */
export async function checkHealth(
  attempt: Attempt,
  service: string,
  timeoutMs: number,
): Promise<boolean> {
  try {
    const response = (await attempt(
      Health.method.check,
      create(HealthCheckRequestSchema, { service }),
      { deadline: Date.now() + timeoutMs, metadata: {}, retry: false },
    )) as HealthCheckResponse;
    return response.status === HealthCheckResponse_ServingStatus.SERVING;
  } catch {
    return false;
  }
}

/** The gRPC status of a failed attempt; UNKNOWN when the error carries none. */
export function statusCode(error: { code?: unknown }): Code {
  return typeof error.code === "number" ? (error.code as Code) : Code.UNKNOWN;
}

/** The request path of a method, `/package.Service/Method`. */
export function methodPath(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}
