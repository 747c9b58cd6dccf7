import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { driverErrorCode, isUnavailable, toConnectError } from "./db/errors.ts";
import type { HealthMonitor } from "./health.ts";
import type { Logger } from "./logger.ts";

/**
 * Logs every call with its request id and outcome, turns database failures into gRPC statuses
 * that leak nothing, and tells health checking at once when the database stops answering.
 */
export function observe(log: Logger, health: HealthMonitor): Interceptor {
  return (next) => async (req) => {
    const started = performance.now();
    const requestId = req.header.get("x-request-id") ?? undefined;
    const fields = { rpc: `${req.service.typeName}/${req.method.name}`, requestId };
    const failed = (err: unknown): ConnectError => {
      const status = toConnectError(err);
      if (isUnavailable(err)) health.report(false);
      const entry = { ...fields, code: Code[status.code], ms: elapsed(started) };
      if (status.code === Code.Internal && !(err instanceof ConnectError)) {
        // Server-side detail for operators; the caller only ever sees "internal error".
        log.error({ ...entry, cause: describe(err) }, "call failed");
      } else {
        log.info(entry, "call");
      }
      return status;
    };
    try {
      const res = await next(req);
      if (res.stream) {
        // A stream's outcome is known when it ends, and its errors are raised while it runs.
        return {
          ...res,
          message: observeStream(
            res.message,
            failed,
            () => ({ ...fields, ms: elapsed(started) }),
            log,
          ),
        };
      }
      log.info({ ...fields, code: "ok", ms: elapsed(started) }, "call");
      return res;
    } catch (err) {
      throw failed(err);
    }
  };
}

async function* observeStream<T>(
  messages: AsyncIterable<T>,
  failed: (err: unknown) => ConnectError,
  fields: () => Record<string, unknown>,
  log: Logger,
): AsyncGenerator<T> {
  let ended = false;
  try {
    yield* messages;
    ended = true;
    log.info({ ...fields(), code: "ok" }, "call");
  } catch (err) {
    ended = true;
    throw failed(err);
  } finally {
    // Neither finished nor failed: the client went away first.
    if (!ended) log.info({ ...fields(), code: Code[Code.Canceled] }, "call");
  }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}

function describe(err: unknown): { name: string; code: string | undefined; message: string } {
  return {
    name: err instanceof Error ? err.name : typeof err,
    code: driverErrorCode(err),
    message: err instanceof Error ? err.message : String(err),
  };
}
