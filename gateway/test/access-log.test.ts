import { Code } from "@infinity-pool/runtime/status";
import { afterEach, describe, expect, it } from "vitest";
import { type AccessLine, accessLogLine, type Exchange } from "../src/access-log.ts";
import { rawRequest, serve, type TestServer } from "./support/http.ts";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
});

/**
 * The access log line of one request: `respond` answers it (or not), the line is taken when the
 * response closes, as the gateway does.
 */
async function lineFor(
  exchange: Exchange,
  raw: string,
  respond: (res: import("node:http").ServerResponse) => void,
): Promise<AccessLine> {
  let resolveLine: (line: AccessLine) => void = () => {};
  const line = new Promise<AccessLine>((resolve) => {
    resolveLine = resolve;
  });
  server = await serve((req, res) => {
    res.once("close", () => resolveLine(accessLogLine(req, res, exchange, 0.012345)));
    respond(res);
  });
  await rawRequest(server.port, raw);
  return line;
}

describe("accessLogLine", () => {
  it("says what was asked, how it was answered and how long it took", async () => {
    const line = await lineFor(
      { requestId: "r1", route: "/v1/greetings/{id}", upstreamCode: Code.NOT_FOUND, attempts: 1 },
      "GET /v1/greetings/7?view=full HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      (res) => res.writeHead(404).end(),
    );
    expect(line).toEqual({
      requestId: "r1",
      method: "GET",
      path: "/v1/greetings/7",
      route: "/v1/greetings/{id}",
      status: 404,
      ms: 12.35,
      grpcCode: "NOT_FOUND",
      remote: "127.0.0.1",
    });
  });

  it("adds retries, the error, and the ALB's client address and trace id", async () => {
    const line = await lineFor(
      {
        requestId: "r2",
        route: "/v1/greetings",
        upstreamCode: Code.UNAVAILABLE,
        attempts: 3,
        errorMessage: "no healthy upstream",
      },
      "GET /v1/greetings HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.9\r\n" +
        "X-Amzn-Trace-Id: Root=1-5759e988-bd862e3fe1be46a994272793\r\n" +
        "Authorization: Bearer never-logged\r\nConnection: close\r\n\r\n",
      (res) => res.writeHead(503).end(),
    );
    expect(line).toMatchObject({
      status: 503,
      grpcCode: "UNAVAILABLE",
      attempts: 3,
      error: "no healthy upstream",
      forwardedFor: "203.0.113.9",
      amznTraceId: "Root=1-5759e988-bd862e3fe1be46a994272793",
    });
    expect(JSON.stringify(line)).not.toContain("never-logged");
  });

  it("says 499 when the client went away before the response ended", async () => {
    const line = await lineFor(
      { requestId: "r3", route: "(unmatched)" },
      "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
      (res) => res.destroy(),
    );
    expect(line.status).toBe(499);
    expect(line).not.toHaveProperty("grpcCode");
    expect(line).not.toHaveProperty("attempts");
  });
});
