import { Code as ConnectCode } from "@connectrpc/connect";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { Code, codeName } from "../src/status.ts";

describe("status codes", () => {
  it("are the gRPC specification's seventeen names and numbers, as grpc-js has them", () => {
    expect(Object.keys(Code)).toHaveLength(17);
    for (const [name, value] of Object.entries(Code)) {
      expect(GrpcStatus[name as keyof typeof GrpcStatus], name).toBe(value);
    }
  });

  it("carry the numbers of connect's Code enum, so ConnectError takes them", () => {
    // connect spells the names in PascalCase and has no OK; the numbers are the same.
    expect(Code.CANCELLED).toBe(ConnectCode.Canceled);
    expect(Code.NOT_FOUND).toBe(ConnectCode.NotFound);
    expect(Code.UNAVAILABLE).toBe(ConnectCode.Unavailable);
    expect(Code.UNAUTHENTICATED).toBe(ConnectCode.Unauthenticated);
    for (let n = 1; n <= 16; n++) {
      expect(ConnectCode[n], `code ${n}`).toBeDefined();
      expect(codeName(n).replaceAll("_", "").toLowerCase()).toBe(
        (ConnectCode[n] as string).toLowerCase().replace("canceled", "cancelled"),
      );
    }
  });

  it("are named as logs and metrics labels show them", () => {
    expect(codeName(0)).toBe("OK");
    expect(codeName(5)).toBe("NOT_FOUND");
    expect(codeName(16)).toBe("UNAUTHENTICATED");
  });

  it("name a number outside the specification by its digits", () => {
    expect(codeName(17)).toBe("17");
    expect(codeName(-1)).toBe("-1");
  });
});
