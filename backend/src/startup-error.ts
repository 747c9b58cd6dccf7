import { driverErrorCode } from "./db/errors.ts";

/**
 * Ends the process after a failure before serving: one line on stderr, no stack trace, and never
 * the error's raw detail for database errors beyond their code (connection errors can quote hosts,
 * never passwords, but config values may be secrets).
 */
export function exitOnStartupError(
  err: unknown,
  configError: new (...args: never[]) => Error,
): never {
  let line: string;
  if (err instanceof configError) {
    line = err.message;
  } else if (err instanceof Error && err.name === "CredentialsError") {
    line = `startup failed: ${err.message}`;
  } else {
    const code = driverErrorCode(err);
    const message = err instanceof Error ? err.message : String(err);
    line = `startup failed: ${code ? `${code} ` : ""}${message}`;
  }
  // Driver messages can span lines (a failed query and its parameters); keep it to one.
  process.stderr.write(`backend: ${line.replace(/\s*\n\s*/g, " ")}\n`);
  process.exit(1);
}
