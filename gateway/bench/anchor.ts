// grpc-gateway (Go), the bench's reference gateway. It is built outside the repo by
// ../shared/anchors/grpc-gateway/build.sh (Debian's grpc-gateway v1.6.4 runtime for this repo's
// greeting.proto) and never committed: it is a benchmark peer, not part of the product.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export type Anchor =
  | { kind: "found"; binary: string; versions: string }
  | { kind: "absent"; howToGet: string };

/** What our gateway does on every request that grpc-gateway (this build) does not. */
export const grpcGatewayLacks =
  "an access log line per request (pino, level info), Prometheus metrics (requests, latency " +
  "histogram, upstream attempts), request ids (X-Request-Id echoed and forwarded, W3C " +
  "traceparent forwarded), a default deadline (5 s, sent as grpc-timeout), retries of " +
  "UNAVAILABLE on GET, DNS round robin re-resolved every 30 s, bearer-token auth on writes, " +
  "strict input (unknown query parameters, header count, body size, Expect)";

/**
 * The grpc-gateway binary: `GRPC_GATEWAY_BIN` when set; otherwise the anchor's build.sh is run
 * (it apt-installs Go and protoc as root on first use, ~1 min; a few seconds afterwards) and
 * prints the binary's path last. Absent, with the way to get it, when neither works.
 */
export function findAnchor(repo: string): Anchor {
  const buildScript = resolve(repo, "../shared/anchors/grpc-gateway/build.sh");
  const how =
    `build it with \`bash ${buildScript}\` from the repo root (as root the first time: it ` +
    "installs Go and protoc from Debian packages), or set GRPC_GATEWAY_BIN to a grpc-gateway " +
    "binary for proto/infinitypool/v1/greeting.proto that takes -listen HOST:PORT and -backend " +
    "HOST:PORT";
  let binary = process.env.GRPC_GATEWAY_BIN;
  if (binary === undefined) {
    if (!existsSync(buildScript)) {
      return { kind: "absent", howToGet: `the anchor's build script is not here; ${how}` };
    }
    const unaryOnly = unaryProtoTree(repo);
    try {
      const out = execFileSync("bash", [buildScript], {
        cwd: repo,
        env: { ...process.env, MAIN_REPO: unaryOnly },
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
      binary = out.trim().split("\n").pop();
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? "";
      const last = stderr.trim().split("\n").pop() ?? "";
      return { kind: "absent", howToGet: `build.sh failed (${last}); ${how}` };
    } finally {
      rmSync(unaryOnly, { recursive: true, force: true });
    }
  }
  if (binary === undefined || !existsSync(binary)) {
    return { kind: "absent", howToGet: `no grpc-gateway binary at ${binary}; ${how}` };
  }
  const versions = execFileSync(binary, ["-version"], { encoding: "utf8" }).trim();
  return { kind: "found", binary, versions };
}

/**
 * A directory laid out as build.sh reads a repo (`proto/infinitypool/v1/greeting.proto`) holding
 * greeting.proto without its server-streaming RPCs, their messages and the stream_resumption
 * import: the bench measures unary routes only, and the anchor's Debian toolchain cannot build
 * them (protoc-gen-go 1.3.5 refuses proto3 `optional`, which WatchGreetingsRequest uses, and
 * build.sh copies greeting.proto alone, not the streaming.proto it imports).
 */
export function unaryProtoTree(repo: string): string {
  const dir = mkdtempSync(join(tmpdir(), "infinity-pool-anchor-proto-"));
  const proto = readFileSync(join(repo, "proto/infinitypool/v1/greeting.proto"), "utf8");
  mkdirSync(join(dir, "proto/infinitypool/v1"), { recursive: true });
  writeFileSync(join(dir, "proto/infinitypool/v1/greeting.proto"), withoutServerStreaming(proto));
  return dir;
}

/** `proto` (a proto3 file's text) without its server-streaming RPCs and their messages. */
export function withoutServerStreaming(proto: string): string {
  const lines = proto.split("\n");
  const drop = new Set<string>();
  const out: string[] = [];
  let comment: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (/^\s*\/\//.test(line)) {
      comment.push(line);
      continue;
    }
    const rpc = /^\s*rpc\s+\w+\s*\(\s*(\w+)\s*\)\s*returns\s*\(\s*stream\s+(\w+)\s*\)/.exec(line);
    if (rpc) {
      drop.add(rpc[1] as string).add(rpc[2] as string);
      i = endOfBlock(lines, i);
      comment = [];
      continue;
    }
    out.push(...comment, line);
    comment = [];
  }
  out.push(...comment);
  const kept: string[] = [];
  comment = [];
  for (let i = 0; i < out.length; i++) {
    const line = out[i] as string;
    if (/^\s*\/\//.test(line)) {
      comment.push(line);
      continue;
    }
    const message = /^message\s+(\w+)/.exec(line);
    if (message && drop.has(message[1] as string)) {
      i = endOfBlock(out, i);
      // The blank line after the message goes with it.
      if (out[i + 1] === "") i++;
      comment = [];
      continue;
    }
    if (/^import\s+"infinitypool\/api\/v1\/streaming\.proto";/.test(line)) continue;
    kept.push(...comment, line);
    comment = [];
  }
  kept.push(...comment);
  return kept.join("\n");
}

/** The index of the line closing the block that opens on line `start` (braces counted). */
function endOfBlock(lines: string[], start: number): number {
  let depth = 0;
  for (let i = start; i < lines.length; i++) {
    const code = (lines[i] as string).replace(/\/\/.*$/, "").replace(/"[^"]*"/g, "");
    for (const c of code) {
      if (c === "{") depth++;
      else if (c === "}") depth--;
    }
    if (depth === 0 && code.includes("}")) return i;
    // `rpc X(...) returns (...);` with no options block.
    if (depth === 0 && code.trimEnd().endsWith(";")) return i;
  }
  return lines.length - 1;
}
