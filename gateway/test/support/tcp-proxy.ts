// A TCP proxy on a loopback port in front of a server, for tests that cut connections the way a
// network or a load balancer does: every open connection can be dropped at once.
import { once } from "node:events";
import { type AddressInfo, connect, createServer, type Socket } from "node:net";

export interface TcpProxy {
  port: number;
  url: string;
  /** The first bytes each client sent (for HTTP: the request head), one entry per connection. */
  readonly openings: string[];
  /** Destroys every open connection, both sides, with no goodbye. */
  dropAll(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, host = "127.0.0.1"): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const openings: string[] = [];
  const server = createServer((client) => {
    const upstream = connect(targetPort, host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => undefined);
    }
    const index = openings.push("") - 1;
    client.on("data", (chunk: Buffer) => {
      if ((openings[index] as string).length < 4_096) openings[index] += chunk.toString("latin1");
    });
    client.pipe(upstream);
    upstream.pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  server.listen(0, host);
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://${host}:${port}`,
    openings,
    dropAll() {
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
