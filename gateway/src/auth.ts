import { Code } from "@infinity-pool/runtime/status";
import { bearerToken, type TokenVerifier } from "@infinity-pool/runtime/tokens";
import { HttpError } from "./http-error.ts";

/** What WriteAuth needs to know about one write request. */
export interface WriteRequest {
  /** The `Authorization` header. */
  authorization: string | undefined;
  /** The `X-Forwarded-Proto` header the load balancer sets (a list when repeated). */
  forwardedProto: string | string[] | undefined;
}

/**
 * Authorises write routes: bearer tokens checked in constant time against the write tokens in
 * force (`@infinity-pool/runtime/tokens`, the backend's set too), and optionally HTTPS behind
 * the load balancer.
 */
export class WriteAuth {
  readonly #verifier: Pick<TokenVerifier, "verify" | "size">;
  readonly #requireHttps: boolean;

  /**
   * `verifier` holds the accepted bearer tokens; none means writes are disabled. With
   * `requireHttps`, a write whose `X-Forwarded-Proto` is present and not `https` is refused.
   */
  constructor(
    verifier: Pick<TokenVerifier, "verify" | "size">,
    options: { requireHttps?: boolean } = {},
  ) {
    this.#verifier = verifier;
    this.#requireHttps = options.requireHttps ?? false;
  }

  /**
   * Returns the `authorization` metadata value to forward to the backend (`Bearer <token>`), which
   * authorises the write itself, when the request may write; throws the HttpError to answer
   * otherwise, in this order: 403 PERMISSION_DENIED "writes require HTTPS" when HTTPS is required
   * and `X-Forwarded-Proto` says otherwise; 403 PERMISSION_DENIED when no token is configured;
   * 401 UNAUTHENTICATED with a `WWW-Authenticate: Bearer` challenge (RFC 6750 §3) when the header
   * is missing, malformed or names no known token. Nothing here reads the body.
   */
  check(request: WriteRequest): string {
    const proto = request.forwardedProto;
    if (
      this.#requireHttps &&
      proto !== undefined &&
      String(proto).trim().toLowerCase() !== "https"
    ) {
      throw new HttpError(403, Code.PERMISSION_DENIED, "writes require HTTPS");
    }
    if (this.#verifier.size === 0) {
      throw new HttpError(403, Code.PERMISSION_DENIED, "writes are disabled on this gateway");
    }
    const challenge = { "www-authenticate": 'Bearer realm="infinity-pool"' };
    const token = bearerToken(request.authorization);
    if (token === undefined) {
      throw new HttpError(401, Code.UNAUTHENTICATED, "a bearer token is required", challenge);
    }
    if (!this.#verifier.verify(token)) {
      throw new HttpError(401, Code.UNAUTHENTICATED, "the bearer token is not valid", {
        "www-authenticate": 'Bearer realm="infinity-pool", error="invalid_token"',
      });
    }
    return `Bearer ${token}`;
  }
}
