import { createHash, timingSafeEqual } from "node:crypto";
import { Code } from "@infinity-pool/runtime/status";
import { HttpError } from "./http-error.ts";

const digest = (value: string): Buffer => createHash("sha256").update(value, "utf8").digest();

/**
 * Bearer tokens for write routes. Tokens are compared as SHA-256 digests with timingSafeEqual:
 * equal-length inputs make the comparison constant-time whatever the token lengths, and every
 * configured token is compared so the timing does not reveal which one matched.
 */
export class WriteAuth {
  readonly #digests: Buffer[];

  /** `tokens` are the accepted bearer tokens; none means writes are disabled. */
  constructor(tokens: readonly string[]) {
    this.#digests = tokens.map(digest);
  }

  /**
   * Returns when `authorization` (the request's `Authorization` header) carries one of the tokens
   * as `Bearer <token>` (RFC 6750 §2.1); throws the HttpError to answer otherwise: 403
   * PERMISSION_DENIED when no token is configured, 401 UNAUTHENTICATED with a `WWW-Authenticate:
   * Bearer` challenge (RFC 6750 §3) when the header is missing, malformed or names no known token.
   */
  check(authorization: string | undefined): void {
    if (this.#digests.length === 0) {
      throw new HttpError(403, Code.PERMISSION_DENIED, "writes are disabled on this gateway");
    }
    const challenge = { "www-authenticate": 'Bearer realm="infinity-pool"' };
    const match = /^Bearer +([^\s]+) *$/i.exec(authorization ?? "");
    if (!match) {
      throw new HttpError(401, Code.UNAUTHENTICATED, "a bearer token is required", challenge);
    }
    const presented = digest(match[1] as string);
    let ok = false;
    for (const known of this.#digests) ok = timingSafeEqual(presented, known) || ok;
    if (!ok) {
      throw new HttpError(401, Code.UNAUTHENTICATED, "the bearer token is not valid", challenge);
    }
  }
}
