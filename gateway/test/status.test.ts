import type { IncomingMessage, ServerResponse } from "node:http";
import { createLogger } from "@infinity-pool/runtime/logger";
import { Code } from "@infinity-pool/runtime/status";
import { afterEach, describe, expect, it } from "vitest";
import type { Exchange } from "../src/access-log.ts";
import { UpstreamError } from "../src/backend.ts";
import { HttpError } from "../src/http-error.ts";
import {
  httpStatusFromCode,
  malformedRequestResponse,
  publicMessage,
  statusBody,
  writeError,
} from "../src/status.ts";
import { rawRequest, request, serve, type TestServer } from "./support/http.ts";

describe("the status table (grpc-gateway runtime.HTTPStatusFromCode)", () => {
  it.each([
    [Code.OK, 200],
    [Code.CANCELLED, 499],
    [Code.UNKNOWN, 500],
    [Code.INVALID_ARGUMENT, 400],
    [Code.DEADLINE_EXCEEDED, 504],
    [Code.NOT_FOUND, 404],
    [Code.ALREADY_EXISTS, 409],
    [Code.PERMISSION_DENIED, 403],
    [Code.RESOURCE_EXHAUSTED, 429],
    [Code.FAILED_PRECONDITION, 400],
    [Code.ABORTED, 409],
    [Code.OUT_OF_RANGE, 400],
    [Code.UNIMPLEMENTED, 501],
    [Code.INTERNAL, 500],
    [Code.UNAVAILABLE, 503],
    [Code.DATA_LOSS, 500],
    [Code.UNAUTHENTICATED, 401],
    [17, 500],
    [-1, 500],
  ])("maps gRPC %i to HTTP %i", (code, status) => {
    expect(httpStatusFromCode(code)).toBe(status);
  });
});

describe("publicMessage", () => {
  it("passes on the backend's message where it is part of the API", () => {
    for (const code of [
      Code.INVALID_ARGUMENT,
      Code.NOT_FOUND,
      Code.ALREADY_EXISTS,
      Code.PERMISSION_DENIED,
      Code.FAILED_PRECONDITION,
      Code.ABORTED,
      Code.OUT_OF_RANGE,
      Code.UNAUTHENTICATED,
    ]) {
      expect(publicMessage(code, "greeting 7 not found")).toBe("greeting 7 not found");
    }
  });

  it("replaces messages that could describe infrastructure", () => {
    const leak = "connect ECONNREFUSED 10.0.3.7:5432";
    expect(publicMessage(Code.UNAVAILABLE, leak)).toBe(
      "the backend is unavailable, try again later",
    );
    expect(publicMessage(Code.INTERNAL, leak)).toBe("internal error");
    expect(publicMessage(Code.UNKNOWN, leak)).toBe("internal error");
    expect(publicMessage(Code.DATA_LOSS, leak)).toBe("internal error");
    expect(publicMessage(Code.DEADLINE_EXCEEDED, leak)).toBe(
      "the backend did not answer within the deadline",
    );
    expect(publicMessage(Code.RESOURCE_EXHAUSTED, leak)).not.toContain("10.0.3.7");
    expect(publicMessage(Code.UNIMPLEMENTED, leak)).toBe("this operation is not implemented");
    expect(publicMessage(Code.CANCELLED, leak)).toBe("the request was cancelled");
    expect(publicMessage(42, leak)).toBe("internal error");
  });
});

describe("statusBody", () => {
  it("is a google.rpc.Status-shaped JSON object", () => {
    expect(JSON.parse(statusBody(Code.NOT_FOUND, "no route for this path"))).toEqual({
      code: 5,
      message: "no route for this path",
      details: [],
    });
  });
});

