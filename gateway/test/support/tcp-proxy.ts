// A TCP proxy on a loopback port in front of a server, for tests that break connections the way a
// network or a load balancer does: every open connection can be dropped at once, or frozen (bytes
// stop flowing both ways while both connections stay open, as when a peer vanishes without
// closing: a node lost, a partition).
import { once } from "node:events";
import { type AddressInfo, connect, createServer, type Socket } from "node:net";

export interface TcpProxy {
  port: number;
  url: string;
  /** The first bytes each client sent (for HTTP: the request head), one entry per connection. */
  readonly openings: string[];
  /** Stops forwarding bytes, in both directions, on every connection; none is closed. */
  freeze(): void;
  /** Destroys every open connection, both sides, with no goodbye. */
  dropAll(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, host = "127.0.0.1"): Promise<TcpProxy> {
  let frozen = false;
  const sockets = new Set<Socket>();
  const openings: string[] = [];
  const server = createServer((client) => {
    const upstream = connect(targetPort, host);
    const index = openings.push("") - 1;
    client.on("data", (chunk: Buffer) => {
      if ((openings[index] as string).length < 4_096) openings[index] += chunk.toString("latin1");
    });
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(from);
      from.on("data", (chunk: Buffer) => {
        if (!frozen) to.write(chunk);
      });
      // A half-close goes on as one (HTTP/1.1 clients may send FIN after the request).
      from.on("end", () => to.end());
      from.on("error", () => to.destroy());
      from.on("close", () => {
        sockets.delete(from);
        to.destroy();
      });
    }
  });
  server.listen(0, host);
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://${host}:${port}`,
    openings,
    freeze() {
      frozen = true;
    },
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
