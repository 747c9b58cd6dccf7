// A closed-loop gRPC load generator: `connections` calls in flight over one grpc-js channel to
// GreetingService/SayHello for `seconds`, then prints requests/s and latency percentiles as JSON.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import {
  SayHelloRequestSchema,
  SayHelloResponseSchema,
} from "@infinity-pool/proto/infinitypool/v1/greeting_pb.js";

const [target = "127.0.0.1:50051", connectionsArg = "16", secondsArg = "10"] =
  process.argv.slice(2);
const inFlight = Number(connectionsArg);
const seconds = Number(secondsArg);
const client = new grpc.Client(target, grpc.credentials.createInsecure());
const request = create(SayHelloRequestSchema);
const serialize = (m: typeof request) => Buffer.from(toBinary(SayHelloRequestSchema, m));
const deserialize = (b: Buffer) => fromBinary(SayHelloResponseSchema, b);

const latencies: number[] = [];
let errors = 0;
const end = performance.now() + seconds * 1000;

const one = () =>
  new Promise<void>((resolve) => {
    const started = performance.now();
    client.makeUnaryRequest(
      "/infinitypool.v1.GreetingService/SayHello",
      serialize,
      deserialize,
      request,
      new grpc.Metadata(),
      { deadline: Date.now() + 5_000 },
      (error) => {
        if (error) errors++;
        else latencies.push(performance.now() - started);
        resolve();
      },
    );
  });

const worker = async () => {
  while (performance.now() < end) await one();
};

await new Promise<void>((resolve, reject) =>
  client.waitForReady(Date.now() + 5_000, (e) => (e ? reject(e) : resolve())),
);
const started = performance.now();
await Promise.all(Array.from({ length: inFlight }, worker));
const elapsed = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
console.log(
  JSON.stringify({
    requests: latencies.length,
    errors,
    rps: latencies.length / elapsed,
    p50: pct(0.5),
    p99: pct(0.99),
  }),
);
client.close();
