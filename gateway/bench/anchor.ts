// grpc-gateway (Go), the bench's reference gateway. It is built outside the repo by
// ../shared/anchors/grpc-gateway/build.sh (Debian's grpc-gateway v1.6.4 runtime for this repo's
// greeting.proto) and never committed: it is a benchmark peer, not part of the product.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";

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
    try {
      const out = execFileSync("bash", [buildScript], {
        cwd: repo,
        env: { ...process.env, MAIN_REPO: repo },
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
      binary = out.trim().split("\n").pop();
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? "";
      const last = stderr.trim().split("\n").pop() ?? "";
      return { kind: "absent", howToGet: `build.sh failed (${last}); ${how}` };
    }
  }
  if (binary === undefined || !existsSync(binary)) {
    return { kind: "absent", howToGet: `no grpc-gateway binary at ${binary}; ${how}` };
  }
  const versions = execFileSync(binary, ["-version"], { encoding: "utf8" }).trim();
  return { kind: "found", binary, versions };
}
