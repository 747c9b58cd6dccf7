// Memory of the gateway and the backend as the chart runs them: each image in a container limited
// to the chart's memory limit (V8 sizes its heap from the limit it sees), the gateway in front of
// the backend in front of a private PostgreSQL, GET / driven by wrk. Prints resident memory
// (VmRSS) and the cgroup working set (usage minus inactive file pages: what the kubelet and the
// metrics server count, and what an HPA or an eviction compares against requests) while idle,
// under load and after it. The chart's memory requests come from these figures (helm/README.md).
//
// Run as root from the repository root: `node helm/scripts/measure-memory.ts`. Needs podman with
// the stand-in base image (../shared/tools/base-image.sh), wrk and the PostgreSQL server binaries.
// Env: MEASURE_SECONDS (load duration, 60), MEASURE_CONNECTIONS (64), SKIP_BUILD=1 to reuse the
// :measure images, MEASURE_LIMIT=none to run without a memory limit (V8 then sizes its heap from
// the host's memory, which is what a measurement outside a container sees).
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { freePort, startPostgres } from "../../backend/test/support/postgres.ts";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const seconds = Number(process.env.MEASURE_SECONDS ?? 60);
const connections = Number(process.env.MEASURE_CONNECTIONS ?? 64);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sh = (cmd: string, args: string[]) =>
  execFileSync(cmd, args, { encoding: "utf8", cwd: repo, stdio: ["ignore", "pipe", "pipe"] });

interface Values {
  gateway: { resources: { limits: { memory: string } } };
  backend: { resources: { limits: { memory: string } } };
}
const values = parse(readFileSync(join(repo, "helm/values.yaml"), "utf8")) as Values;

/** Kubernetes quantity (Mi, Gi, M, plain bytes) to bytes. */
function bytes(quantity: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?$/.exec(quantity);
  if (!m) throw new Error(`unsupported quantity ${quantity}`);
  const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, K: 1e3, M: 1e6, G: 1e9 }[m[2] ?? ""] ?? 1;
  return Math.round(Number(m[1]) * unit);
}
const mib = (n: number) => (n / 2 ** 20).toFixed(0);

const unlimited = process.env.MEASURE_LIMIT === "none";
const limits = {
  gateway: bytes(values.gateway.resources.limits.memory),
  backend: bytes(values.backend.resources.limits.memory),
};

const engine = "podman";
const names = {
  gateway: "infinity-pool-measure-gateway",
  backend: "infinity-pool-measure-backend",
};
const image = (service: string) => `localhost/infinity-pool/${service}:measure`;

function cleanup() {
  try {
    sh(engine, ["rm", "-f", names.gateway, names.backend]);
  } catch {}
}

if (process.env.SKIP_BUILD !== "1") {
  for (const service of ["backend", "gateway"]) {
    console.error(`building ${image(service)}`);
    sh(engine, [
      "build",
      "--quiet",
      "-f",
      `${service}/Dockerfile`,
      "-t",
      image(service),
      "--build-arg",
      "TARGETARCH=amd64",
      ".",
    ]);
  }
}

// The runtime the chart's securityContext implies (as .github/scripts/container-smoke.sh runs it).
const runFlags = (limit: number) => [
  "--network",
  "host",
  "--read-only",
  "--read-only-tmpfs=false",
  "--tmpfs",
  "/tmp:rw,size=64m,mode=1777",
  "--cap-drop",
  "ALL",
  "--security-opt",
  "no-new-privileges",
  "--user",
  "1000:1000",
  ...(unlimited ? [] : ["--memory", String(limit), "--memory-swap", String(limit)]),
];

interface Sample {
  rss: number;
  workingSet: number;
}

/** VmRSS of the container's PID 1 and its memory cgroup's working set, read from the host. */
function sample(name: string): Sample {
  const pid = sh(engine, ["inspect", "-f", "{{.State.Pid}}", name]).trim();
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) * 1024;
  const cgroups = readFileSync(`/proc/${pid}/cgroup`, "utf8").split("\n");
  const v2 = cgroups.find((l) => l.startsWith("0::"))?.slice(3);
  const v1 = cgroups.find((l) => /^\d+:memory:/.test(l))?.split(":")[2];
  let workingSet = Number.NaN;
  if (v1 !== undefined) {
    const dir = `/sys/fs/cgroup/memory${v1}`;
    const usage = Number(readFileSync(`${dir}/memory.usage_in_bytes`, "utf8"));
    const stat = readFileSync(`${dir}/memory.stat`, "utf8");
    const inactive = Number(/^total_inactive_file (\d+)$/m.exec(stat)?.[1] ?? 0);
    workingSet = usage - inactive;
  } else if (v2 !== undefined) {
    const dir = `/sys/fs/cgroup${v2}`;
    const usage = Number(readFileSync(`${dir}/memory.current`, "utf8"));
    const stat = readFileSync(`${dir}/memory.stat`, "utf8");
    const inactive = Number(/^inactive_file (\d+)$/m.exec(stat)?.[1] ?? 0);
    workingSet = usage - inactive;
  }
  return { rss, workingSet };
}

