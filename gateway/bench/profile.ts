// `npm run bench:profile`: where the CPU of one `GET /` goes, in our gateway and in grpc-gateway,
// both in front of the same backend and PostgreSQL (the processes `npm run bench` starts).
//
// 1. CPU per request: wrk -t2 -c16 against each gateway in alternating rounds, CPU time read from
//    /proc around each run (measure.ts), split into user and kernel time (utime, stime). Our
//    gateway runs twice: with its access log (LOG_LEVEL=info, production) and without
//    (LOG_LEVEL=warn), to show what a feature grpc-gateway lacks costs.
// 2. Where it goes: `perf record -e cpu-clock -g` on each gateway process (all its threads) under
//    the same load. Node runs with --perf-basic-prof (perf names JIT-compiled JavaScript by
//    function and file) and --interpreted-frames-native-stack; Go keeps frame pointers. Each sample
//    goes to one bucket (rules below: kernel leaf first, then GC anywhere on the stack, then the
//    innermost frame that names a component), and a bucket's share of samples times the CPU per
//    request of step 1 is its microseconds per request.
//
// Needs wrk, perf (linux-perf; root or perf_event_paranoid <= 1), the PostgreSQL server binaries
// and grpc-gateway (anchor.ts). PROFILE_SECONDS (10) and PROFILE_ROUNDS (3) adjust it;
// PROFILE_DETAIL=N lists the N frames that decided most of each bucket. Results: README, Performance.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, startPostgres } from "../../backend/test/support/postgres.ts";
import { findAnchor } from "./anchor.ts";
import { measured, median, wrk } from "./measure.ts";
import { Processes, type Started } from "./processes.ts";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const seconds = Number(process.env.PROFILE_SECONDS ?? 10);
const rounds = Number(process.env.PROFILE_ROUNDS ?? 3);
const connections = 16;
/** PROFILE_DETAIL=N also prints, per bucket, the N frames that decided most of its samples. */
const detail = Number(process.env.PROFILE_DETAIL ?? 0);
const workDir = mkdtempSync(join(tmpdir(), "infinity-pool-profile-"));
const processes = new Processes(repo, workDir);
const ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

/** One classification rule: a sample whose frame matches `frame` goes to `bucket`. */
type Rule = [bucket: string, frame: RegExp];

/**
 * Buckets for our gateway (Node). A sample whose innermost frame is in the kernel is "kernel"; a
 * sample with a V8 garbage-collector frame anywhere is "GC"; otherwise the innermost frame that
 * matches a rule names the bucket (so JSON.stringify, a V8 builtin, counts for whoever called it).
 * JavaScript frames carry their file (`file:///…/gateway/src/x.ts`, `node:_http_server`).
 */
const nodeRules: Rule[] = [
  ["node:http server (parse, dispatch, write)", /llhttp|http_parser|node:_http_|node:http\b/],
  ["node:http2 + nghttp2 (client side)", /nghttp2|node::http2|node:internal\/http2|node:http2/],
  [
    "our gRPC client",
    /gateway\/src\/(http2-backend-client|backend|upstream)\.ts|gateway\/src\/grpc\//,
  ],
  [
    "JSON rendering (toJson + stringify)",
    /@bufbuild\/protobuf\/dist\/esm\/(to-json|json-value)|gateway\/src\/response\.ts|runtime\/src\/protojson\.ts/,
  ],
  [
    "protobuf-es binary encode/decode",
    /@bufbuild\/protobuf\/dist\/esm\/(to-binary|from-binary|wire\/)/,
  ],
  ["protobuf-es other (create, reflect)", /@bufbuild\/protobuf/],
  [
    "access log (pino)",
    /gateway\/src\/access-log\.ts|node_modules\/(pino|sonic-boom)|runtime\/src\/logger\.ts/,
  ],
  ["metrics", /gateway\/src\/(metrics|metric-cells)\.ts|prom-client/],
  [
    "request id, deadline, auth, CORS, metadata",
    /gateway\/src\/(deadline|auth|cors|metadata|http-body)\.ts|runtime\/src\/(request-id|tokens)\.ts/,
  ],
  [
    "routing + transcoding",
    /gateway\/src\/(router|routes|path-template|request-mapping|request-target|http-error|status)\.ts/,
  ],
  ["gateway dispatch (gateway.ts)", /gateway\/src\/gateway\.ts/],
  [
    "node event loop: nextTick, promises, streams, libuv",
    /node:net|node:internal\/(stream_base|streams|timers|net|process\/task_queues|async_hooks)|node:stream|node:events|uv_|libuv|node::(StreamBase|LibuvStreamWrap|TCPWrap)/,
  ],
];
const nodeGc =
  /v8::internal::(Heap|Scavenger|MarkCompact|MinorMark|ConcurrentMarking|Sweeper|IncrementalMarking|GCTracer|MemoryAllocator|ScavengerCollector|MarkingVisitor|MainMarking|Evacuat|ArrayBufferSweeper|Marking)|Scavenge|GarbageCollect/;

