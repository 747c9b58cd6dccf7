// Human-readable log lines for a terminal: pino-pretty (the pino project's own prettifier) on the
// JSON lines the services write, one line per entry, with the service name and level in colour.
import { prettyFactory } from "pino-pretty";

type Entry = Record<string, unknown>;

/** A service's colour in the terminal, by its `service` field. */
const serviceColours: Record<string, "blue" | "green" | "magenta"> = {
  backend: "blue",
  gateway: "green",
};

/**
 * A gateway access log line (`msg: "request"`) or a backend call line (`msg: "call"`) as one short
 * message, e.g. `GET /v1/greetings → 200 3.1 ms` or `GreetingService/SayHello OK 1.0 ms`; the
 * fields it consumed leave the entry, the rest stay and print after it.
 */
export function condense(entry: Entry): Entry {
  const { msg, ...rest } = entry;
  if (msg === "request" && typeof rest.method === "string" && rest.status !== undefined) {
    const { method, path, status, ms, grpcCode, error, requestId, route, remote, ...others } = rest;
    const code = grpcCode !== undefined && grpcCode !== "OK" ? ` ${grpcCode}` : "";
    const why = typeof error === "string" ? `: ${error}` : "";
    return { ...others, msg: `${method} ${path} → ${status}${code} ${ms} ms${why}` };
  }
  if (msg === "call" && typeof rest.rpc === "string") {
    const { rpc, code, ms, requestId, ...others } = rest;
    const method = rpc.split(".").pop();
    return { ...others, msg: `${method} ${code} ${ms} ms` };
  }
  return entry;
}

/**
 * Formats one JSON log line (or parsed entry) as `HH:MM:ss.l LEVEL service message {other
 * fields}` plus a newline. `colorize` turns ANSI colours on (a terminal that has not set NO_COLOR).
 */
export function createPrettyPrinter(colorize: boolean): (entry: Entry) => string {
  const pretty = prettyFactory({
    colorize,
    singleLine: true,
    translateTime: "SYS:HH:MM:ss.l",
    ignore: "pid,hostname,service",
    // The services log error messages as strings; shown inline rather than as a stack block.
    errorLikeObjectKeys: [],
    messageFormat: (log, messageKey, _levelLabel, { colors }) => {
      const service = String(log.service ?? "");
      const paint = colors[serviceColours[service] ?? "magenta"];
      return `${paint(service.padEnd(7))} ${String(log[messageKey] ?? "")}`;
    },
  });
  return (entry) => pretty(condense(entry));
}
