// `npm run bench`: our gateway side by side with grpc-gateway (Go), the reference HTTP/JSON → gRPC
// gateway, both in front of the same backend and PostgreSQL, in alternating rounds at 16 and 64
// connections. For each run: requests/s, p50, p99 and errors from wrk, and the CPU microseconds
// per request of the gateway process and of the backend, read from /proc around the run. Beside
// them: a bare node:http server answering the same JSON (the ceiling for one Node process), a
// direct gRPC call to the backend, and the same three hops written with nothing but Node core, pg
// and protobuf-es (floor.ts). wrk and the PostgreSQL server binaries must be there; grpc-gateway
// comes from ../shared/anchors/grpc-gateway/build.sh (anchor.ts), which installs Go and protoc
// from Debian packages the first time it runs as root.
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import {
  freePort,
  type PostgresServer,
  postgresAvailable,
  postgresSkipReason,
  startPostgres,
} from "../../backend/test/support/postgres.ts";
import { findAnchor, grpcGatewayLacks } from "./anchor.ts";
import { measured, median, type Run, rssMiB, wrk } from "./measure.ts";
import { Processes, type Started } from "./processes.ts";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const logLevel = process.env.BENCH_LOG_LEVEL ?? "info";
const connectionCounts = [16, 64];
const processes = new Processes(repo, mkdtempSync(join(tmpdir(), "infinity-pool-bench-")));

function versionOf(command: string, args: string[]): string | undefined {
  try {
    return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const e = error as { code?: string; stdout?: string; stderr?: string };
    // `wrk -v` prints its version and exits non-zero.
    return e.code === "ENOENT" ? undefined : `${e.stdout ?? ""}${e.stderr ?? ""}`;
  }
}

const wrkOutput = versionOf("wrk", ["-v"]);
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

/** A system measured in the paired rounds: a gateway in front of the shared backend. */
interface System {
  name: string;
  url: string;
  gateway: Started;
  runs: Map<number, Run[]>;
}

function grpcLoad(target: string, connections: number): Omit<Run, "cpuUs"> {
  const out = execFileSync(
    process.execPath,
    ["gateway/bench/grpc-load.ts", target, String(connections), String(seconds)],
    { cwd: repo, encoding: "utf8" },
  );
  return JSON.parse(out.trim().split("\n").pop() as string) as Omit<Run, "cpuUs">;
}

