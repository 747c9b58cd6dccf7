import type { IncomingMessage, ServerResponse } from "node:http";
import { isIP } from "node:net";
import type { Logger } from "@infinity-pool/runtime/logger";
import { type Code, codeName } from "@infinity-pool/runtime/status";
import { pino } from "pino";

/** Per-request facts gathered while a request is handled, for its access log line and metrics. */
export interface Exchange {
  /** The request id (see metadata.ts `requestIdOf`). */
  requestId: string;
  /** The route template that matched, an operational path, or "(unmatched)". */
  route: string;
  /** The final gRPC status of the upstream call, when one was made. */
  upstreamCode?: Code;
  /** Upstream attempts made (retries of UNAVAILABLE on GET routes count). */
  attempts?: number;
  /** What went wrong, for operators; the client may have seen a more opaque message. */
  errorMessage?: string;
  /** The request target's path once read (an absolute-form target loses its scheme and host). */
  path?: string;
}

/** Status 499 (nginx's "client closed request"): the client went away before the response ended. */
export const CLIENT_CLOSED_REQUEST = 499;

/** The fields of an access log line; see accessLogLine. */
export interface AccessLine {
  requestId: string;
  method: string;
  path: string;
  route: string;
  status: number;
  ms: number;
  grpcCode?: string;
  attempts?: number;
  error?: string;
  remote?: string | undefined;
  forwardedFor?: string;
  amznTraceId?: string;
}

/**
 * The fields of the one access log line written per request when its response closes
 * (podinfo's `pkg/api/http/logging.go` does the same): method, path without the query, route,
 * status (499 when the response never completed), duration in milliseconds with two decimals,
 * the upstream gRPC status by name, attempts when more than one, the error, the peer address,
 * and behind the ALB `X-Forwarded-For` and `X-Amzn-Trace-Id`, which join the line to the ALB's
 * own logs, each only when it has its documented form (forwardedFor, amznTraceId below). No raw
 * header value is logged: a client chooses them, and they may carry credentials.
 */
export function accessLogLine(
  req: IncomingMessage,
  res: ServerResponse,
  exchange: Exchange,
  seconds: number,
): AccessLine {
  const url = req.url ?? "";
  const q = url.indexOf("?");
  // Built field by field (no spreads): this runs once per request.
  const line: AccessLine = {
    requestId: exchange.requestId,
    method: req.method ?? "",
    path: exchange.path ?? (q < 0 ? url : url.slice(0, q)),
    route: exchange.route,
    status: res.writableFinished ? res.statusCode : CLIENT_CLOSED_REQUEST,
    ms: Math.round(seconds * 100_000) / 100,
  };
  if (exchange.upstreamCode !== undefined) line.grpcCode = codeName(exchange.upstreamCode);
  if (exchange.attempts && exchange.attempts > 1) line.attempts = exchange.attempts;
  if (exchange.errorMessage) line.error = exchange.errorMessage;
  line.remote = req.socket.remoteAddress;
  const forwardedFor = forwardedForOf(req.headers["x-forwarded-for"]);
  if (forwardedFor) line.forwardedFor = forwardedFor;
  const amznTraceId = amznTraceIdOf(req.headers["x-amzn-trace-id"]);
  if (amznTraceId) line.amznTraceId = amznTraceId;
  return line;
}

/**
 * Writes access lines. When the logger is a plain pino logger (no mixin, log formatter, hooks,
 * message prefix or nested key, and a destination that wants no metadata, as runtime/logger.ts
 * makes it), each line is serialized here and handed straight to pino's destination: pino's own
 * level label, timestamp, bindings and line ending around the fixed fields of AccessLine, in the
 * order pino writes them, strings escaped as pino escapes them. That skips pino's generic path
 * (per-field serializer, stringifier and redaction lookups, key escaping), which was about a tenth
 * of the gateway's CPU per request. The lines are byte for byte what `log.info(line, "request")`
 * writes (access-log.test.ts holds the two together); with any other logger that call is used.
 * Redaction cannot apply to an access line: none of its fields is an object or a redacted name
 * (runtime/logger.ts).
 */
export class AccessLog {
  readonly #log: Logger;
  readonly #fast: FastPath | undefined;

  constructor(log: Logger) {
    this.#log = log.child({}, { redact: { paths: [], censor: "[redacted]" } });
    this.#fast = fastPath(this.#log);
  }

