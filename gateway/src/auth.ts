import { Code } from "@infinity-pool/runtime/status";
import type { TokenSource } from "@infinity-pool/runtime/tokens";
import { TokenVerifier } from "@infinity-pool/runtime/tokens";
import { HttpError } from "./http-error.ts";

/**
 * Bearer tokens for write routes, checked in constant time by the runtime's TokenVerifier against
 * the tokens in force (a TokenSource re-reading WRITE_TOKENS_FILE, or a fixed list).
 */
export class WriteAuth {
  readonly #verifier: TokenVerifier;

  /** `tokens` are the accepted bearer tokens; none in force means writes are disabled. */
  constructor(tokens: TokenSource | readonly string[]) {
    this.#verifier = new TokenVerifier(tokens);
  }

  /**
   * Returns when `authorization` (the request's `Authorization` header) carries one of the tokens
   * as `Bearer <token>` (RFC 6750 §2.1); throws the HttpError to answer otherwise: 403
   * PERMISSION_DENIED when no token is configured, 401 UNAUTHENTICATED with a `WWW-Authenticate:
   * Bearer` challenge (RFC 6750 §3) when the header is missing, malformed or names no known token.
   */
  check(authorization: string | undefined): void {
    if (this.#verifier.size === 0) {
      throw new HttpError(403, Code.PERMISSION_DENIED, "writes are disabled on this gateway");
    }
    const challenge = { "www-authenticate": 'Bearer realm="infinity-pool"' };
    const match = /^Bearer +([^\s]+) *$/i.exec(authorization ?? "");
    if (!match) {
      throw new HttpError(401, Code.UNAUTHENTICATED, "a bearer token is required", challenge);
    }
    if (!this.#verifier.verify(match[1] as string)) {
      throw new HttpError(401, Code.UNAUTHENTICATED, "the bearer token is not valid", challenge);
    }
  }
}