let pg: PostgresServer | undefined;
async function main(): Promise<number> {
  const anchor = findAnchor(repo);
  if (anchor.kind === "absent") console.log(`bench: ${anchor.howToGet}`);
  console.log(`bench: starting PostgreSQL and the backend (logs in ${processes.logDir})`);
  pg = await startPostgres();
  const pgVersion = (await pg.query("show server_version")).rows[0].server_version as string;

  // Each process is started only once what it calls is listening.
  const backendPort = await freePort();
  const backend = processes.start("backend", undefined, ["backend/src/main.ts"], {
    DATABASE_URL: pg.url,
    DB_SSL_MODE: "disable",
    BACKEND_HOST: "127.0.0.1",
    BACKEND_PORT: String(backendPort),
    LOG_LEVEL: logLevel,
  });
  await processes.port(backend, backendPort);

  const systems: System[] = [];
  const gatewayPort = await freePort();
  const gateway = processes.start("gateway", undefined, ["gateway/src/main.ts"], {
    BACKEND_ADDRESS: `dns:///127.0.0.1:${backendPort}`,
    GATEWAY_HOST: "127.0.0.1",
    GATEWAY_PORT: String(gatewayPort),
    GATEWAY_ADMIN_PORT: String(await freePort()),
    LOG_LEVEL: logLevel,
    SHUTDOWN_DELAY_MS: "0",
  });
  // GET / goes through the backend; /readyz no longer does (it is 200 unless draining).
  await processes.http(gateway, `http://127.0.0.1:${gatewayPort}/`);
  systems.push({
    name: "our gateway",
    url: `http://127.0.0.1:${gatewayPort}/`,
    gateway,
    runs: new Map(),
  });
  if (anchor.kind === "found") {
    const variants: [string, Record<string, string>][] = [
      [`grpc-gateway (GOMAXPROCS=${availableParallelism()})`, {}],
      ["grpc-gateway (GOMAXPROCS=1)", { GOMAXPROCS: "1" }],
    ];
    for (const [name, env] of variants) {
      const port = await freePort();
      const label = name.replace(/[^a-z0-9]+/gi, "-").replace(/-$/, "");
      const started = processes.start(
        label,
        anchor.binary,
        ["-listen", `127.0.0.1:${port}`, "-backend", `127.0.0.1:${backendPort}`],
        env,
      );
      await processes.port(started, port);
      systems.push({ name, url: `http://127.0.0.1:${port}/`, gateway: started, runs: new Map() });
    }
  }

  const ceilingPort = await freePort();
  const ceiling = processes.start("ceiling", undefined, ["gateway/bench/ceiling-server.ts"], {
    PORT: String(ceilingPort),
  });
  const ceilingUrl = `http://127.0.0.1:${ceilingPort}/`;
  await processes.http(ceiling, ceilingUrl);
  const floorBackendPort = await freePort();
  const floorBackend = processes.start(
    "floor-backend",
    undefined,
    ["gateway/bench/floor.ts", "backend", String(floorBackendPort), pg.url],
    {},
  );
  await processes.port(floorBackend, floorBackendPort);
  const floorPort = await freePort();
  const floorGateway = processes.start(
    "floor-gateway",
    undefined,
    ["gateway/bench/floor.ts", "gateway", String(floorPort), String(floorBackendPort)],
    {},
  );
  const floorUrl = `http://127.0.0.1:${floorPort}/`;
  await processes.http(floorGateway, floorUrl);

  const expected = await (await fetch(ceilingUrl)).text();
  for (const { name, url } of [...systems, { name: "floor", url: floorUrl }]) {
    const answer = await (await fetch(url)).text();
    if (answer !== expected) throw new Error(`${name} answered ${answer}, not ${expected}`);
  }

  console.log(`bench: ${seconds} s per run, ${rounds} alternating rounds; warming up`);
  for (const s of [...systems.map((s) => s.url), ceilingUrl, floorUrl]) wrk(s, 16, 3);

  // The gateway's memory is sampled after 50k and after 150k requests through it.
  const ours = systems[0] as System;
  let served = 0;
  const soakUntil = (target: number) => {
    while (served < target) served += wrk(ours.url, 16, 5).requests;
  };
  soakUntil(50_000);
  await sleep(1_000);
  const rss50k = rssMiB(ours.gateway.pid);
  const load1 = loadavg()[0] ?? 0;

  const reference = {
    ceiling: connectionCounts.map((c) =>
      measured({ gateway: ceiling.pid }, () => wrk(ceilingUrl, c, seconds)),
    ),
    grpc: connectionCounts.map((c) =>
      measured({ backend: backend.pid }, () => grpcLoad(`127.0.0.1:${backendPort}`, c)),
    ),
    floor: connectionCounts.map((c) =>
      measured({ gateway: floorGateway.pid, backend: floorBackend.pid }, () =>
        wrk(floorUrl, c, seconds),
      ),
    ),
  };

  // Paired rounds: every system once per round, the order reversed every other round, so a
  // change in the machine's load falls on all of them alike.
  for (const c of connectionCounts) {
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? systems : [...systems].reverse();
      for (const s of order) {
        const run = measured({ gateway: s.gateway.pid, backend: backend.pid }, () =>
          wrk(s.url, c, seconds),
        );
        if (s === ours) served += run.requests;
        s.runs.set(c, [...(s.runs.get(c) ?? []), run]);
        process.stderr.write(
          `  ${c} conn, round ${round + 1}: ${s.name} ${run.rps.toFixed(0)} req/s, ` +
            `gateway ${run.cpuUs.gateway?.toFixed(0)} µs, backend ${run.cpuUs.backend?.toFixed(0)} µs\n`,
        );
      }
    }
  }
  soakUntil(150_000);
  await sleep(1_000);
  const rss150k = rssMiB(ours.gateway.pid);

  return report({
    systems,
    reference,
    rss: [rss50k, rss150k, served],
    pgVersion,
    anchor: anchor.kind === "found" ? anchor.versions : undefined,
    howToGet: anchor.kind === "absent" ? anchor.howToGet : undefined,
    load: [load1, loadavg()[0] ?? 0],
  });
}

interface Report {
  systems: System[];
  reference: Record<"ceiling" | "grpc" | "floor", Run[]>;
  rss: [number, number, number];
  pgVersion: string;
  anchor: string | undefined;
  howToGet: string | undefined;
  load: [number, number];
}

