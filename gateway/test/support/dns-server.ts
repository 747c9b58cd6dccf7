// A tiny authoritative DNS server on a loopback UDP port, answering A queries for one name from a
// list the test can change: the shape of a Kubernetes headless Service, whose name resolves to
// every ready pod. Other names get NXDOMAIN; AAAA and TXT get an empty answer.
import { createSocket } from "node:dgram";
import { once } from "node:events";
import type { AddressInfo } from "node:net";

export interface DnsServer {
  port: number;
  /** The A records served for the name; replace to simulate pods coming and going. */
  addresses: string[];
  queries: number;
  close(): Promise<void>;
}

function readName(msg: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let i = offset;
  for (;;) {
    const length = msg[i] ?? 0;
    if (length === 0) return { name: labels.join(".").toLowerCase(), end: i + 1 };
    labels.push(msg.subarray(i + 1, i + 1 + length).toString("latin1"));
    i += 1 + length;
  }
}

export async function startDnsServer(name: string, addresses: string[]): Promise<DnsServer> {
  const socket = createSocket("udp4");
  const state: DnsServer = {
    port: 0,
    addresses,
    queries: 0,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
  socket.on("message", (msg, peer) => {
    if (msg.length < 12) return;
    state.queries++;
    const { name: asked, end } = readName(msg, 12);
    const qtype = msg.readUInt16BE(end);
    const question = msg.subarray(12, end + 4);
    const known = asked === name.toLowerCase();
    const answers = known && qtype === 1 ? state.addresses : [];
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2); // id
    // QR=1, opcode 0, AA=1, RD copied, RA=1; RCODE 3 (NXDOMAIN) for names we do not serve.
    header.writeUInt16BE(0x8480 | (msg.readUInt16BE(2) & 0x0100) | (known ? 0 : 3), 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    const records = answers.map((ip) => {
      const rr = Buffer.alloc(16);
      rr.writeUInt16BE(0xc00c, 0); // pointer to the question's name
      rr.writeUInt16BE(1, 2); // A
      rr.writeUInt16BE(1, 4); // IN
      rr.writeUInt32BE(0, 6); // TTL 0: always ask again
      rr.writeUInt16BE(4, 10);
      ip.split(".").forEach((octet, k) => {
        rr[12 + k] = Number(octet);
      });
      return rr;
    });
    socket.send(Buffer.concat([header, question, ...records]), peer.port, peer.address);
  });
  socket.bind(0, "127.0.0.1");
  await once(socket, "listening");
  state.port = (socket.address() as AddressInfo).port;
  return state;
}
