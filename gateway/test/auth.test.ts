import { TokenVerifier } from "@infinity-pool/runtime/tokens";
import { describe, expect, it } from "vitest";
import { WriteAuth } from "../src/auth.ts";
import { HttpError } from "../src/http-error.ts";

/** The HttpError `check` throws for `authorization`, or undefined when it lets the write through. */
function refusal(
  auth: WriteAuth,
  authorization: string | undefined,
  forwardedProto?: string,
): HttpError | undefined {
  try {
    auth.check({ authorization, forwardedProto });
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(HttpError);
    return err as HttpError;
  }
}

const challenge = { "www-authenticate": 'Bearer realm="infinity-pool"' };

describe("WriteAuth (RFC 6750 bearer tokens)", () => {
  const auth = new WriteAuth(new TokenVerifier(["token-one", "token-two"]));

  it("lets a request with any configured token write", () => {
    expect(refusal(auth, "Bearer token-one")).toBeUndefined();
    expect(refusal(auth, "Bearer token-two")).toBeUndefined();
  });

  it("takes the scheme case-insensitively and tolerates extra spaces", () => {
    expect(refusal(auth, "bearer token-one")).toBeUndefined();
    expect(refusal(auth, "BEARER   token-two  ")).toBeUndefined();
  });

  it("answers 401 UNAUTHENTICATED with a challenge when no token is presented", () => {
    for (const header of [undefined, "", "Basic dXNlcjpwYXNz", "Bearer", "Bearer a b"]) {
      const err = refusal(auth, header);
      expect(err, String(header)).toMatchObject({
        httpStatus: 401,
        code: 16,
        message: "a bearer token is required",
        headers: challenge,
      });
    }
  });

  it("answers 401 invalid_token for a token that is not configured, even a prefix of one", () => {
    for (const token of ["wrong", "token-on", "token-one-and-more", "TOKEN-ONE"]) {
      expect(refusal(auth, `Bearer ${token}`)).toMatchObject({
        httpStatus: 401,
        code: 16,
        message: "the bearer token is not valid",
        headers: { "www-authenticate": 'Bearer realm="infinity-pool", error="invalid_token"' },
      });
    }
  });

  it("never quotes the presented token", () => {
    expect(refusal(auth, "Bearer s3cret-guess")?.message).not.toContain("s3cret");
  });

  it("answers 403 PERMISSION_DENIED for every write when no token is configured", () => {
    expect(refusal(new WriteAuth(new TokenVerifier([])), "Bearer anything")).toMatchObject({
      httpStatus: 403,
      code: 7,
      message: "writes are disabled on this gateway",
    });
  });

  it("returns the credentials to forward to the backend, re-written as `Bearer <token>`", () => {
    expect(auth.check({ authorization: "bearer   token-one ", forwardedProto: undefined })).toBe(
      "Bearer token-one",
    );
  });

  it("a token outside visible ASCII (which gRPC metadata cannot carry) is no token", () => {
    for (const header of ["Bearer t\u00f6ken", "Bearer token-one\u00ff", "Bearer token\tone"]) {
      expect(refusal(auth, header)?.httpStatus, header).toBe(401);
    }
  });
});

describe("WriteAuth with writes only over HTTPS (GATEWAY_WRITES_REQUIRE_HTTPS)", () => {
  const auth = new WriteAuth(new TokenVerifier(["token-one"]), { requireHttps: true });

  it("refuses a write the load balancer received over plain HTTP, before checking the token", () => {
    for (const proto of ["http", "HTTP", "ws", "", "https, http", "http, https"]) {
      expect(refusal(auth, "Bearer token-one", proto), proto).toMatchObject({
        httpStatus: 403,
        code: 7,
        message: "writes require HTTPS",
      });
    }
    expect(refusal(auth, undefined, "http")?.httpStatus).toBe(403);
  });

  it("lets through HTTPS and requests without X-Forwarded-Proto (not behind the load balancer)", () => {
    expect(refusal(auth, "Bearer token-one", "https")).toBeUndefined();
    expect(refusal(auth, "Bearer token-one", " HTTPS ")).toBeUndefined();
    expect(refusal(auth, "Bearer token-one")).toBeUndefined();
  });

  it("is off unless asked for", () => {
    const open = new WriteAuth(new TokenVerifier(["token-one"]));
    expect(refusal(open, "Bearer token-one", "http")).toBeUndefined();
  });
});
