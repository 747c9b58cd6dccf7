// The floor of this architecture on this machine: the same three hops as GET / (HTTP/1.1 into a
// Node process, gRPC over HTTP/2 to a second Node process, a prepared PostgreSQL query) written
// with nothing but node:http, node:http2, pg and protobuf-es. No routing, validation, deadlines,
// logging, metrics or balancing. What the real gateway and backend reach is compared with this.
//
//   node gateway/bench/floor.ts backend PORT DATABASE_URL
//   node gateway/bench/floor.ts gateway PORT BACKEND_PORT
import { createServer } from "node:http";
import http2 from "node:http2";
import { create, fromBinary, toBinary, toJsonString } from "@bufbuild/protobuf";
import { SayHelloResponseSchema } from "@infinity-pool/proto/infinitypool/v1/greeting_pb.js";
import { Code } from "@infinity-pool/runtime/status";
import pg from "pg";

const [role, port = "0", target = ""] = process.argv.slice(2);
const path = "/infinitypool.v1.GreetingService/SayHello";

function envelope(bytes: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + bytes.length);
  out.writeUInt32BE(bytes.length, 1);
  out.set(bytes, 5);
  return out;
}

if (role === "backend") {
  const pool = new pg.Pool({ connectionString: target, max: 10 });
  const query = { name: "floor-first", text: "select text from greetings order by id limit 1" };
  const server = http2.createServer();
  server.on("stream", (stream) => {
    stream.resume();
    stream.on("end", async () => {
      const { rows } = await pool.query<{ text: string }>(query);
      const message = create(SayHelloResponseSchema, {
        data: { greeting: rows[0]?.text ?? "" },
        message: "Response from infinity-pool database",
      });
      if (stream.destroyed) return;
      stream.respond(
        { ":status": 200, "content-type": "application/grpc+proto" },
        {
          waitForTrailers: true,
        },
      );
      stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": String(Code.OK) }));
      stream.end(envelope(toBinary(SayHelloResponseSchema, message)));
    });
  });
  server.listen(Number(port), "127.0.0.1");
  process.on("SIGTERM", () => process.exit(0));
} else if (role === "gateway") {
  const session = http2.connect(`http://127.0.0.1:${target}`);
  const request = envelope(new Uint8Array());
  const server = createServer({ keepAliveTimeout: 65_000 }, (_req, res) => {
    const call = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
    });
    const chunks: Buffer[] = [];
    call.on("data", (chunk: Buffer) => chunks.push(chunk));
    call.on("end", () => {
      const reply = fromBinary(SayHelloResponseSchema, Buffer.concat(chunks).subarray(5));
      const body = toJsonString(SayHelloResponseSchema, reply);
      res.writeHead(200, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
      });
      res.end(body);
    });
    call.end(request);
  });
  server.listen(Number(port), "127.0.0.1");
  process.on("SIGTERM", () => process.exit(0));
} else {
  console.error("usage: floor.ts backend PORT DATABASE_URL | gateway PORT BACKEND_PORT");
  process.exit(2);
}
