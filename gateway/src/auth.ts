import { createHash, timingSafeEqual } from "node:crypto";
import { Code, HttpError } from "./status.ts";

const digest = (value: string): Buffer => createHash("sha256").update(value, "utf8").digest();

/**
 * Bearer tokens for write routes. Tokens are compared as SHA-256 digests with timingSafeEqual:
 * equal-length inputs make the comparison constant-time whatever the token lengths, and every
 * configured token is compared so the timing does not reveal which one matched.
 */
export class WriteAuth {
  private readonly digests: Buffer[];

  constructor(tokens: readonly string[]) {
    this.digests = tokens.map(digest);
  }

  get enabled(): boolean {
    return this.digests.length > 0;
  }

  /** Throws the HTTP error to answer, or returns when the request may write. */
  check(authorization: string | undefined): void {
    if (!this.enabled) {
      throw new HttpError(403, Code.PERMISSION_DENIED, "writes are disabled on this gateway");
    }
    const challenge = { "www-authenticate": 'Bearer realm="infinity-pool"' };
    const match = /^Bearer +([^\s]+) *$/i.exec(authorization ?? "");
    if (!match) {
      throw new HttpError(401, Code.UNAUTHENTICATED, "a bearer token is required", challenge);
    }
    const presented = digest(match[1] as string);
    let ok = false;
    for (const known of this.digests) ok = timingSafeEqual(presented, known) || ok;
    if (!ok) {
      throw new HttpError(401, Code.UNAUTHENTICATED, "the bearer token is not valid", challenge);
    }
  }
}
