import { describe, expect, it } from "vitest";
import { deadlineFrom } from "../src/deadline.ts";
import { HttpError } from "../src/http-error.ts";

const now = 1_700_000_000_000;

describe("deadlineFrom (gRPC over HTTP/2: Timeout → TimeoutValue TimeoutUnit)", () => {
  it("uses the default when the client sends no Grpc-Timeout", () => {
    expect(deadlineFrom(undefined, 5_000, 30_000, now)).toBe(now + 5_000);
  });

  it.each([
    ["2H", 30_000],
    ["1M", 30_000],
    ["3S", 3_000],
    ["250m", 250],
    ["1500u", 1.5],
    ["2000000n", 2],
  ])("reads %s as %s ms (capped at the maximum)", (header, ms) => {
    expect(deadlineFrom(header, 5_000, 30_000, now)).toBe(now + ms);
  });

  it("gives at least 1 ms, so a zero timeout still reaches the backend as a deadline", () => {
    expect(deadlineFrom("0m", 5_000, 30_000, now)).toBe(now + 1);
    expect(deadlineFrom("5n", 5_000, 30_000, now)).toBe(now + 1);
  });

  it("tolerates surrounding white space", () => {
    expect(deadlineFrom(" 100m ", 5_000, 30_000, now)).toBe(now + 100);
  });

  it.each(["soon", "100", "m", "123456789m", "-1S", "1.5S", "10s", "10 m"])(
    "answers 400 INVALID_ARGUMENT for %j",
    (header) => {
      try {
        deadlineFrom(header, 5_000, 30_000, now);
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(HttpError);
        expect(err).toMatchObject({ httpStatus: 400, code: 3 });
        expect((err as HttpError).message).toMatch(/^invalid Grpc-Timeout/);
      }
    },
  );
});