/**
 * Buckets for grpc-gateway (Go): kernel leaf; then the runtime's GC, malloc and scheduler anywhere
 * on the stack; then the innermost frame of a named package, skipping the packages everything uses
 * (runtime, reflect, sync, strings, fmt…), which count for their caller.
 */
const goRules: Rule[] = [
  [
    "Go runtime: GC",
    /runtime\.(gcBgMarkWorker|gcDrain|gcAssistAlloc|bgsweep|sweepone|bgscavenge|markroot|scanobject|gcStart|gcMarkDone|gcMarkTermination)/,
  ],
  [
    "Go runtime: malloc",
    /runtime\.(mallocgc|newobject|makeslice|growslice|newarray|makemap|rawstring|rawbyteslice|concatstrings|slicebytetostring)/,
  ],
  [
    "Go runtime: scheduler",
    /runtime\.(schedule|findrunnable|mcall|park_m|gopark|goready|netpoll|notesleep|notewakeup|wakep|startm|stopm|sysmon|futexsleep|futexwakeup|ready|goexit0|newproc|selectgo|chansend|chanrecv|semacquire|semrelease)/,
  ],
];
const goPackages: Rule[] = [
  ["x/net/http2 + grpc-go", /golang\.org\/x\/net\/http2|google\.golang\.org\/grpc/],
  [
    "grpc-gateway runtime + jsonpb + protobuf",
    /grpc-ecosystem\/grpc-gateway|golang\/protobuf|encoding\/json|gwbench\//,
  ],
  ["net/http (+ textproto, url)", /^net\/(http|textproto|url)\./],
  ["Go net + poll (syscall wrappers)", /^(net\.|internal\/poll|syscall\.)/],
];
const goGeneric =
  /^(runtime|reflect|sync|strings|bytes|fmt|context|strconv|sort|unicode|io|bufio|internal\/|encoding\/binary|time|math|errors|os\.|aeshash|memeqbody|indexbytebody|type\.\.)/;

interface Sample {
  comm: string;
  /** Innermost first: [symbol, dso]. */
  frames: [string, string][];
}

/** Parses `perf script -F comm,ip,sym,dso` output. */
function parsePerfScript(text: string): Sample[] {
  const samples: Sample[] = [];
  let current: Sample | undefined;
  for (const line of text.split("\n")) {
    if (line.trim() === "") {
      if (current) samples.push(current);
      current = undefined;
      continue;
    }
    if (!line.startsWith("\t") && !line.startsWith(" ")) {
      current = { comm: line.trim().replace(/\s+\d+$/, ""), frames: [] };
      continue;
    }
    const m = /^\s*[0-9a-f]+\s+(.*)\s+\((.*)\)\s*$/.exec(line);
    if (current && m)
      current.frames.push([(m[1] as string).replace(/\+0x[0-9a-f]+$/, ""), m[2] as string]);
  }
  if (current) samples.push(current);
  return samples;
}

const isKernel = (s: Sample) => (s.frames[0]?.[1] ?? "").includes("kernel");

