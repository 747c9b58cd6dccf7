import { describe, expect, it } from "vitest";
import { CredentialsError } from "../src/db/credentials.ts";
import { startupErrorDetail } from "../src/startup-error.ts";

describe("startupErrorDetail", () => {
  it("says a CredentialsError's own message, which names the failure and not the secret", () => {
    const err = new CredentialsError("cannot read database secret: AccessDeniedException");
    expect(startupErrorDetail(err)).toBe("cannot read database secret: AccessDeniedException");
  });

  it("leads with the driver's SQLSTATE or errno code", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 10.0.0.5:5432"), {
      code: "ECONNREFUSED",
    });
    expect(startupErrorDetail(new Error("Failed query", { cause: refused }))).toBe(
      "ECONNREFUSED Failed query",
    );
  });

  it("recognises a CredentialsError by its class, not by an error's name", () => {
    // Any error may call itself "CredentialsError"; only ours is trusted to say nothing secret.
    const impostor = Object.assign(new Error("password authentication failed"), {
      name: "CredentialsError",
      code: "28P01",
    });
    expect(startupErrorDetail(impostor)).toBe("28P01 password authentication failed");
  });
});
