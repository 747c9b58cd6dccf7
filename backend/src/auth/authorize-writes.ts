import { ConnectError, type Interceptor } from "@connectrpc/connect";
import { Code } from "@infinity-pool/runtime/status";
import { bearerToken, type TokenVerifier } from "@infinity-pool/runtime/tokens";
import { requiresWriteToken } from "./write-methods.ts";

/**
 * Authorises write RPCs with the write tokens (CONTRACTS.md "Write tokens"): the caller's
 * `authorization` metadata must be `Bearer <token>` with a token in force, whoever the caller is
 * (the gateway forwards its client's; grpcurl or another pod sends its own). Refusals, before the
 * implementation runs: UNAUTHENTICATED "a bearer token is required" when the metadata is missing
 * or not a bearer credential, UNAUTHENTICATED "the bearer token is not valid" (RFC 6750
 * invalid_token) for an unknown token, PERMISSION_DENIED when no token is configured at all.
 * Reads (`requiresWriteToken`) pass untouched. The token is never logged nor put in an error.
 */
export function authorizeWrites(
  verifier: Pick<TokenVerifier, "verify" | "size">,
  isWrite: (method: Parameters<typeof requiresWriteToken>[0]) => boolean = requiresWriteToken,
): Interceptor {
  return (next) => async (req) => {
    if (isWrite(req.method)) {
      if (verifier.size === 0) {
        throw new ConnectError(
          "writes are disabled: no write token is configured",
          Code.PERMISSION_DENIED,
        );
      }
      const token = bearerToken(req.header.get("authorization"));
      if (token === undefined) {
        throw new ConnectError("a bearer token is required", Code.UNAUTHENTICATED);
      }
      if (!verifier.verify(token)) {
        throw new ConnectError("the bearer token is not valid", Code.UNAUTHENTICATED);
      }
    }
    return next(req);
  };
}
