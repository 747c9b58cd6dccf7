import { pino } from "pino";

// Anything that might carry a credential is redacted by path as a second line of defence; the
// first is that secrets are never passed to the logger at all.
export function createLogger(level: string) {
  return pino({
    level,
    base: { service: "backend" },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: {
      paths: [
        "password",
        "*.password",
        "secret",
        "*.secret",
        "connectionString",
        "*.connectionString",
        "authorization",
        "*.authorization",
      ],
      censor: "[redacted]",
    },
  });
}

export type Logger = ReturnType<typeof createLogger>;
