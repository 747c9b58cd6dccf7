// `npm start`: the backend and the gateway side by side. In a terminal their JSON log lines are
// shown human-readable (pino-pretty) and a banner says where everything is; piped or in CI the
// JSON lines pass through unchanged (the banner then goes to stderr). LOG_FORMAT=pretty|json
// overrides the choice. Ctrl-C drains both services and waits for them; a second Ctrl-C kills them.
import { stripVTControlCharacters } from "node:util";
import { bannerLines, isListeningLine, type Listening } from "./banner.ts";
import { OutputBuffer } from "./output.ts";
import { createPrettyPrinter } from "./pretty.ts";
import { type ServiceProcess, signalService, startService } from "./services.ts";

const format = process.env.LOG_FORMAT ?? (process.stdout.isTTY ? "pretty" : "json");
if (format !== "pretty" && format !== "json") {
  process.stderr.write(
    `npm start: LOG_FORMAT must be pretty or json, not ${JSON.stringify(format)}\n`,
  );
  process.exit(2);
}
const colorize = format === "pretty" && process.stdout.isTTY === true && !process.env.NO_COLOR;
const print = format === "pretty" ? createPrettyPrinter(colorize) : undefined;
const stdout = new OutputBuffer(process.stdout);
const stderr = new OutputBuffer(process.stderr);
const style = colorize
  ? {
      bold: (s: string) => `\u001b[1m${s}\u001b[22m`,
      dim: (s: string) => `\u001b[2m${s}\u001b[22m`,
    }
  : { bold: (s: string) => s, dim: (s: string) => s };

const listening: Partial<Listening> = {};
let bannerShown = false;
let stopping = false;

function onLine(service: string, line: string, stream: "stdout" | "stderr"): void {
  let entry: Record<string, unknown> | undefined;
  // Piped, lines pass through untouched: parsed only to find the two "listening" lines.
  if (line.startsWith("{") && (print || !bannerShown)) {
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      entry = undefined;
    }
  }
  if (entry && !bannerShown) {
    if (isListeningLine("gateway", entry)) listening.gateway = entry;
    if (isListeningLine("backend", entry)) listening.backend = entry;
  }
  // The launcher's own readiness probes are not the user's requests: their 503s while the gateway
  // still waits out its reconnection backoff would read as failures. JSON output keeps every line.
  if (print && typeof entry?.requestId === "string" && entry.requestId.startsWith(probeIdPrefix)) {
    return;
  }
  if (!print) {
    (stream === "stdout" ? stdout : stderr).write(`${line}\n`);
  } else if (entry) {
    stdout.write(print(entry));
  } else {
    // Not a log line (a configuration error, a Node.js warning): shown as it is, with its service.
    stdout.write(
      `${style.dim(service.padEnd(7))} ${colorize ? line : stripVTControlCharacters(line)}\n`,
    );
  }
  if (!bannerShown && listening.gateway && listening.backend) {
    bannerShown = true;
    void showBannerWhenServing(listening as Listening);
  }
}

/**
 * The banner tells a newcomer to run curl now, so it waits until the gateway really answers
 * `GET /` through the backend: the gateway may have tried the backend before it listened and be
 * waiting out its reconnection backoff (up to 2 s). Polls every 200 ms for at most
 * `readyWithinMs`; after that the banner shows anyway, with a line saying the API is not there yet.
 */
async function showBannerWhenServing(at: Listening, readyWithinMs = 30_000): Promise<void> {
  const url = typeof at.gateway.url === "string" ? at.gateway.url : undefined;
  let serving = url === undefined;
  for (const until = Date.now() + readyWithinMs; !serving && !stopping && Date.now() < until; ) {
    serving = await answers(url as string);
    if (!serving) await new Promise((r) => setTimeout(r, 200));
  }
  if (stopping) return;
  const lines = bannerLines(at, style);
  if (!serving)
    lines.push(style.dim("  GET / does not answer 200 yet: see the log lines above"), "");
  (print ? stdout : stderr).write(`${lines.join("\n")}\n`);
}

const probeIdPrefix = "npm-start-probe-";
let probes = 0;

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, {
      headers: { "x-request-id": `${probeIdPrefix}${++probes}` },
      signal: AbortSignal.timeout(2_000),
    });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

const services: ServiceProcess[] = [
  startService("backend", "backend/src/main.ts", (line, stream) => onLine("backend", line, stream)),
  startService("gateway", "gateway/src/main.ts", (line, stream) => onLine("gateway", line, stream)),
];

/** Drains both services: SIGINT at once (the gateway skips its load-balancer delay), else SIGTERM. */
function stop(signal: NodeJS.Signals): void {
  if (stopping) return;
  stopping = true;
  for (const service of services)
    signalService(service, signal === "SIGINT" ? "SIGINT" : "SIGTERM");
}
let signalsSeen = 0;
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    signalsSeen++;
    if (signalsSeen === 1) {
      if (print)
        stdout.write(`${style.dim(`stopping (${signal}); Ctrl-C again kills both services`)}\n`);
      stop(signal);
    } else {
      // The services ignore repeated signals while they drain: a second one ends them.
      for (const service of services) signalService(service, "SIGKILL");
    }
  });
}
// Whatever ends this process, the services (own process groups) do not outlive it.
process.on("exit", () => {
  for (const service of services) signalService(service, "SIGTERM");
});

// The first service to end stops the other; the exit code is the first non-zero one.
const codes = await Promise.race(
  services.map((service) =>
    service.exited.then(async (code) => {
      if (!stopping && code !== 0) {
        stderr.write(
          `npm start: the ${service.name} exited with code ${code}; stopping the other service\n`,
        );
      }
      stop("SIGTERM");
      return Promise.all(services.map((s) => s.exited));
    }),
  ),
);
await Promise.all([stdout.flush(), stderr.flush()]);
process.exitCode = codes.find((code) => code !== 0) ?? 0;
