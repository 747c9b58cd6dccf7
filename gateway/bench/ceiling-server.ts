// The ceiling for one Node process on this machine: a bare node:http server answering the same
// JSON as GET / with the same headers, no routing, no upstream call.
import { createServer } from "node:http";

const body = '{"data":{"greeting":"Hello World"},"message":"Response from infinity-pool database"}';
const length = Buffer.byteLength(body);
const server = createServer({ keepAliveTimeout: 65_000 }, (_req, res) => {
  res.writeHead(200, { "content-type": "application/json", "content-length": length });
  res.end(body);
});
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  const address = server.address();
  console.log(JSON.stringify({ port: typeof address === "object" ? address?.port : 0 }));
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
