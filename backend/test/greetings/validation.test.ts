import { ConnectError } from "@connectrpc/connect";
import { Code } from "@infinity-pool/runtime/status";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_PAGE_SIZE,
  decodePageToken,
  encodePageToken,
  MAX_PAGE_SIZE,
  MAX_TEXT_LENGTH,
  pageSize,
  validateId,
  validateRequestId,
  validateText,
} from "../../src/greetings/validation.ts";

/** The INVALID_ARGUMENT error `run` throws, for its message. */
function invalid(run: () => unknown): ConnectError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.INVALID_ARGUMENT);
    return err as ConnectError;
  }
  throw new Error("expected INVALID_ARGUMENT, nothing was thrown");
}

describe("validateText", () => {
  it("stores the text trimmed and NFC-normalised", () => {
    expect(validateText("  Hello  ")).toBe("Hello");
    // "e" + combining acute accent becomes the one precomposed "é".
    expect(validateText("Caf\u0065\u0301")).toBe("Caf\u00e9");
  });

  it("refuses empty and blank text", () => {
    expect(invalid(() => validateText("")).rawMessage).toBe("text must not be empty");
    expect(invalid(() => validateText(" \t ")).rawMessage).toBe("text must not be empty");
  });

  it("counts code points, as a user counts characters, up to 280", () => {
    expect(validateText("x".repeat(MAX_TEXT_LENGTH))).toHaveLength(280);
    // 280 emoji are 560 UTF-16 units and still within the limit.
    expect([...validateText("😀".repeat(MAX_TEXT_LENGTH))]).toHaveLength(280);
    expect(invalid(() => validateText("😀".repeat(281))).rawMessage).toBe(
      "text must be at most 280 characters (got 281)",
    );
  });

  it("refuses control characters inside the text", () => {
    for (const c of ["\u0000", "\u0007", "\n", "\u007f", "\u009b"]) {
      expect(invalid(() => validateText(`a${c}b`)).rawMessage).toMatch(/control characters/);
    }
  });
});

describe("validateRequestId", () => {
  it("treats an empty request id as absent", () => {
    expect(validateRequestId("")).toBeUndefined();
  });

  it("accepts 1 to 64 characters of A-Z a-z 0-9 . _ -", () => {
    expect(validateRequestId("a")).toBe("a");
    expect(validateRequestId("Req_1.2-3")).toBe("Req_1.2-3");
    expect(validateRequestId("x".repeat(64))).toBe("x".repeat(64));
  });

  it.each(["x".repeat(65), "has space", "ünïcode", "a/b", "a:b"])("refuses %j", (id) => {
    expect(invalid(() => validateRequestId(id)).rawMessage).toMatch(/^request_id must be/);
  });
});

describe("pageSize (AIP-158)", () => {
  it("uses the default for 0 and caps large sizes at the maximum", () => {
    expect(pageSize(0)).toBe(DEFAULT_PAGE_SIZE);
    expect(pageSize(7)).toBe(7);
    expect(pageSize(MAX_PAGE_SIZE + 1)).toBe(MAX_PAGE_SIZE);
  });

  it("refuses a negative size", () => {
    expect(invalid(() => pageSize(-1)).rawMessage).toBe("page_size must not be negative");
  });
});

describe("page tokens", () => {
  it("round-trip the last id, as opaque base64url text", () => {
    for (const id of [1n, 42n, 9_223_372_036_854_775_807n]) {
      const token = encodePageToken(id);
      expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(token).not.toContain(String(id));
      expect(decodePageToken(token)).toBe(id);
    }
  });

  it("start at the beginning for an empty token", () => {
    expect(decodePageToken("")).toBe(0n);
  });

  it.each([
    ["not base64url", "a+b/c"],
    ["no version prefix", Buffer.from("123").toString("base64url")],
    ["another version", Buffer.from("g2:123").toString("base64url")],
    ["not a number", Buffer.from("g1:abc").toString("base64url")],
    ["too many digits", Buffer.from(`g1:${"9".repeat(20)}`).toString("base64url")],
  ])("refuse a token that ListGreetings did not return: %s", (_why, token) => {
    expect(invalid(() => decodePageToken(token)).rawMessage).toBe(
      "page_token is not a token returned by ListGreetings",
    );
  });
});

describe("validateId", () => {
  it("accepts positive ids and refuses zero and negatives", () => {
    expect(validateId(1n)).toBe(1n);
    expect(invalid(() => validateId(0n)).rawMessage).toBe("id must be a positive integer");
    expect(invalid(() => validateId(-5n)).rawMessage).toBe("id must be a positive integer");
  });
});
