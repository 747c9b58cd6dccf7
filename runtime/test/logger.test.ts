import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, flushLogs } from "../src/logger.ts";

function capture(level = "info") {
  const lines: Record<string, unknown>[] = [];
  let raw = "";
  const destination = new Writable({
    write(chunk, _encoding, done) {
      raw += chunk.toString();
      for (const line of chunk.toString().split("\n")) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  const log = createLogger({ service: "test-service", level, destination });
  return { log, lines, raw: () => raw };
}

describe("createLogger", () => {
  it("writes one JSON object a line with the service, the level's name and an ISO time", () => {
    const { log, lines } = capture();
    log.info({ port: 1 }, "listening");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      service: "test-service",
      level: "info",
      port: 1,
      msg: "listening",
    });
    expect(new Date(lines[0]?.time as string).toISOString()).toBe(lines[0]?.time);
  });

  it("drops lines below the configured level", () => {
    const { log, lines } = capture("warn");
    log.info("quiet");
    log.warn("loud");
    expect(lines.map((l) => l.msg)).toEqual(["loud"]);
  });

  it("redacts credentials wherever they are put by mistake", () => {
    const { log, raw } = capture();
    log.info({
      authorization: "Bearer tok-1",
      headers: { authorization: "Bearer tok-2" },
      req: { headers: { authorization: "Bearer tok-3" } },
      password: "pw-1",
      db: { password: "pw-2", connectionString: "postgres://u:pw-3@h/d" },
      secret: "sec-1",
      token: "tok-4",
      writeTokens: ["tok-5"],
      config: { writeTokens: ["tok-6"], token: "tok-7" },
    });
    for (const value of ["tok-", "pw-", "sec-1"]) expect(raw()).not.toContain(value);
    expect(raw()).toContain("[redacted]");
  });

  it("flushLogs resolves once buffered lines are written", async () => {
    const { log, lines } = capture();
    log.info("before exit");
    await flushLogs(log);
    expect(lines.map((l) => l.msg)).toEqual(["before exit"]);
  });
});
