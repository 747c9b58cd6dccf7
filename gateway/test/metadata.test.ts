import { describe, expect, it } from "vitest";
import { forwardedMetadata, requestIdOf } from "../src/metadata.ts";

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

describe("requestIdOf", () => {
  it("keeps a client request id of 1 to 128 safe characters", () => {
    for (const id of ["a", "abc-123", "svc:op.1_2", "x".repeat(128)]) {
      expect(requestIdOf({ "x-request-id": id })).toBe(id);
    }
  });

  it("makes a new UUID when the client sends none, or one unsafe to log or forward", () => {
    for (const id of [undefined, "", "x".repeat(129), "has space", "a=b", "line\nbreak", "é"]) {
      expect(requestIdOf(id === undefined ? {} : { "x-request-id": id })).toMatch(uuid);
    }
  });

  it("makes a different id for every request", () => {
    expect(requestIdOf({})).not.toBe(requestIdOf({}));
  });
});

describe("forwardedMetadata", () => {
  it("always forwards the request id, and nothing else by default", () => {
    expect(
      forwardedMetadata({ authorization: "Bearer t", cookie: "c=1", "user-agent": "curl" }, "r1"),
    ).toEqual({ "x-request-id": "r1" });
  });

  it("forwards a valid W3C traceparent with its tracestate", () => {
    expect(forwardedMetadata({ traceparent, tracestate: "congo=t61rcWkgMzE" }, "r1")).toEqual({
      "x-request-id": "r1",
      traceparent,
      tracestate: "congo=t61rcWkgMzE",
    });
  });

  it.each([
    ["version ff", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"],
    ["all-zero trace id", `00-${"0".repeat(32)}-00f067aa0ba902b7-01`],
    ["all-zero parent id", `00-4bf92f3577b34da6a3ce929d0e0e4736-${"0".repeat(16)}-01`],
    ["upper case", traceparent.toUpperCase()],
    ["short trace id", "00-4bf92f3577b34da6-00f067aa0ba902b7-01"],
  ])("drops an invalid traceparent (%s) and its tracestate", (_why, value) => {
    expect(forwardedMetadata({ traceparent: value, tracestate: "a=b" }, "r1")).toEqual({
      "x-request-id": "r1",
    });
  });

  it("drops a tracestate longer than 512 characters but keeps the traceparent", () => {
    expect(forwardedMetadata({ traceparent, tracestate: `a=${"b".repeat(511)}` }, "r1")).toEqual({
      "x-request-id": "r1",
      traceparent,
    });
  });
});