/** A sample's bucket and the frame that decided it. */
type Verdict = [bucket: string, frame: string];

function nodeBucket(s: Sample): Verdict {
  const leaf = s.frames[0]?.[0] ?? "?";
  if (isKernel(s)) return ["kernel (syscalls, loopback TCP)", leaf];
  const gc = s.frames.find(([sym]) => nodeGc.test(sym));
  if (gc) return ["GC (V8 heap, all threads)", gc[0]];
  for (const [sym, dso] of s.frames) {
    for (const [bucket, re] of nodeRules) if (re.test(sym) || re.test(dso)) return [bucket, sym];
  }
  if (!/^(node|MainThread)/.test(s.comm)) return ["V8 background threads (JIT compile)", leaf];
  return ["other (V8 runtime, builtins, no caller)", leaf];
}

function goBucket(s: Sample): Verdict {
  const leaf = s.frames[0]?.[0] ?? "?";
  if (isKernel(s)) return ["kernel (syscalls, loopback TCP)", leaf];
  const syms = s.frames.map(([sym]) => sym);
  for (const [bucket, re] of goRules) {
    const hit = syms.find((sym) => re.test(sym));
    if (hit) return [bucket, hit];
  }
  for (const sym of syms) {
    for (const [bucket, re] of goPackages) if (re.test(sym)) return [bucket, sym];
    if (!goGeneric.test(sym) && sym !== "[unknown]") return ["other Go", sym];
  }
  return ["Go runtime: other", leaf];
}

interface CpuSplit {
  userUs: number;
  systemUs: number;
}

/** utime and stime of `pid` (all threads), microseconds. */
function cpuSplit(pid: number): CpuSplit {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return {
    userUs: (Number(fields[11]) * 1e6) / ticksPerSecond,
    systemUs: (Number(fields[12]) * 1e6) / ticksPerSecond,
  };
}

interface System {
  name: string;
  url: string;
  gateway: Started;
  classify: (s: Sample) => Verdict;
  cpuUs: number[];
  kernelShare: number[];
}

interface Bucket {
  samples: number;
  /** Samples by the frame that put them in this bucket. */
  frames: Map<string, number>;
}

