import { type DestinationStream, type Logger, pino } from "pino";

export type { Logger };

/**
 * JSON lines on stdout. Headers are never logged wholesale; the redaction is a second line of
 * defence should someone add them.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "gateway" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: [
          "authorization",
          "headers.authorization",
          "req.headers.authorization",
          "*.authorization",
          "writeTokens",
          "config.writeTokens",
        ],
        censor: "[redacted]",
      },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
