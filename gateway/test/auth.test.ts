import { describe, expect, it } from "vitest";
import { WriteAuth } from "../src/auth.ts";
import { HttpError } from "../src/http-error.ts";

/** The HttpError `check` throws for `authorization`, or undefined when it lets the write through. */
function refusal(auth: WriteAuth, authorization: string | undefined): HttpError | undefined {
  try {
    auth.check(authorization);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(HttpError);
    return err as HttpError;
  }
}

const challenge = { "www-authenticate": 'Bearer realm="infinity-pool"' };

describe("WriteAuth (RFC 6750 bearer tokens)", () => {
  const auth = new WriteAuth(["token-one", "token-two"]);

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

  it("answers 401 for a token that is not configured, even a prefix of one", () => {
    for (const token of ["wrong", "token-on", "token-one-and-more", "TOKEN-ONE"]) {
      expect(refusal(auth, `Bearer ${token}`)).toMatchObject({
        httpStatus: 401,
        code: 16,
        message: "the bearer token is not valid",
        headers: challenge,
      });
    }
  });

  it("never quotes the presented token", () => {
    expect(refusal(auth, "Bearer s3cret-guess")?.message).not.toContain("s3cret");
  });

  it("answers 403 PERMISSION_DENIED for every write when no token is configured", () => {
    expect(refusal(new WriteAuth([]), "Bearer anything")).toMatchObject({
      httpStatus: 403,
      code: 7,
      message: "writes are disabled on this gateway",
    });
  });
});
