import { Writable } from "node:stream";
import { createLogger, type Logger } from "@infinity-pool/runtime/logger";
import { Code } from "@infinity-pool/runtime/status";
import { pino } from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  type AccessLine,
  AccessLog,
  accessLogLine,
  type Exchange,
  isoTimeCached,
} from "../src/access-log.ts";
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

describe("AccessLog", () => {
  /** A logger made as the gateway makes it, writing into an array of lines. */
  function capture(level = "info", options: Parameters<typeof pino>[0] = {}) {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split("\n").filter(Boolean));
        done();
      },
    });
    const log = Object.keys(options).length
      ? (pino({ level, ...options }, destination) as unknown as Logger)
      : createLogger({ service: "gateway", level, destination });
    return { log, lines };
  }
  const sameTime = (line: string) => line.replace(/"time":"[^"]*"/, '"time":"T"');

  const lines: AccessLine[] = [
    { requestId: "r1", method: "GET", path: "/", route: "/", status: 200, ms: 1.23 },
    {
      requestId: "3f1c9a7e-0b5d-4c1e-9f3a-7d2e8b6c5a41",
      method: "POST",
      path: '/v1/"quoted"\\back\\slash',
      route: "/v1/greetings",
      status: 503,
      ms: 2012.5,
      grpcCode: "UNAVAILABLE",
      attempts: 3,
      error: "line one\nline two\ttab \u0001 and é, ✓, 😀",
      remote: "::ffff:10.0.0.7",
      forwardedFor: "203.0.113.9, 198.51.100.4",
      amznTraceId: "Root=1-5759e988-bd862e3fe1be46a994272793",
    },
    {
      requestId: "r3",
      method: "GET",
      path: `/${"long-segment/".repeat(12)}`,
      route: "(unmatched)",
      status: 404,
      ms: Number.NaN,
      remote: undefined,
      forwardedFor: "203.0.113.9",
    },
  ];

  it.each(lines.map((l) => [l.requestId, l] as const))(
    "writes %s byte for byte as pino's log.info(line, 'request') would",
    (_id, line) => {
      const fast = capture();
      new AccessLog(fast.log).write(line);
      const slow = capture();
      slow.log.child({}, { redact: { paths: [], censor: "[redacted]" } }).info(line, "request");
      expect(fast.lines).toHaveLength(1);
      expect(sameTime(fast.lines[0] as string)).toBe(sameTime(slow.lines[0] as string));
      expect(JSON.parse(fast.lines[0] as string)).toMatchObject({ level: "info", msg: "request" });
    },
  );

  it("writes nothing when the level is above info", () => {
    const { log, lines: written } = capture("warn");
    new AccessLog(log).write(lines[0] as AccessLine);
    expect(written).toEqual([]);
  });

  it("goes through pino itself for a logger with a mixin", () => {
    const { log, lines: written } = capture("info", { mixin: () => ({ zone: "a" }) });
    new AccessLog(log).write(lines[0] as AccessLine);
    expect(JSON.parse(written[0] as string)).toMatchObject({ zone: "a", requestId: "r1" });
  });
});

describe("isoTimeCached", () => {
  it("writes what pino.stdTimeFunctions.isoTime writes, at every millisecond of a second and across seconds", () => {
    const start = Date.UTC(2026, 10, 30, 23, 59, 58, 0);
    for (let t = start; t < start + 3_000; t += 1) {
      vi.setSystemTime(t);
      expect(isoTimeCached(t)).toBe(pino.stdTimeFunctions.isoTime());
    }
    vi.useRealTimers();
  });
});
