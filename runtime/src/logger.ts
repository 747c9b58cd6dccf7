import { type DestinationStream, type Logger, pino } from "pino";

/** pino's logger, as createLogger returns it. */
export type { Logger };

/** What createLogger needs: the service name on every line and pino's level name. */
export interface LoggerOptions {
  /** Written as `service` on every line, e.g. `"backend"`. */
  service: string;
  /** A pino level name (`info`, `debug`, …; see config.ts `logLevel`). */
  level: string;
  /** Where lines go; stdout with asynchronous writes when absent. Tests pass a stream to read. */
  destination?: DestinationStream;
}

// Anything that might carry a credential is redacted by path as a second line of defence; the
// first is that secrets, tokens and headers are never passed to the logger at all.
const redactedPaths = [
  "authorization",
  "*.authorization",
  "headers.authorization",
  "req.headers.authorization",
  "password",
  "*.password",
  "secret",
  "*.secret",
  "token",
  "*.token",
  "writeTokens",
  "*.writeTokens",
  "connectionString",
  "*.connectionString",
];

/**
 * One JSON object a line (pino), `level` as its label and `time` as ISO 8601, with the fields
 * above censored as `"[redacted]"` (pino redaction paths, https://getpino.io/#/docs/redaction).
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: redactedPaths, censor: "[redacted]" },
    },
    // Asynchronous writes: a synchronous write per line cost the backend about 80 µs of CPU per
    // request (h2load, 16 streams). Lines are flushed before a deliberate exit (flushLogs).
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/** Writes out buffered log lines; resolves once they are handed to the OS. Call before exiting. */
export function flushLogs(log: Logger): Promise<void> {
  return new Promise((resolve) => log.flush(() => resolve()));
}
