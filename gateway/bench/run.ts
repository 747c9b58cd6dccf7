// `npm run bench`: starts PostgreSQL 15, the backend (pooled pg connections) and the gateway, then
// measures GET / end to end with wrk at 16 and 64 connections, beside a direct gRPC call to the
// backend, a bare Node HTTP server answering the same JSON (the ceiling for one Node process) and
// the same three hops written with nothing but Node core, pg and protobuf-es (floor.ts: the best
// this architecture can do on this machine).
// It installs nothing: wrk and the PostgreSQL server binaries must already be there.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, openSync, readFileSync } from "node:fs";
import { cpus, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  freePort,
  type PostgresServer,
  postgresAvailable,
  postgresSkipReason,
  startPostgres,
} from "../../backend/test/support/postgres.ts";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const logLevel = process.env.BENCH_LOG_LEVEL ?? "info";
const logDir = mkdtempSync(join(tmpdir(), "infinity-pool-bench-"));
const children: ChildProcess[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function have(command: string, args: string[]): string | undefined {
  try {
    return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const e = error as { code?: string; stdout?: string; stderr?: string };
    // `wrk -v` prints its version and exits non-zero.
    return e.code === "ENOENT" ? undefined : `${e.stdout ?? ""}${e.stderr ?? ""}`;
  }
}

const wrkOutput = have("wrk", ["-v"]);
if (wrkOutput === undefined) {
  console.error(
    "bench: wrk is not installed. Install it first, e.g. `sudo apt-get install -y wrk` (Debian, " +
      "Ubuntu) or `brew install wrk` (macOS), then run `npm run bench` again.",
  );
  process.exit(1);
}
const wrkVersion = /wrk \S+/.exec(wrkOutput)?.[0] ?? "wrk";
if (!postgresAvailable) {
  console.error(`bench: ${postgresSkipReason}.`);
  process.exit(1);
}

function start(name: string, args: string[], env: Record<string, string>): ChildProcess {
  const out = openSync(join(logDir, `${name}.log`), "a");
  const child = spawn(process.execPath, args, {
    cwd: repo,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", out, out],
  });
  children.push(child);
  return child;
}

async function waitFor(url: string, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {}
    await sleep(200);
  }
  throw new Error(`${what} did not become ready; logs in ${logDir}`);
}

interface Result {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  requests: number;
}

function toMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text.trim());
  if (!m) return Number.NaN;
  const value = Number(m[1]);
  return m[2] === "us" ? value / 1000 : m[2] === "s" ? value * 1000 : value;
}

function wrk(url: string, connections: number, duration = seconds): Result {
  const out = execFileSync(
    "wrk",
    ["-t2", `-c${connections}`, `-d${duration}s`, "--latency", "--timeout", "5s", url],
    { encoding: "utf8" },
  );
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  return {
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    p50: toMs(/^\s+50%\s+(\S+)$/m.exec(out)?.[1] ?? ""),
    p99: toMs(/^\s+99%\s+(\S+)$/m.exec(out)?.[1] ?? ""),
    errors: num(/Non-2xx or 3xx responses: (\d+)/) + socketErrors,
    requests: num(/(\d+) requests in/),
  };
}

function grpcLoad(target: string, connections: number): Result {
  const out = execFileSync(
    process.execPath,
    ["gateway/bench/grpc-load.ts", target, String(connections), String(seconds)],
    { cwd: repo, encoding: "utf8" },
  );
  return JSON.parse(out.trim().split("\n").pop() as string) as Result;
}

function rssMiB(pid: number | undefined): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) / 1024;
  } catch {
    return Number.NaN;
  }
}

