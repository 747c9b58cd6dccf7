// The backend's rules for hostile input (issue #11), one by one: text canonicalised before it is
// validated (kind 1), page tokens and database data exceptions as INVALID_ARGUMENT with no
// error-level log (kind 2).
import { Writable } from "node:stream";
import { ConnectError } from "@connectrpc/connect";
import { createLogger } from "@infinity-pool/runtime/logger";
import { Code, codeName } from "@infinity-pool/runtime/status";
import { describe, expect, it } from "vitest";
import { isDataException, toConnectError } from "../src/db/errors.ts";
import { decodePageToken, encodePageToken, validateText } from "../src/greetings/validation.ts";

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    const error = e as ConnectError;
    return `${codeName(error.code)}: ${error.rawMessage}`;
  }
  return "accepted";
}

describe("greeting text: canonicalised (NFC, trimmed), then every rule on what is stored", () => {
  it.each([
    [
      "U+1D160 expands threefold under NFC",
      "\u{1D160}".repeat(94),
      /at most 280 characters \(got 282\)/,
    ],
    ["zero-width space only", "\u200b", /visible character/],
    ["variation selector and word joiner only", "\ufe0f\u2060", /visible character/],
    ["braille blank", "\u2800\u2800", /visible character/],
    ["lone combining marks", "\u0301\u0302", /visible character/],
    ["tag characters", "\u{E0041}\u{E0042}", /visible character/],
    ["unpaired surrogate", "ok\ud800", /unpaired surrogate/],
    ["no-break and ideographic spaces only", "\u00a0\u3000", /must not be empty/],
    ["a control character inside", "a\u0007b", /control characters/],
  ])("refuses %s", (_name, text, message) => {
    expect(refusal(() => validateText(text))).toMatch(
      new RegExp(`^INVALID_ARGUMENT: text .*${message.source}`),
    );
  });

  it("stores exactly what it checked", () => {
    expect(validateText("  e\u0301cole  ")).toBe("\u00e9cole");
    expect(validateText("e\u0301".repeat(280))).toBe("\u00e9".repeat(280));
    expect(validateText("🌊".repeat(280))).toBe("🌊".repeat(280));
    expect(validateText("a\u200bb")).toBe("a\u200bb");
    expect(validateText("\u{F8FF}")).toBe("\u{F8FF}");
  });
});

describe("page tokens: exactly what ListGreetings wrote, or INVALID_ARGUMENT", () => {
  const b64 = (s: string) => Buffer.from(s).toString("base64url");

  it("round-trips every id PostgreSQL's bigint holds", () => {
    for (const id of [1n, 42n, 2n ** 53n + 1n, 2n ** 63n - 1n]) {
      expect(decodePageToken(encodePageToken(id))).toBe(id);
    }
  });

  it.each([
    b64("g1:9999999999999999999"),
    b64("g1:9223372036854775808"),
    b64("g1:0"),
    b64("g1:01"),
    b64("g1:-1"),
    b64("g1:1 "),
    b64("g2:1"),
    `${b64("g1:1")}=`,
    "ZzE6MR",
    "forged",
    "x".repeat(500),
  ])("refuses %s", (token) => {
    expect(refusal(() => decodePageToken(token))).toMatch(/^INVALID_ARGUMENT: page_token/);
  });
});

describe("database data exceptions (SQLSTATE class 22) are the caller's INVALID_ARGUMENT", () => {
  const driverError = (code: string) =>
    Object.assign(new Error("value out of range for type bigint"), { code });

  it.each(["22003", "22P02", "22001", "22021", "22008"])(
    "%s, also wrapped as Drizzle wraps it",
    (sqlstate) => {
      const wrapped = new Error("Failed query", { cause: driverError(sqlstate) });
      expect(isDataException(wrapped)).toBe(true);
      const status = toConnectError(wrapped);
      expect(status.code).toBe(Code.INVALID_ARGUMENT);
      // No driver detail reaches the caller.
      expect(status.rawMessage).not.toMatch(/bigint|Failed query/);
    },
  );

  it("other failures keep their statuses", () => {
    expect(toConnectError(driverError("23505")).code).toBe(Code.INTERNAL);
    expect(toConnectError(driverError("57014")).code).toBe(Code.DEADLINE_EXCEEDED);
    expect(toConnectError(driverError("08006")).code).toBe(Code.UNAVAILABLE);
  });

  it("is logged as a warning with its SQLSTATE, never at error level", async () => {
    const { observe } = await import("../src/interceptors.ts");
    let out = "";
    const log = createLogger({
      service: "backend",
      level: "info",
      destination: new Writable({
        write(chunk, _e, done) {
          out += chunk.toString();
          done();
        },
      }),
    });
    const health = { report: () => undefined } as never;
    const call = observe(
      log,
      health,
    )(async () => {
      throw new Error("Failed query", { cause: driverError("22003") });
    });
    const req = {
      header: new Headers({ "x-request-id": "bad id with spaces" }),
      service: { typeName: "infinitypool.v1.GreetingService" },
      method: { name: "ListGreetings" },
    } as never;
    const error = await call(req).catch((e: unknown) => e);
    expect(ConnectError.from(error).code).toBe(Code.INVALID_ARGUMENT);
    const line = JSON.parse(out.trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: "warn", sqlstate: "22003", code: "INVALID_ARGUMENT" });
    // A request id that is not one is not logged either.
    expect(line.requestId).toBeUndefined();
  });
});
