/**
 * The message of anything thrown: `Error.message` for errors, `String(value)` for the rest (a
 * rejected promise may carry any value).
 */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