  /** Writes one access line at level info, unless the logger's level is above info. */
  write(line: AccessLine): void {
    const fast = this.#fast;
    if (fast === undefined) {
      this.#log.info(line, "request");
      return;
    }
    if (this.#log.levelVal > infoLevel) return;
    fast.stream.write(
      `${fast.prefix}${fast.time()}${fast.bindings}${serialize(line)},"msg":"request"${fast.end}`,
    );
  }
}

const infoLevel = 30;

interface FastPath {
  /** `{"level":"info"` as pino's level formatter writes it. */
  prefix: string;
  /** `,"time":…` from pino's timestamp function. */
  time: () => string;
  /** The child bindings, e.g. `,"service":"gateway"`. */
  bindings: string;
  end: string;
  stream: { write(line: string): unknown };
}

function fastPath(log: Logger): FastPath | undefined {
  // msgPrefixSym is in pino.symbols but not in its type declarations.
  const s = pino.symbols as typeof pino.symbols & { msgPrefixSym: symbol };
  const state = log as unknown as Record<symbol, unknown>;
  const formatters = state[s.formattersSym] as { log?: unknown } | undefined;
  const hooks = state[s.hooksSym] as { logMethod?: unknown; streamWrite?: unknown } | undefined;
  const stream = state[s.streamSym] as
    | ({ write(line: string): unknown } & Record<symbol, unknown>)
    | undefined;
  const plain =
    state[s.mixinSym] === undefined &&
    formatters?.log === undefined &&
    hooks?.logMethod === undefined &&
    hooks?.streamWrite === undefined &&
    !state[s.msgPrefixSym] &&
    !state[s.nestedKeySym] &&
    state[s.messageKeySym] === "msg" &&
    typeof stream?.write === "function" &&
    !stream[s.needsMetadataGsym];
  const prefix = (state[s.lsCacheSym] as Record<number, string> | undefined)?.[infoLevel];
  const time = state[s.timeSym];
  if (!plain || typeof prefix !== "string" || typeof time !== "function") return undefined;
  return {
    prefix,
    // pino's ISO timestamp, from a cache that turns over once a second (see isoTimeCached).
    time: time === pino.stdTimeFunctions.isoTime ? isoTimeCached : (time as () => string),
    bindings: String(state[s.chindingsSym] ?? ""),
    end: String(state[s.endSym]),
    stream: stream as FastPath["stream"],
  };
}

let cachedSecond = -1;
let cachedPrefix = "";

/**
 * `,"time":"2026-11-30T01:16:07.123Z"`, what pino.stdTimeFunctions.isoTime writes, without a Date
 * per line: the text up to the seconds is made once a second, the milliseconds added to it.
 * (`toISOString` cost about 1 µs a call, mostly its time zone lookup.)
 */
export function isoTimeCached(now = Date.now()): string {
  const second = Math.floor(now / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedPrefix = `,"time":"${new Date(second * 1000).toISOString().slice(0, 20)}`;
  }
  const ms = now - second * 1000;
  return `${cachedPrefix}${ms < 10 ? "00" : ms < 100 ? "0" : ""}${ms}Z"`;
}

/** The fields of an access line as pino writes them: `,"key":value` for each one present. */
function serialize(line: AccessLine): string {
  let out = `,"requestId":${text(line.requestId)},"method":${text(line.method)},"path":${text(line.path)},"route":${text(line.route)},"status":${number(line.status)},"ms":${number(line.ms)}`;
  if (line.grpcCode !== undefined) out += `,"grpcCode":${text(line.grpcCode)}`;
  if (line.attempts !== undefined) out += `,"attempts":${number(line.attempts)}`;
  if (line.error !== undefined) out += `,"error":${text(line.error)}`;
  if (line.remote !== undefined) out += `,"remote":${text(line.remote)}`;
  if (line.forwardedFor !== undefined) out += `,"forwardedFor":${text(line.forwardedFor)}`;
  if (line.amznTraceId !== undefined) out += `,"amznTraceId":${text(line.amznTraceId)}`;
  return out;
}

/** A JSON string, escaped as pino escapes it: short plain text as is, the rest by JSON.stringify. */
function text(value: string): string {
  if (value.length > 100) return JSON.stringify(value);
  let quotes = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20) return JSON.stringify(value);
    if (c === 0x22 || c === 0x5c) quotes = true;
  }
  // pino escapes only `"` and `\` in short strings without control characters.
  return quotes ? `"${value.replace(/["\\]/g, "\\$&")}"` : `"${value}"`;
}

function number(value: number): string {
  return Number.isFinite(value) ? String(value) : "null";
}

/**
 * `X-Forwarded-For` (a list of client and proxy addresses, the ALB appending the client's) when
 * every entry is an IP address and there are at most 16; otherwise undefined.
 */
export function forwardedForOf(value: string | string[] | undefined): string | undefined {
  if (typeof value !== "string" || value.length > 1024) return undefined;
  const addresses = value.split(",").map((a) => a.trim());
  if (addresses.length > 16 || !addresses.every((a) => isIP(a) !== 0)) return undefined;
  return addresses.join(", ");
}

// AWS X-Ray's header: `Root=1-<8 hex>-<24 hex>` with `Self`, `Parent`, `Sampled` and custom
// `Name=value` fields, separated by ";"
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-request-tracing.html).
const amznTraceIdPattern =
  /^[A-Za-z]{1,32}=[A-Za-z0-9-]{1,64}(?:;[A-Za-z]{1,32}=[A-Za-z0-9-]{1,64}){0,7}$/;

/** `X-Amzn-Trace-Id` when it has that header's `Field=value;…` form; otherwise undefined. */
export function amznTraceIdOf(value: string | string[] | undefined): string | undefined {
  return typeof value === "string" && amznTraceIdPattern.test(value) ? value : undefined;
}
