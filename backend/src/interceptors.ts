import { ConnectError, type Interceptor } from "@connectrpc/connect";
import { errorMessage } from "@infinity-pool/runtime/errors";
import type { Logger } from "@infinity-pool/runtime/logger";
import { validRequestId } from "@infinity-pool/runtime/request-id";
import { Code, codeName } from "@infinity-pool/runtime/status";
import { driverErrorCode, isDataException, isUnavailable, toConnectError } from "./db/errors.ts";
import type { HealthMonitor } from "./health.ts";

/**
 * Logs every call with its request id and outcome, turns database failures into gRPC statuses
 * that leak nothing, and tells health checking at once when the database stops answering.
 */
export function observe(log: Logger, health: HealthMonitor): Interceptor {
  return (next) => async (req) => {
    const started = performance.now();
    // Only a well-formed id is logged: the header is whatever a direct caller sent.
    const requestId = validRequestId(req.header.get("x-request-id"));
    const fields = { rpc: `${req.service.typeName}/${req.method.name}`, requestId };
    try {
      const res = await next(req);
      log.info({ ...fields, code: codeName(Code.OK), ms: elapsed(started) }, "call");
      return res;
    } catch (err) {
      const status = toConnectError(err);
      if (isUnavailable(err)) health.report(false);
      const entry = { ...fields, code: codeName(status.code), ms: elapsed(started) };
      if (status.code === Code.INTERNAL && !(err instanceof ConnectError)) {
        // Server-side detail for operators; the caller only ever sees "internal error".
        log.error({ ...entry, cause: describe(err) }, "call failed");
      } else if (isDataException(err)) {
        // The client's value, refused by PostgreSQL: a gap in validation to close, not an outage.
        log.warn({ ...entry, sqlstate: driverErrorCode(err) }, "database refused a request value");
      } else {
        log.info(entry, "call");
      }
      throw status;
    }
  };
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}

function describe(err: unknown): { name: string; code: string | undefined; message: string } {
  return {
    name: err instanceof Error ? err.name : typeof err,
    code: driverErrorCode(err),
    message: errorMessage(err),
  };
}
