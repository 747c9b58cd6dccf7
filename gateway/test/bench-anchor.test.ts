// The bench's grpc-gateway anchor is built by a Debian toolchain that reads greeting.proto alone
// and refuses proto3 `optional`: the copy handed to it keeps every unary RPC and drops the rest.
import { readFileSync } from "node:fs";
import { file_infinitypool_v1_greeting } from "@infinity-pool/proto/infinitypool/v1/greeting_pb.js";
import { expect, it } from "vitest";
import { withoutServerStreaming } from "../bench/anchor.ts";

const proto = readFileSync(
  new URL("../../proto/infinitypool/v1/greeting.proto", import.meta.url),
  "utf8",
);

it("hands grpc-gateway's build every unary RPC of greeting.proto and nothing it cannot build", () => {
  const unary = withoutServerStreaming(proto);
  const [service] = file_infinitypool_v1_greeting.services;
  for (const method of service?.methods ?? []) {
    const present = new RegExp(`\\brpc ${method.name}\\(`).test(unary);
    expect(present, method.name).toBe(method.methodKind === "unary");
  }
  expect(unary).not.toMatch(/\boptional\b|streaming\.proto|stream_resumption|returns \(stream/);
  // Every message a kept RPC names is still there.
  for (const [, input, output] of unary.matchAll(/rpc \w+\((\w+)\) returns \((\w+)\)/g)) {
    expect(unary).toContain(`message ${input} {`);
    expect(unary).toContain(`message ${output} {`);
  }
});
