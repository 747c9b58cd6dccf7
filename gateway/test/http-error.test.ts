import { Code } from "@infinity-pool/runtime/status";
import { describe, expect, it } from "vitest";
import { badRequest, HttpError, methodNotAllowed } from "../src/http-error.ts";

describe("HttpError", () => {
  it("is an Error named HttpError that keeps its cause", () => {
    const cause = new SyntaxError("Unexpected end of JSON input");
    const err = badRequest("the request body is not valid JSON", { cause });
    expect(err).toBeInstanceOf(HttpError);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe("HttpError");
    expect(err.cause).toBe(cause);
    expect(String(err)).toBe("HttpError: the request body is not valid JSON");
  });

  it("badRequest is 400 INVALID_ARGUMENT with no extra headers", () => {
    expect(badRequest("bad")).toMatchObject({
      httpStatus: 400,
      code: Code.INVALID_ARGUMENT,
      headers: {},
    });
  });

  it("methodNotAllowed is 405 UNIMPLEMENTED with Allow (RFC 9110 §15.5.6)", () => {
    expect(methodNotAllowed("PATCH", "GET, HEAD")).toMatchObject({
      httpStatus: 405,
      code: Code.UNIMPLEMENTED,
      message: "PATCH is not allowed here",
      headers: { allow: "GET, HEAD" },
    });
  });
});