/** `perf record` on the gateway while wrk loads it; returns the samples by bucket. */
async function profile(s: System): Promise<Map<string, Bucket>> {
  const data = join(workDir, `${s.gateway.pid}.perf.data`);
  const perf = spawn(
    "perf",
    [
      "record",
      "-e",
      "cpu-clock",
      "-F",
      "999",
      "-g",
      "-p",
      String(s.gateway.pid),
      "-o",
      data,
      "--",
      "sleep",
      String(seconds),
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let perfErr = "";
  perf.stderr.on("data", (d) => (perfErr += d));
  const exited = new Promise<number | null>((r) => perf.once("exit", r));
  await new Promise((r) => setTimeout(r, 300));
  wrk(s.url, connections, seconds - 1);
  if ((await exited) !== 0) throw new Error(`perf record failed: ${perfErr}`);
  const text = execFileSync("perf", ["script", "-i", data, "-F", "comm,ip,sym,dso"], {
    encoding: "utf8",
    maxBuffer: 1 << 30,
    stdio: ["ignore", "pipe", "ignore"],
  });
  const buckets = new Map<string, Bucket>();
  for (const sample of parsePerfScript(text)) {
    const [name, frame] = s.classify(sample);
    const b = buckets.get(name) ?? { samples: 0, frames: new Map() };
    b.samples++;
    b.frames.set(frame, (b.frames.get(frame) ?? 0) + 1);
    buckets.set(name, b);
  }
  return buckets;
}

async function main(): Promise<void> {
  const anchor = findAnchor(repo);
  if (anchor.kind === "absent") throw new Error(anchor.howToGet);
  const pg = await startPostgres();
  try {
    const backendPort = await freePort();
    const backend = processes.start("backend", undefined, ["backend/src/main.ts"], {
      DATABASE_URL: pg.url,
      DB_SSL_MODE: "disable",
      BACKEND_HOST: "127.0.0.1",
      BACKEND_PORT: String(backendPort),
      LOG_LEVEL: "info",
    });
    await processes.port(backend, backendPort);

    const systems: System[] = [];
    for (const level of ["info", "warn"]) {
      const port = await freePort();
      const gateway = processes.start(
        `gateway-${level}`,
        undefined,
        [
          "--perf-basic-prof",
          "--interpreted-frames-native-stack",
          // --perf-basic-prof also turns on V8's log file, which would land in the repo.
          "--no-logfile-per-isolate",
          `--logfile=${join(workDir, `gateway-${level}.v8.log`)}`,
          "gateway/src/main.ts",
        ],
        {
          BACKEND_ADDRESS: `dns:///127.0.0.1:${backendPort}`,
          GATEWAY_HOST: "127.0.0.1",
          GATEWAY_PORT: String(port),
          GATEWAY_ADMIN_PORT: String(await freePort()),
          LOG_LEVEL: level,
          SHUTDOWN_DELAY_MS: "0",
        },
      );
      const url = `http://127.0.0.1:${port}/`;
      await processes.http(gateway, url);
      systems.push({
        name: `our gateway, LOG_LEVEL=${level}`,
        url,
        gateway,
        classify: nodeBucket,
        cpuUs: [],
        kernelShare: [],
      });
    }
    const port = await freePort();
    const go = processes.start(
      "grpc-gateway",
      anchor.binary,
      ["-listen", `127.0.0.1:${port}`, "-backend", `127.0.0.1:${backendPort}`],
      {},
    );
    await processes.port(go, port);
    systems.push({
      name: "grpc-gateway (GOMAXPROCS=2)",
      url: `http://127.0.0.1:${port}/`,
      gateway: go,
      classify: goBucket,
      cpuUs: [],
      kernelShare: [],
    });

    for (const s of systems) wrk(s.url, connections, 5);
    for (let round = 0; round < rounds; round++) {
      for (const s of round % 2 === 0 ? systems : [...systems].reverse()) {
        const before = cpuSplit(s.gateway.pid);
        const run = measured({ gateway: s.gateway.pid }, () => wrk(s.url, connections, seconds));
        const after = cpuSplit(s.gateway.pid);
        const sys = after.systemUs - before.systemUs;
        s.cpuUs.push(run.cpuUs.gateway as number);
        s.kernelShare.push(sys / (sys + after.userUs - before.userUs));
        process.stderr.write(
          `round ${round + 1}: ${s.name} ${run.rps.toFixed(0)} req/s, ${run.cpuUs.gateway?.toFixed(0)} µs/req\n`,
        );
      }
    }

    const out: string[] = [];
    for (const s of systems) {
      const buckets = await profile(s);
      const total = [...buckets.values()].reduce((a, b) => a + b.samples, 0);
      const us = median(s.cpuUs);
      out.push("");
      out.push(
        `${s.name}: ${us.toFixed(0)} µs CPU/request (median of ${s.cpuUs.map((v) => v.toFixed(0)).join(", ")}), ` +
          `kernel ${(100 * median(s.kernelShare)).toFixed(0)} % by /proc; ${total} perf samples`,
      );
      for (const [name, b] of [...buckets].sort((a, b) => b[1].samples - a[1].samples)) {
        const n = b.samples;
        out.push(
          `  ${name.padEnd(46)} ${((us * n) / total).toFixed(1).padStart(6)} µs  ${((100 * n) / total).toFixed(1).padStart(5)} %`,
        );
        if (!detail) continue;
        for (const [frame, k] of [...b.frames].sort((x, y) => y[1] - x[1]).slice(0, detail)) {
          out.push(`      ${((100 * k) / n).toFixed(0).padStart(3)} %  ${frame.slice(0, 110)}`);
        }
      }
    }
    console.log(out.join("\n"));
  } finally {
    await processes.stopAll();
    await pg.destroy();
  }
}

await main();