describe("malformedRequestResponse", () => {
  it.each([
    ["HPE_HEADER_OVERFLOW", 431, "Request Header Fields Too Large", Code.INVALID_ARGUMENT],
    ["ERR_HTTP_REQUEST_TIMEOUT", 408, "Request Timeout", Code.DEADLINE_EXCEEDED],
    ["HPE_INVALID_METHOD", 400, "Bad Request", Code.INVALID_ARGUMENT],
    [undefined, 400, "Bad Request", Code.INVALID_ARGUMENT],
  ])("answers %s with a complete HTTP/1.1 %i JSON response", (errorCode, status, reason, code) => {
    const answer = malformedRequestResponse(errorCode);
    expect(answer.status).toBe(status);
    const [head = "", body = ""] = answer.response.split("\r\n\r\n");
    expect(head.split("\r\n")).toEqual([
      `HTTP/1.1 ${status} ${reason}`,
      "content-type: application/json",
      `content-length: ${Buffer.byteLength(body)}`,
      "connection: close",
    ]);
    expect(JSON.parse(body)).toMatchObject({ code, details: [] });
  });
});

describe("writeError (grpc-gateway DefaultHTTPErrorHandler)", () => {
  let server: TestServer | undefined;
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    service: "gateway",
    level: "debug",
    destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
  });

  afterEach(async () => {
    await server?.close();
    lines.length = 0;
  });

  /** Serves `error` through writeError and returns what the client got and what was recorded. */
  async function answer(error: unknown, init: RequestInit = {}) {
    const exchange: Exchange = { requestId: "r1", route: "/v1/x" };
    server = await serve((req: IncomingMessage, res: ServerResponse) =>
      writeError(req, res, error, exchange, log),
    );
    const res = await request(`${server.url}/v1/x`, init);
    return { res, exchange };
  }

  it("answers an HttpError with its status, headers and google.rpc.Status body", async () => {
    const { res, exchange } = await answer(
      new HttpError(405, Code.UNIMPLEMENTED, "POST is not allowed here", { allow: "GET, HEAD" }),
    );
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD");
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.body).toEqual({ code: 12, message: "POST is not allowed here", details: [] });
    expect(exchange.errorMessage).toBe("POST is not allowed here");
  });

  it("closes the connection when it refuses a request before reading its body", async () => {
    const { res } = await answer(new HttpError(401, Code.UNAUTHENTICATED, "token required"), {
      method: "POST",
      body: "x".repeat(100_000),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("connection")).toBe("close");
  });

  it("maps an UpstreamError by the table and records its code and attempts", async () => {
    const { res, exchange } = await answer(
      new UpstreamError(Code.NOT_FOUND, "greeting 7 not found", 1),
    );
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ code: 5, message: "greeting 7 not found", details: [] });
    expect(exchange).toMatchObject({ upstreamCode: Code.NOT_FOUND, attempts: 1 });
  });

  it("answers every 500 as INTERNAL with an opaque message", async () => {
    const { res, exchange } = await answer(
      new UpstreamError(Code.DATA_LOSS, "disk /dev/nvme0n1 failed", 2),
    );
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ code: 13, message: "internal error", details: [] });
    // Operators still see what the backend said.
    expect(exchange).toMatchObject({ errorMessage: "disk /dev/nvme0n1 failed", attempts: 2 });
  });

  it("answers anything else as a gateway fault: 500, logged with its detail", async () => {
    const { res } = await answer(new TypeError("cannot read properties of undefined"));
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ code: 13, message: "internal error", details: [] });
    expect(res.text).not.toContain("undefined");
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: "unexpected gateway error", requestId: "r1" }),
    );
  });

  it("sends nothing to a client that hung up, and logs no error", async () => {
    const reset = Object.assign(new Error("aborted"), { code: "ECONNRESET" });
    server = await serve((req, res) =>
      writeError(req, res, reset, { requestId: "r2", route: "/" }, log),
    );
    const res = await rawRequest(server.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(Number.isNaN(res.status)).toBe(true);
    expect(lines.filter((l) => l.level === "error")).toEqual([]);
  });
});
