import { IncomingMessage } from "node:http";
import { Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { hasBody, readJsonBody } from "../src/http-body.ts";
import { HttpError } from "../src/http-error.ts";

/** A request as Node's parser would hand it over: headers, then the body bytes. */
function incoming(
  headers: Record<string, string>,
  ...chunks: (string | Buffer)[]
): IncomingMessage {
  const req = new IncomingMessage(new Socket());
  req.headers = headers;
  for (const chunk of chunks) req.push(chunk);
  req.push(null);
  return req;
}

async function refusal(promise: Promise<unknown>): Promise<HttpError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HttpError);
  return err as HttpError;
}

const json = { "content-type": "application/json" };

describe("hasBody (RFC 9112 §6.3)", () => {
  it("is true for a non-zero Content-Length or any Transfer-Encoding", () => {
    expect(hasBody(incoming({ "content-length": "2" }))).toBe(true);
    expect(hasBody(incoming({ "transfer-encoding": "chunked" }))).toBe(true);
  });

  it("is false without either, or for Content-Length: 0", () => {
    expect(hasBody(incoming({}))).toBe(false);
    expect(hasBody(incoming({ "content-length": "0" }))).toBe(false);
  });
});

describe("readJsonBody", () => {
  it("returns the body's text; the route's message reads it (request-mapping.ts)", async () => {
    const body = '{"text":"hi","n":[1,2]}';
    const req = incoming({ ...json, "content-length": String(body.length) }, body);
    expect(await readJsonBody(req, 1024)).toBe(body);
  });

  it("reads a chunked body split anywhere, even inside a UTF-8 character", async () => {
    const bytes = Buffer.from('{"text":"grüß"}');
    const req = incoming(
      { ...json, "transfer-encoding": "chunked" },
      bytes.subarray(0, 12),
      bytes.subarray(12),
    );
    expect(await readJsonBody(req, 1024)).toBe('{"text":"grüß"}');
  });

  it("is undefined for an absent or empty body", async () => {
    expect(await readJsonBody(incoming({}), 1024)).toBeUndefined();
    expect(
      await readJsonBody(incoming({ ...json, "transfer-encoding": "chunked" }), 1024),
    ).toBeUndefined();
  });

  it("accepts a charset parameter only when it is UTF-8", async () => {
    const ok = incoming(
      { "content-type": "application/json; charset=UTF-8", "content-length": "2" },
      "{}",
    );
    expect(await readJsonBody(ok, 1024)).toBe("{}");
    const latin1 = incoming(
      { "content-type": "application/json; charset=latin1", "content-length": "2" },
      "{}",
    );
    expect(await refusal(readJsonBody(latin1, 1024))).toMatchObject({
      httpStatus: 415,
      message: "the request body must be UTF-8 JSON",
    });
  });

  it("answers 415 for another media type (RFC 9110 §15.5.16)", async () => {
    const req = incoming({ "content-type": "text/plain", "content-length": "2" }, "{}");
    expect(await refusal(readJsonBody(req, 1024))).toMatchObject({
      httpStatus: 415,
      code: 3,
      message: "the request body must be application/json",
    });
  });

  it("answers 415 with Accept-Encoding: identity for a compressed body (RFC 7694)", async () => {
    const req = incoming({ ...json, "content-encoding": "gzip", "content-length": "2" }, "{}");
    expect(await refusal(readJsonBody(req, 1024))).toMatchObject({
      httpStatus: 415,
      headers: { "accept-encoding": "identity" },
    });
  });

  it("answers 413 by the declared length, before reading anything", async () => {
    const req = incoming({ ...json, "content-length": "2048" });
    expect(await refusal(readJsonBody(req, 1024))).toMatchObject({
      httpStatus: 413,
      message: "the request body exceeds 1024 bytes",
      headers: { connection: "close" },
    });
  });

  it("answers 413 when a chunked body grows past the limit", async () => {
    const req = incoming(
      { ...json, "transfer-encoding": "chunked" },
      "x".repeat(600),
      "x".repeat(600),
    );
    expect(await refusal(readJsonBody(req, 1024))).toMatchObject({ httpStatus: 413 });
  });

  it("answers 400 for invalid UTF-8 (invalid JSON is refused when the text is read)", async () => {
    const bad = incoming({ ...json, "content-length": "3" }, Buffer.from([0x22, 0xff, 0x22]));
    expect(await refusal(readJsonBody(bad, 1024))).toMatchObject({
      httpStatus: 400,
      message: "the request body is not valid UTF-8",
    });
  });
});
