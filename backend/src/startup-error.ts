import { errorMessage } from "@infinity-pool/runtime/errors";
import { CredentialsError } from "./db/credentials.ts";
import { driverErrorCode } from "./db/errors.ts";

/**
 * What the backend says about a failure before serving (after `startup failed: `): a
 * CredentialsError's own message (it names the Secrets Manager failure, never the secret), else
 * the driver's SQLSTATE or errno code, when there is one, and the error's message. Configuration
 * errors never get here: exitOnStartupError prints them as they are.
 */
export function startupErrorDetail(err: unknown): string {
  if (err instanceof CredentialsError) return err.message;
  const code = driverErrorCode(err);
  return `${code ? `${code} ` : ""}${errorMessage(err)}`;
}