function report(r: Report): number {
  const lines: string[] = [];
  const say = (s = "") => lines.push(s);
  const cpu = cpus();
  say();
  say(
    `Machine: ${cpu[0]?.model ?? "unknown CPU"}, ${cpu.length} cores, ` +
      `${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Linux ${release()}; ` +
      `1-min load ${r.load[0].toFixed(2)} before the rounds, ${r.load[1].toFixed(2)} after`,
  );
  say(
    `Software: Node ${process.version}, PostgreSQL ${r.pgVersion}, ${wrkVersion}; ` +
      `log level ${logLevel}; everything on this one machine`,
  );
  if (r.anchor) say(`grpc-gateway: ${r.anchor}`);
  say(`${rounds} alternating rounds of ${seconds} s per connection count; median [min–max]`);

  const f0 = (n: number | undefined) => (n === undefined ? "-" : n.toFixed(0));
  const f2 = (n: number) => n.toFixed(2);
  const spread = (all: number[], fmt: (n: number) => string) => {
    const values = all.filter((v) => !Number.isNaN(v));
    return values.length > 1
      ? `${fmt(median(values))} [${fmt(Math.min(...values))}–${fmt(Math.max(...values))}]`
      : fmt(values[0] ?? Number.NaN);
  };
  const columns = ["req/s", "p50 ms", "p99 ms", "errors", "gateway µs/req", "backend µs/req"];
  const widths = [20, 24, 26, 8, 18, 18];
  const header = (title: string) => {
    say();
    say(title);
    say(`${"".padEnd(38)}${columns.map((c, i) => c.padStart(widths[i] as number)).join("")}`);
  };
  const row = (name: string, runs: Run[]) => {
    const cells = [
      spread(
        runs.map((x) => x.rps),
        f0,
      ),
      spread(
        runs.map((x) => x.p50),
        f2,
      ),
      spread(
        runs.map((x) => x.p99),
        f2,
      ),
      String(runs.reduce((a, x) => a + x.errors, 0)),
      runs.some((x) => x.cpuUs.gateway !== undefined)
        ? spread(
            runs.map((x) => x.cpuUs.gateway ?? Number.NaN),
            f0,
          )
        : "-",
      runs.some((x) => x.cpuUs.backend !== undefined)
        ? spread(
            runs.map((x) => x.cpuUs.backend ?? Number.NaN),
            f0,
          )
        : "-",
    ];
    say(`${name.padEnd(38)}${cells.map((c, i) => c.padStart(widths[i] as number)).join("")}`);
  };

  connectionCounts.forEach((c, i) => {
    header(`${c} connections`);
    for (const s of r.systems) row(s.name, s.runs.get(c) ?? []);
    row("reference: same hops in bare Node", [r.reference.floor[i] as Run]);
    row("reference: direct gRPC to backend", [r.reference.grpc[i] as Run]);
    row("reference: node:http ceiling", [r.reference.ceiling[i] as Run]);
  });

  const ours = r.systems[0] as System;
  const anchors = r.systems.slice(1);
  const targets: [string, boolean | undefined][] = [];
  // Ratios per round, paired with the run next to it in time: ours / grpc-gateway's.
  const paired = (c: number, peer: System, pick: (x: Run) => number) => {
    const a = ours.runs.get(c) ?? [];
    const b = peer.runs.get(c) ?? [];
    return a.map((x, k) => pick(x) / pick(b[k] as Run));
  };
  for (const peer of anchors) {
    say();
    say(`Ours / ${peer.name}, per paired round: median [min–max]`);
    for (const c of connectionCounts) {
      const ratio = (pick: (x: Run) => number) => spread(paired(c, peer, pick), f2);
      say(
        `  ${String(c).padStart(2)} conn: req/s ${ratio((x) => x.rps)}, p99 ${ratio((x) => x.p99)}, ` +
          `gateway CPU/req ${ratio((x) => x.cpuUs.gateway ?? Number.NaN)}, ` +
          `backend CPU/req ${ratio((x) => x.cpuUs.backend ?? Number.NaN)}`,
      );
    }
    const med = (c: number, pick: (x: Run) => number) => median(paired(c, peer, pick));
    targets.push(
      [
        `gateway CPU per request <= 1.0x ${peer.name} (16 and 64)`,
        connectionCounts.every((c) => med(c, (x) => x.cpuUs.gateway ?? Number.NaN) <= 1),
      ],
      [
        `req/s >= 1.0x ${peer.name} (16 and 64)`,
        connectionCounts.every((c) => med(c, (x) => x.rps) >= 1),
      ],
      [
        `p99 <= 1.2x ${peer.name} (16 and 64)`,
        connectionCounts.every((c) => med(c, (x) => x.p99) <= 1.2),
      ],
    );
  }
  if (anchors.length === 0) {
    say();
    say(`No grpc-gateway row: ${r.howToGet}`);
    targets.push(["the targets relative to grpc-gateway", undefined]);
  }
  const [rss50k, rss150k, served] = r.rss;
  const growth = (rss150k - rss50k) / rss50k;
  say(
    `Our gateway's RSS: ${rss50k.toFixed(1)} MiB after 50k requests, ${rss150k.toFixed(1)} MiB ` +
      `after ${(served / 1000).toFixed(0)}k (${(growth * 100).toFixed(1)}%)`,
  );
  const errors = [...ours.runs.values()].flat().reduce((a, x) => a + x.errors, 0);
  targets.push(
    ["zero errors through our gateway", errors === 0],
    ["RSS growth < 10% between 50k and 150k requests", growth < 0.1],
  );
  say();
  say(`What our gateway does and grpc-gateway (this build) does not: ${grpcGatewayLacks}.`);
  say();
  for (const [name, ok] of targets) {
    say(`${ok === undefined ? "NOT MEASURED" : ok ? "PASS" : "FAIL"}  ${name}`);
  }
  console.log(lines.join("\n"));
  return targets.every(([, ok]) => ok === true) ? 0 : 1;
}

let code = 1;
try {
  code = await main();
} catch (error) {
  console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  await processes.stopAll();
  await pg?.destroy();
}
process.exit(code);