async function waitFor(url: string, ms: number) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    await sleep(250);
  }
  throw new Error(`${url} did not answer 200 within ${ms} ms`);
}

const postgres = await startPostgres();
const children: ChildProcess[] = [];
cleanup();
try {
  const backendPort = await freePort();
  const gatewayPort = await freePort();
  sh(engine, [
    "run",
    "-d",
    "--name",
    names.backend,
    ...runFlags(limits.backend),
    "-e",
    `BACKEND_PORT=${backendPort}`,
    "-e",
    `DATABASE_URL=${postgres.url}`,
    "-e",
    "DB_SSL_MODE=disable",
    "-e",
    "MIGRATE_ON_START=true",
    image("backend"),
  ]);
  sh(engine, [
    "run",
    "-d",
    "--name",
    names.gateway,
    ...runFlags(limits.gateway),
    "-e",
    `GATEWAY_PORT=${gatewayPort}`,
    "-e",
    `GATEWAY_ADMIN_PORT=${await freePort()}`,
    "-e",
    `BACKEND_ADDRESS=dns:///127.0.0.1:${backendPort}`,
    image("gateway"),
  ]);
  const url = `http://127.0.0.1:${gatewayPort}/`;
  await waitFor(url, 60_000);
  await sleep(5_000);
  const idle = { gateway: sample(names.gateway), backend: sample(names.backend) };

  const loaded: Record<"gateway" | "backend", Sample[]> = { gateway: [], backend: [] };
  const wrk = spawn("wrk", ["-t2", `-c${connections}`, `-d${seconds}s`, "--latency", url], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(wrk);
  let wrkOut = "";
  wrk.stdout?.on("data", (d) => {
    wrkOut += d;
  });
  const done = new Promise((resolve) => wrk.on("exit", resolve));
  const start = Date.now();
  while (Date.now() - start < seconds * 1000) {
    await sleep(1_000);
    loaded.gateway.push(sample(names.gateway));
    loaded.backend.push(sample(names.backend));
  }
  await done;
  await sleep(15_000);
  const after = { gateway: sample(names.gateway), backend: sample(names.backend) };

  const requests = /Requests\/sec:\s+([\d.]+)/.exec(wrkOut)?.[1];
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(wrkOut)?.[1] ?? "0";
  console.log(
    `GET / through the gateway: ${seconds} s, ${connections} connections, ${requests} req/s, ${non2xx} non-2xx`,
  );
  console.log(
    "service  limit   idle rss/ws   load rss p50/max   load ws p50/max   after rss/ws  (MiB)",
  );
  for (const service of ["gateway", "backend"] as const) {
    // The second half of the run: the heap has grown to its steady size by then.
    const steady = loaded[service].slice(Math.floor(loaded[service].length / 2));
    const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    const rss = steady.map((s) => s.rss);
    const ws = steady.map((s) => s.workingSet);
    console.log(
      [
        service.padEnd(8),
        (unlimited ? "none" : mib(limits[service])).padStart(5),
        `${mib(idle[service].rss)}/${mib(idle[service].workingSet)}`.padStart(13),
        `${mib(p50(rss))}/${mib(Math.max(...rss))}`.padStart(18),
        `${mib(p50(ws))}/${mib(Math.max(...ws))}`.padStart(17),
        `${mib(after[service].rss)}/${mib(after[service].workingSet)}`.padStart(13),
      ].join(" "),
    );
  }
  const oom = sh(engine, [
    "inspect",
    "-f",
    "{{.State.OOMKilled}} {{.State.Running}}",
    names.gateway,
    names.backend,
  ]);
  console.log(`OOMKilled/running (gateway, backend): ${oom.trim().replace(/\n/g, ", ")}`);
} finally {
  for (const c of children) c.kill();
  cleanup();
  await postgres.destroy();
}
