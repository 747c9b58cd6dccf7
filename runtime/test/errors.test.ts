import { describe, expect, it } from "vitest";
import { errorMessage } from "../src/errors.ts";

describe("errorMessage", () => {
  it("is the message of an Error and the text of anything else thrown", () => {
    expect(errorMessage(new TypeError("x is undefined"))).toBe("x is undefined");
    expect(errorMessage("plain text")).toBe("plain text");
    expect(errorMessage(42)).toBe("42");
    expect(errorMessage(undefined)).toBe("undefined");
  });
});
