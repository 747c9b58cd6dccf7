// A client that goes away mid-call is the client's doing: the backend logs the call as CANCELLED
// at info, never as a failed call at error level (no client input may produce an error-level log).
import http2 from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BackendProcess, startBackend } from "./support/backend-process.ts";
import { envelope } from "./support/grpc-wire.ts";

let backend: BackendProcess;
beforeAll(async () => {
  backend = await startBackend();
});
afterAll(() => backend?.kill());

// ServerReflectionRequest { list_services: "" } (field 7, length-delimited, empty).
const listServices = envelope(Uint8Array.of(0x3a, 0x00));
const reflection = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo";

type Leave = (session: http2.ClientHttp2Session, call: http2.ClientHttp2Stream) => Promise<void>;

// How each departure reads to the handler: a dropped connection aborts the call's signal; an
// RST_STREAM(CANCEL) after the reply ends the request stream, and the reflection handler has
// nothing left to do, so the call ends OK. Either way: one info line, never an error.
const ways: Record<string, Leave> = {
  "drops the connection after an answer, request stream still open": async (session, call) => {
    call.write(listServices);
    await new Promise((resolve) => call.once("data", resolve));
    session.destroy();
  },
  "drops the connection halfway through a message": async (session, call) => {
    call.write(listServices.subarray(0, 3));
    await new Promise((r) => setTimeout(r, 200));
    session.destroy();
  },
  "resets the stream after an answer": async (_session, call) => {
    call.write(listServices);
    await new Promise((resolve) => call.once("data", resolve));
    call.close(http2.constants.NGHTTP2_CANCEL);
  },
};

describe("a client that leaves a bidirectional stream", () => {
  for (const [name, leave] of Object.entries(ways)) {
    const code = name.startsWith("resets") ? "OK" : "CANCELLED";
    it(`${name}: logged as ${code} at info, no error line`, async () => {
      const before = backend.logs().length;
      const session = http2.connect(backend.url);
      session.on("error", () => undefined);
      const call = session.request({
        ":method": "POST",
        ":path": reflection,
        "content-type": "application/grpc",
        te: "trailers",
      });
      call.on("error", () => undefined);
      await leave(session, call);
      const lines = () =>
        backend
          .logs()
          .slice(before)
          .filter((l) => l.includes(reflection.slice(1)))
          .map((l) => JSON.parse(l) as { level: unknown; code?: string; msg: string });
      await expect.poll(() => lines().length, { timeout: 10_000 }).toBeGreaterThan(0);
      // Give a late error line the time to arrive before asserting there is none.
      await new Promise((r) => setTimeout(r, 300));
      expect(lines().map(({ level, code, msg }) => ({ level, code, msg }))).toEqual([
        { level: "info", code, msg: "call" },
      ]);
      session.destroy();
    });
  }
});
