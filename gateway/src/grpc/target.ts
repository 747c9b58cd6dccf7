import { promises as dns } from "node:dns";
import { isIP } from "node:net";

/** Where one HTTP/2 connection goes: a TCP host (an IP address) and port, or a Unix socket. */
export type Address = { host: string; port: number } | { path: string };

/**
 * A parsed gRPC target (https://github.com/grpc/grpc/blob/master/doc/naming.md), the forms grpc-js
 * accepts: `dns:[//dns-server/]host[:port]`, `ipv4:addr[:port][,addr[:port]]…`, `ipv6:…` with
 * bracketed addresses, `unix:path` and `unix:///absolute-path`. The port defaults to 443, as in
 * grpc-js.
 */
export interface Target {
  /** The target as written, for messages. */
  text: string;
  /** The `:authority` of every call: the name as written (grpc-js's default authority). */
  authority: string;
  /** Addresses known without a lookup (IP literals, Unix sockets); undefined when DNS decides. */
  fixed: Address[] | undefined;
  /** The DNS name to look up, with the port its addresses get. */
  dns: { host: string; port: number; server: string | undefined } | undefined;
}

/** A target that cannot be parsed. */
export class TargetError extends Error {
  override name = "TargetError";
}

const defaultPort = 443;
const uriPattern = /^(?:([A-Za-z0-9+.-]+):)?(?:\/\/([^/]*)\/)?(.+)$/;

/** Parses a gRPC target; throws TargetError for a scheme or address it cannot serve. */
export function parseTarget(text: string): Target {
  const uri = uriPattern.exec(text);
  const [, scheme, authority, path = ""] = uri ?? [];
  switch (scheme) {
    case "dns": {
      const hostPort = splitHostPort(path);
      if (hostPort === undefined) throw new TargetError(`cannot parse the DNS target ${text}`);
      const port = hostPort.port ?? defaultPort;
      const literal = isIP(hostPort.host) !== 0;
      return {
        text,
        authority: path,
        fixed: literal ? [{ host: hostPort.host, port }] : undefined,
        dns: literal ? undefined : { host: hostPort.host, port, server: authority || undefined },
      };
    }
    case "ipv4":
    case "ipv6": {
      const family = scheme === "ipv4" ? 4 : 6;
      const fixed = path.split(",").map((part) => {
        const hostPort = splitHostPort(part);
        if (hostPort === undefined || isIP(hostPort.host) !== family) {
          throw new TargetError(`cannot parse the ${scheme} address ${part}`);
        }
        return { host: hostPort.host, port: hostPort.port ?? defaultPort };
      });
      return { text, authority: path.split(",")[0] as string, fixed, dns: undefined };
    }
    case "unix":
      return {
        text,
        authority: "localhost",
        fixed: [{ path: authority === "" ? `/${path}` : path }],
        dns: undefined,
      };
    default:
      throw new TargetError(`the target ${text} needs a dns:, ipv4:, ipv6: or unix: scheme`);
  }
}

/** `host`, `host:port`, `[v6]` or `[v6]:port`; a bare IPv6 address has no port. */
function splitHostPort(text: string): { host: string; port?: number } | undefined {
  if (text.startsWith("[")) {
    const end = text.indexOf("]");
    const host = text.slice(1, end);
    if (end < 0 || !host.includes(":")) return undefined;
    const rest = text.slice(end + 1);
    if (rest === "") return { host };
    return /^:\d+$/.test(rest) ? { host, port: Number(rest.slice(1)) } : undefined;
  }
  const parts = text.split(":");
  if (parts.length !== 2) return text === "" ? undefined : { host: text };
  const [host = "", port = ""] = parts;
  return /^\d+$/.test(port) && host !== "" ? { host, port: Number(port) } : undefined;
}

/**
 * Every address the target names now. DNS names are asked the way grpc-js asks: the system
 * resolver (`getaddrinfo`, all addresses of both families), or with
 * `GRPC_NODE_USE_ALTERNATIVE_RESOLVER=true` c-ares A and AAAA queries, to the target's DNS server
 * when it names one. Rejects when the name cannot be resolved.
 */
export async function resolveTarget(target: Target): Promise<Address[]> {
  if (target.fixed !== undefined) return target.fixed;
  const { host, port, server } = target.dns as NonNullable<Target["dns"]>;
  if (process.env.GRPC_NODE_USE_ALTERNATIVE_RESOLVER === "true") {
    const resolver = new dns.Resolver();
    if (server !== undefined) resolver.setServers([server]);
    const answers = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
    if (answers.every((a) => a.status === "rejected")) {
      throw (answers[0] as PromiseRejectedResult).reason;
    }
    return answers.flatMap((a) => (a.status === "fulfilled" ? a.value : [])).map(at(port));
  }
  const found = await dns.lookup(host, { all: true });
  return found.map((a) => a.address).map(at(port));
}

const at = (port: number) => (host: string) => ({ host, port });

/** A stable key for an address: `host:port` (IPv6 bracketed) or the socket path. */
export function addressKey(address: Address): string {
  if ("path" in address) return `unix:${address.path}`;
  return address.host.includes(":")
    ? `[${address.host}]:${address.port}`
    : `${address.host}:${address.port}`;
}
