import { ConnectError, type Interceptor } from "@connectrpc/connect";
import { errorMessage } from "@infinity-pool/runtime/errors";
import type { Logger } from "@infinity-pool/runtime/logger";
import { validRequestId } from "@infinity-pool/runtime/request-id";
import { Code, codeName } from "@infinity-pool/runtime/status";
import {
  driverErrorCode,
  errorFields,
  isDataException,
  isUnavailable,
  toConnectError,
} from "./db/errors.ts";
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
    const failed = (err: unknown): ConnectError => {
      const status = toConnectError(err);
      if (isUnavailable(err)) health.report(false);
      const entry = { ...fields, code: codeName(status.code), ms: elapsed(started) };
      if (status.code === Code.INTERNAL && !(err instanceof ConnectError)) {
        // Server-side detail for operators; the caller only ever sees "internal error".
        log.error(
          { ...entry, cause: { ...errorFields(err), message: errorMessage(err) } },
          "call failed",
        );
      } else if (isDataException(err)) {
        // The client's value, refused by PostgreSQL: a gap in validation to close, not an outage.
        log.warn({ ...entry, sqlstate: driverErrorCode(err) }, "database refused a request value");
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
            (code) => log.info({ ...fields, code, ms: elapsed(started) }, "call"),
            req.signal,
          ),
        };
      }
      log.info({ ...fields, code: codeName(Code.OK), ms: elapsed(started) }, "call");
      return res;
    } catch (err) {
      throw failed(err);
    }
  };
}

async function* observeStream<T>(
  messages: AsyncIterable<T>,
  failed: (err: unknown) => ConnectError,
  ended: (code: string) => void,
  signal: AbortSignal,
): AsyncGenerator<T> {
  let settled = false;
  const cancelled = () =>
    codeName(ConnectError.from(signal.reason ?? "cancelled", Code.CANCELLED).code);
  try {
    yield* messages;
    settled = true;
    // A request stream cut short by the client reads as an ordinary end to the handler.
    ended(signal.aborted ? cancelled() : codeName(Code.OK));
  } catch (err) {
    settled = true;
    // A write to a stream the client has already left, or a read of a request stream it cut
    // short, fails inside the generator; that is the client going away, not a handler failure.
    if (clientWentAway(err)) {
      ended(cancelled());
      throw err;
    }
    throw failed(err);
  } finally {
    // Neither finished nor failed: the stream was cut short, by the client (Canceled) or by a
    // reset such as RESOURCE_EXHAUSTED; connect aborts the signal with the reset's code.
    if (!settled) ended(cancelled());
  }
}

// Node's errors for writes to a reset or destroyed HTTP/2 stream (connect-node maps the same set
// to Aborted in connectErrorFromNodeReason), and for reading a request stream whose peer closed
// it before its end (ERR_STREAM_PREMATURE_CLOSE, from stream.finished).
const goneStreamCodes = new Set([
  "ERR_STREAM_DESTROYED",
  "ERR_STREAM_WRITE_AFTER_END",
  "ERR_STREAM_PREMATURE_CLOSE",
  "ERR_HTTP2_INVALID_STREAM",
  "ERR_HTTP2_STREAM_ERROR",
  "ECONNRESET",
]);

function clientWentAway(err: unknown): boolean {
  const cause = err instanceof ConnectError ? err.cause : err;
  return goneStreamCodes.has(driverErrorCode(cause) ?? "");
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}
