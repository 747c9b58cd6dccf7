import { ConnectError } from "@connectrpc/connect";
import { Code } from "@infinity-pool/runtime/status";
import { describe, expect, it } from "vitest";
import {
  driverErrorCode,
  isAuthFailure,
  isUnavailable,
  toConnectError,
} from "../../src/db/errors.ts";

/** An error as pg reports it: a SQLSTATE (or errno) in `code`. */
function pgError(code: string, message = `error ${code}`): Error {
  return Object.assign(new Error(message), { code });
}

/** As Drizzle reports a failed query: its own error, the driver's in `cause`. */
function wrapped(cause: unknown): Error {
  return new Error("Failed query: select 1\nparams: ", { cause });
}

describe("driverErrorCode", () => {
  it("finds the driver's code through the cause chain", () => {
    expect(driverErrorCode(pgError("23505"))).toBe("23505");
    expect(driverErrorCode(wrapped(pgError("57014")))).toBe("57014");
    expect(driverErrorCode(wrapped(wrapped(pgError("ECONNREFUSED"))))).toBe("ECONNREFUSED");
  });

  it("is undefined for errors without a code, and for non-errors", () => {
    expect(driverErrorCode(new Error("plain"))).toBeUndefined();
    expect(driverErrorCode("text")).toBeUndefined();
    expect(driverErrorCode(undefined)).toBeUndefined();
  });
});

// SQLSTATE classes: https://www.postgresql.org/docs/current/errcodes-appendix.html
describe("the SQLSTATE table", () => {
  it.each(["28P01", "28000"])("%s (invalid password / authorization) is an auth failure", (c) => {
    expect(isAuthFailure(wrapped(pgError(c)))).toBe(true);
    expect(isUnavailable(pgError(c))).toBe(true);
  });

  it.each([
    ["08006", "connection failure"],
    ["08001", "cannot establish connection"],
    ["53300", "too many connections"],
    ["57P01", "admin shutdown"],
    ["57P02", "crash shutdown"],
    ["57P03", "cannot connect now"],
    ["ECONNREFUSED", "errno"],
    ["ECONNRESET", "errno"],
    ["ETIMEDOUT", "errno"],
    ["ENOTFOUND", "errno"],
    ["EAI_AGAIN", "errno"],
  ])("%s (%s) means the database is unavailable", (code) => {
    expect(isUnavailable(wrapped(pgError(code)))).toBe(true);
    expect(isAuthFailure(pgError(code))).toBe(false);
  });

  it.each([
    ["23505", "unique violation"],
    ["42P01", "undefined table"],
    ["57014", "query canceled (statement timeout)"],
    ["57P04", "database dropped"],
    ["22P02", "invalid text representation"],
  ])("%s (%s) is not an availability problem", (code) => {
    expect(isUnavailable(pgError(code))).toBe(false);
  });

  it("recognises connection failures pg reports by message only", () => {
    expect(isUnavailable(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(isUnavailable(wrapped(new Error("timeout exceeded when trying to connect")))).toBe(true);
    expect(isUnavailable(new Error("syntax error at or near"))).toBe(false);
  });
});

describe("toConnectError", () => {
  it.each([
    [pgError("28P01"), Code.UNAVAILABLE, "database authentication failed"],
    [wrapped(pgError("08006")), Code.UNAVAILABLE, "database unavailable"],
    [pgError("57014"), Code.DEADLINE_EXCEEDED, "database statement timed out"],
    [pgError("23505", "duplicate key value violates constraint"), Code.INTERNAL, "internal error"],
    [new TypeError("x is undefined"), Code.INTERNAL, "internal error"],
  ])("maps %s to a status that quotes no driver detail", (err, code, message) => {
    const status = toConnectError(err);
    expect(status.code).toBe(code);
    expect(status.rawMessage).toBe(message);
    expect(status.cause).toBe(err);
  });

  it("passes a ConnectError through unchanged", () => {
    const own = new ConnectError("greeting 7 not found", Code.NOT_FOUND);
    expect(toConnectError(own)).toBe(own);
  });
});
