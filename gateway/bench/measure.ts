// What one measured run yields: wrk's throughput, latency and errors, and the CPU time each named
// process spent during the run, read from /proc/<pid>/stat (utime + stime of all its threads)
// just before and just after it. CPU per request survives a busy machine far better than
// requests per second: it does not count the time a process waits for a core.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

export interface Run {
  rps: number;
  /** Milliseconds. */
  p50: number;
  p99: number;
  /** Non-2xx answers plus socket errors (connect, read, write, timeout). */
  errors: number;
  requests: number;
  /** CPU microseconds per request of each measured process, by its name. */
  cpuUs: Record<string, number>;
}

const ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

/** utime + stime of a process and all its threads, dead ones included, in microseconds. */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which is in parentheses and may itself contain spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1e6) / ticksPerSecond;
}

/** Resident set size in MiB, NaN once the process is gone. */
export function rssMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) / 1024;
  } catch {
    return Number.NaN;
  }
}

// wrk's latency units (its stats.c): us, ms, s, m (minutes), h.
const msPerUnit: Record<string, number> = { us: 0.001, ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

function toMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  if (!m) return Number.NaN;
  return Number(m[1]) * (msPerUnit[m[2] as string] as number);
}

/** Parses wrk's `--latency` report. */
export function parseWrk(out: string): Omit<Run, "cpuUs"> {
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  return {
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    p50: toMs(/^\s+50%\s+(\S+)\s*$/m.exec(out)?.[1] ?? ""),
    p99: toMs(/^\s+99%\s+(\S+)\s*$/m.exec(out)?.[1] ?? ""),
    errors: num(/Non-2xx or 3xx responses: (\d+)/) + socketErrors,
    requests: num(/(\d+) requests in/),
  };
}

/**
 * Runs `load` (which returns wrk-like results) while reading the CPU counters of `processes`
 * around it; CPU per request is each process's CPU delta over the requests served.
 */
export function measured(processes: Record<string, number>, load: () => Omit<Run, "cpuUs">): Run {
  const before = Object.fromEntries(
    Object.entries(processes).map(([name, pid]) => [name, cpuMicros(pid)]),
  );
  const result = load();
  const cpuUs: Record<string, number> = {};
  for (const [name, pid] of Object.entries(processes)) {
    cpuUs[name] = (cpuMicros(pid) - (before[name] as number)) / Math.max(1, result.requests);
  }
  return { ...result, cpuUs };
}

/** wrk -t2 against `url` with `connections` for `seconds`. */
export function wrk(url: string, connections: number, seconds: number): Omit<Run, "cpuUs"> {
  const out = execFileSync(
    "wrk",
    ["-t2", `-c${connections}`, `-d${seconds}s`, "--latency", "--timeout", "5s", url],
    { encoding: "utf8" },
  );
  const run = parseWrk(out);
  if (Number.isNaN(run.p50) || Number.isNaN(run.p99)) {
    process.stderr.write(`bench: could not read wrk's latency percentiles from:\n${out}\n`);
  }
  return run;
}

/** The median of `values`, NaNs left out (NaN when none is left). */
export function median(values: number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