let pg: PostgresServer | undefined;
async function main(): Promise<number> {
  console.log(`bench: starting PostgreSQL, backend and gateway (logs in ${logDir})`);
  pg = await startPostgres();
  const version = (await pg.query("show server_version")).rows[0].server_version as string;
  const backendPort = await freePort();
  const gatewayPort = await freePort();
  const ceilingPort = await freePort();
  const floorBackendPort = await freePort();
  const floorPort = await freePort();
  start("backend", ["backend/src/main.ts"], {
    DATABASE_URL: pg.url,
    DB_SSL_MODE: "disable",
    BACKEND_HOST: "127.0.0.1",
    BACKEND_PORT: String(backendPort),
    LOG_LEVEL: logLevel,
  });
  const gateway = start("gateway", ["gateway/src/main.ts"], {
    BACKEND_ADDRESS: `dns:///127.0.0.1:${backendPort}`,
    GATEWAY_HOST: "127.0.0.1",
    GATEWAY_PORT: String(gatewayPort),
    GATEWAY_ADMIN_PORT: "0",
    LOG_LEVEL: logLevel,
    SHUTDOWN_DELAY_MS: "0",
  });
  start("ceiling", ["gateway/bench/ceiling-server.ts"], { PORT: String(ceilingPort) });
  start(
    "floor-backend",
    ["gateway/bench/floor.ts", "backend", String(floorBackendPort), pg.url],
    {},
  );
  start(
    "floor-gateway",
    ["gateway/bench/floor.ts", "gateway", String(floorPort), String(floorBackendPort)],
    {},
  );
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}/`;
  const ceilingUrl = `http://127.0.0.1:${ceilingPort}/`;
  const floorUrl = `http://127.0.0.1:${floorPort}/`;
  await waitFor(`http://127.0.0.1:${gatewayPort}/readyz`, "the gateway and backend");
  await waitFor(ceilingUrl, "the ceiling server");
  await waitFor(floorUrl, "the floor processes");
  const expected = await (await fetch(ceilingUrl)).text();
  for (const [name, url] of [
    ["gateway", gatewayUrl],
    ["floor", floorUrl],
  ] as const) {
    const answer = await (await fetch(url)).text();
    if (answer !== expected)
      throw new Error(`the ${name} answered ${answer}, not the ceiling's JSON`);
  }

  console.log(`bench: ${seconds}s per run; warming up`);
  wrk(ceilingUrl, 16, 3);
  const ceiling16 = wrk(ceilingUrl, 16);
  const ceiling64 = wrk(ceilingUrl, 64);
  const grpc16 = grpcLoad(`127.0.0.1:${backendPort}`, 16);
  const grpc64 = grpcLoad(`127.0.0.1:${backendPort}`, 64);
  wrk(floorUrl, 16, 3);
  const floor16 = wrk(floorUrl, 16);
  const floor64 = wrk(floorUrl, 64);

  // The gateway's memory is sampled after 50k and after 150k requests through it.
  let served = 0;
  const soakUntil = (target: number) => {
    while (served < target) served += wrk(gatewayUrl, 16, 5).requests;
  };
  soakUntil(50_000);
  await sleep(1_000);
  const rss50k = rssMiB(gateway.pid);
  const gateway16 = wrk(gatewayUrl, 16);
  const gateway64 = wrk(gatewayUrl, 64);
  served += gateway16.requests + gateway64.requests;
  soakUntil(150_000);
  await sleep(1_000);
  const rss150k = rssMiB(gateway.pid);

  const cpu = cpus();
  const lines: string[] = [];
  const say = (s = "") => lines.push(s);
  say();
  say(
    `Machine: ${cpu[0]?.model ?? "unknown CPU"}, ${cpu.length} cores, ` +
      `${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Linux ${release()}`,
  );
  say(
    `Software: Node ${process.version}, PostgreSQL ${version}, ${wrkVersion}; ` +
      `log level ${logLevel}; everything on this one machine`,
  );
  say();
  const fmt = (r: Result) =>
    `${r.rps.toFixed(0).padStart(8)} ${r.p50.toFixed(2).padStart(8)} ${r.p99.toFixed(2).padStart(8)} ${String(r.errors).padStart(6)}`;
  say(`${"".padEnd(44)}${"16 connections".padEnd(33)}64 connections`);
  say(`${"".padEnd(44)}   req/s  p50 ms   p99 ms errors    req/s  p50 ms   p99 ms errors`);
  const row = (name: string, a: Result, b: Result) => say(`${name.padEnd(44)}${fmt(a)} ${fmt(b)}`);
  row("Node HTTP ceiling (same JSON, wrk)", ceiling16, ceiling64);
  row("Same hops in bare Node (floor, wrk)", floor16, floor64);
  row("Direct gRPC SayHello to backend (grpc-js)", grpc16, grpc64);
  row("Gateway GET / end to end (wrk)", gateway16, gateway64);
  say();
  const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(1)}%`;
  say(
    `Gateway / ceiling:      ${pct(gateway16.rps, ceiling16.rps)} at 16, ${pct(gateway64.rps, ceiling64.rps)} at 64`,
  );
  say(
    `Floor / ceiling:        ${pct(floor16.rps, ceiling16.rps)} at 16, ${pct(floor64.rps, ceiling64.rps)} at 64`,
  );
  say(
    `Gateway / floor:        ${pct(gateway16.rps, floor16.rps)} at 16, ${pct(gateway64.rps, floor64.rps)} at 64`,
  );
  say(
    `Gateway / direct gRPC:  ${pct(gateway16.rps, grpc16.rps)} at 16, ${pct(gateway64.rps, grpc64.rps)} at 64`,
  );
  const growth = (rss150k - rss50k) / rss50k;
  say(
    `Gateway RSS: ${rss50k.toFixed(1)} MiB after 50k requests, ${rss150k.toFixed(1)} MiB after ` +
      `${(served / 1000).toFixed(0)}k (${(growth * 100).toFixed(1)}%)`,
  );
  say();
  const targets: [string, boolean][] = [
    [
      "throughput >= 15% of the ceiling (16 and 64)",
      gateway16.rps >= 0.15 * ceiling16.rps && gateway64.rps >= 0.15 * ceiling64.rps,
    ],
    ["p99 < 15 ms at 16 connections", gateway16.p99 < 15],
    ["zero errors", gateway16.errors + gateway64.errors === 0],
    ["RSS growth < 10% between 50k and 150k requests", growth < 0.1],
  ];
  for (const [name, ok] of targets) say(`${ok ? "PASS" : "FAIL"}  ${name}`);
  console.log(lines.join("\n"));
  return targets.every(([, ok]) => ok) ? 0 : 1;
}

let code = 1;
try {
  code = await main();
} catch (error) {
  console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  for (const child of children) child.kill("SIGTERM");
  await Promise.all(
    children.map((c) => (c.exitCode === null ? new Promise((r) => c.once("exit", r)) : null)),
  );
  await pg?.destroy();
}
process.exit(code);
