// The node:http2 client's channel (gateway/src/grpc/channel.ts) against a real HTTP/2 server.
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Channel } from "../src/grpc/channel.ts";
import { parseTarget } from "../src/grpc/target.ts";
import { connectionSettings } from "../src/upstream.ts";

let server: http2.Http2Server;
let port: number;
beforeAll(async () => {
  server = http2.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

it("connects again after a discarded transport, so calls to a fixed address are not stranded", async () => {
  const target = parseTarget(`ipv4:127.0.0.1:${port}`);
  const channel = new Channel(target, {
    ...connectionSettings,
    authority: target.authority,
    refreshMs: 0,
  });
  try {
    await expect.poll(() => channel.pick()).toBeDefined();
    const first = channel.pick();
    if (first === undefined) throw new Error("no transport");
    // What a call does when its stream could not even start on the transport (ids exhausted).
    channel.discard(first);
    await expect.poll(() => channel.pick(), { timeout: 10_000 }).toBeDefined();
    expect(channel.pick()).not.toBe(first);
  } finally {
    channel.close();
  }
});
