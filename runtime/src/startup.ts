import { ConfigError } from "./config.ts";
import { errorMessage } from "./errors.ts";

/**
 * Ends the process after a failure before serving: one line on stderr, `<service>: <problem>`, no
 * stack trace, exit code 1. A ConfigError is printed as its message (it names the variable, never
 * the value); anything else as `startup failed: <detail>`, where `detail` (default: the error's
 * message) lets a service say less than the raw error when that could quote configuration.
 */
export function exitOnStartupError(
  service: string,
  err: unknown,
  detail: (err: unknown) => string = errorMessage,
): never {
  const line = err instanceof ConfigError ? err.message : `startup failed: ${detail(err)}`;
  // Driver messages can span lines (a failed query and its parameters); keep it to one.
  process.stderr.write(`${service}: ${line.replace(/\s*\n\s*/g, " ")}\n`);
  process.exit(1);
}
