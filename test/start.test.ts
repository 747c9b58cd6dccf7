// `npm start` (tools/start): JSON lines when piped, readable lines and a banner in a terminal,
// Ctrl-C stops both services. The services run for real (the backend on PGlite).
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig as loadBackendConfig } from "../backend/src/config.ts";
import { freePort } from "../backend/test/support/postgres.ts";
import { loadConfig } from "../gateway/src/config.ts";
import { bannerLines, writeTokensVariable } from "../tools/start/banner.ts";
import { createPrettyPrinter } from "../tools/start/pretty.ts";
import { repoDir } from "./support/node-dist.ts";

const minutes = 60_000;
const running: ChildProcess[] = [];
afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

interface Started {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  gatewayPort: number;
  adminPort: number;
  backendPort: number;
}

async function start(argv: string[], env: Record<string, string> = {}): Promise<Started> {
  const gatewayPort = await freePort();
  const backendPort = await freePort();
  const adminPort = await freePort();
  const data = mkdtempSync(join(tmpdir(), "infinity-pool-start-"));
  const [file, ...args] = argv;
  const child = spawn(file as string, args, {
    cwd: repoDir,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      GATEWAY_PORT: String(gatewayPort),
      BACKEND_PORT: String(backendPort),
      GATEWAY_ADMIN_PORT: String(adminPort),
      PGLITE_DATA_DIR: data,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.push(child);
  let out = "";
  let err = "";
  child.stdout?.setEncoding("utf8").on("data", (c: string) => {
    out += c;
  });
  child.stderr?.setEncoding("utf8").on("data", (c: string) => {
    err += c;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once("close", (code) => {
      rmSync(data, { recursive: true, force: true });
      resolve(code);
    }),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    gatewayPort,
    adminPort,
    backendPort,
  };
}

/** Waits (bounded, polling) until the gateway answers GET / with 200. */
async function greeted(port: number): Promise<boolean> {
  for (let i = 0; i < 180; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/`)).status === 200) return true;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

/** Polls until `text()` contains `needle` (bounded). */
async function shows(text: () => string, needle: string): Promise<void> {
  for (let i = 0; i < 100 && !text().includes(needle); i++)
    await new Promise((r) => setTimeout(r, 100));
}

describe("npm start", () => {
  it("shows the banner only once GET / answers 200, so the curl it suggests works at once", async () => {
    const s = await start([process.execPath, "tools/start/main.ts"]);
    for (let i = 0; i < 1200 && !s.stderr().includes("Infinity Pool is up."); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(s.stderr(), s.stdout()).toContain("Infinity Pool is up.");
    const res = await fetch(`http://127.0.0.1:${s.gatewayPort}/`);
    expect(res.status, await res.text()).toBe(200);
    s.child.kill("SIGINT");
    expect(await s.exited).toBe(0);
  }, 120_000);

  it(
    "piped: only JSON lines on stdout, the banner on stderr, and Ctrl-C stops both services with exit 0",
    async () => {
      const s = await start([process.execPath, "tools/start/main.ts"]);
      expect(await greeted(s.gatewayPort), s.stdout() + s.stderr()).toBe(true);
      await shows(s.stderr, "grpcurl");
      const banner = s.stderr();
      expect(banner).toContain(`API       http://localhost:${s.gatewayPort}/`);
      expect(banner).toContain(`API docs  http://localhost:${s.gatewayPort}/docs`);
      // /metrics is on the admin port only (the public port answers 404).
      expect(banner).toContain(`Metrics   http://localhost:${s.adminPort}/metrics`);
      expect((await fetch(`http://127.0.0.1:${s.adminPort}/metrics`)).status).toBe(200);
      expect(banner).toContain(`gRPC      localhost:${s.backendPort}`);
      expect(banner).toContain(`grpcurl -plaintext localhost:${s.backendPort} list`);
      s.child.kill("SIGINT");
      expect(await s.exited).toBe(0);
      const lines = s
        .stdout()
        .split("\n")
        .filter((l) => l !== "");
      const entries = lines.map((l) => JSON.parse(l) as { service: string; msg: string });
      expect(
        entries
          .filter((e) => e.msg === "shutdown complete")
          .map((e) => e.service)
          .sort(),
      ).toEqual(["backend", "gateway"]);
      expect(entries.some((e) => e.service === "gateway" && e.msg === "request")).toBe(true);
      // The README's sample output shows these start-up lines as the services print them today
      // (fields and values), with the default ports in place of this run's free ports.
      const readme = readFileSync(join(repoDir, "README.md"), "utf8");
      const defaults = loadConfig({});
      const ports: [number, number][] = [
        [s.gatewayPort, defaults.port],
        [s.adminPort, defaults.adminPort],
        [s.backendPort, loadBackendConfig({}).port],
      ];
      const print = createPrettyPrinter(false);
      const startup = ["backend listening", "health status changed"];
      // The first of each: a later health change (a slow ping on a busy machine) is not the sample.
      const first = new Map<string, (typeof entries)[number]>();
      for (const e of entries)
        if ((startup.includes(e.msg) || e.msg.startsWith("gateway listening")) && !first.has(e.msg))
          first.set(e.msg, e);
      const shown = [...first.values()].map((e) => {
        let line = print(e)
          .trim()
          .replace(/^\[[\d:.]+\] /, "");
        for (const [used, usual] of ports) line = line.replaceAll(`:${used}`, `:${usual}`);
        return line.replaceAll(`"port":${s.backendPort}`, `"port":${ports[2]?.[1]}`);
      });
      expect(shown).toHaveLength(3);
      for (const line of shown) expect(readme).toContain(line);
    },
    5 * minutes,
  );

  it(
    "in a terminal: colour, one readable line per request with level and service, and the banner",
    async () => {
      // `script` (util-linux) gives the launcher a pseudo-terminal, as a terminal window would.
      const s = await start(
        ["script", "-qfec", `${process.execPath} tools/start/main.ts`, "/dev/null"],
        {
          TERM: "xterm-256color",
        },
      );
      // Nothing sent before the banner: what is shown up to it is npm start's own output.
      for (
        let i = 0;
        i < 1200 && !stripVTControlCharacters(s.stdout()).includes("Infinity Pool is up.");
        i++
      ) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect((await fetch(`http://127.0.0.1:${s.gatewayPort}/`)).status).toBe(200);
      await shows(s.stdout, "GET / → 200");
      const raw = s.stdout();
      expect(stripVTControlCharacters(raw).length, "ANSI colour codes").toBeLessThan(raw.length);
      const text = stripVTControlCharacters(raw).replaceAll("\r", "");
      expect(text).toContain("Infinity Pool is up.");
      expect(text).toContain(`grpcurl -plaintext localhost:${s.backendPort} list`);
      expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: gateway GET \/ → 200 [\d.]+ ms$/m);
      expect(text).toMatch(
        /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: backend GreetingService\/SayHello OK [\d.]+ ms$/m,
      );
      expect(text).not.toMatch(/^\{"level"/m);
      // The launcher's readiness probes (503 while the gateway reconnects) are not shown.
      expect(text).not.toMatch(/→ 503/);
      expect(text).not.toContain("npm-start-probe");
      s.child.kill("SIGINT");
      await s.exited;
    },
    5 * minutes,
  );
});

describe("the banner", () => {
  it("names the variable the gateway really reads write tokens from", () => {
    expect(loadConfig({ [writeTokensVariable]: "t1" }).writeTokens).toHaveLength(1);
  });

  it("is shown in the README with the ports the services use by default", () => {
    const readme = readFileSync(join(repoDir, "README.md"), "utf8");
    const example = /^ {2}Infinity Pool is up\.[\s\S]*?^ {2}Writes .*$/m.exec(readme)?.[0] ?? "";
    const defaults = loadConfig({});
    const lines = bannerLines({
      gateway: {
        url: `http://localhost:${defaults.port}/`,
        docs: `http://localhost:${defaults.port}/docs`,
        metrics: `http://localhost:${defaults.adminPort}/metrics`,
      },
      backend: { port: loadBackendConfig({}).port, database: "pglite" },
    });
    expect(example.split("\n")).toEqual(lines.slice(1, -1));
    // The gateway's listening line in the same example.
    expect(readme).toContain(`"metrics":"http://localhost:${defaults.adminPort}/metrics"`);
  });

  it("shows no metrics URL the gateway did not log (the public port has none)", () => {
    const lines = bannerLines({ gateway: { url: "http://localhost:8080/" }, backend: {} });
    expect(lines.join("\n")).not.toContain("/metrics");
  });
});

describe("tools/start/pretty.ts", () => {
  const print = createPrettyPrinter(false);
  const time = "2026-11-29T23:56:26.221Z";

  it("condenses a gateway access log line, keeping what it does not show", () => {
    const line = print({
      level: "info",
      time,
      service: "gateway",
      requestId: "r1",
      method: "GET",
      path: "/v1/greetings/99",
      route: "/v1/greetings/{id}",
      status: 404,
      ms: 4.2,
      grpcCode: "NOT_FOUND",
      error: "greeting 99 not found",
      attempts: 1,
      msg: "request",
    });
    expect(line).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: gateway GET \/v1\/greetings\/99 → 404 NOT_FOUND 4.2 ms: greeting 99 not found \{"attempts":1\}\n$/,
    );
  });

  it("shows warnings and errors with their level, on one line", () => {
    expect(
      print({
        level: "warn",
        time,
        service: "backend",
        err: "connection refused",
        msg: "database down",
      }),
    ).toMatch(/^\[[\d:.]+\] WARN: backend database down \{"err":"connection refused"\}\n$/);
  });
});
