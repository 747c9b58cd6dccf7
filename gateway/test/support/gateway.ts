// Helpers to run the gateway in-process (fast, inspectable) or as its real entry point.
import { type ChildProcess, spawn } from "node:child_process";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import type { DescService } from "@bufbuild/protobuf";
import { createLogger } from "@infinity-pool/runtime/logger";
import { untilReady } from "../../../backend/test/support/backend-process.ts";
import { type GatewayConfig, loadConfig } from "../../src/config.ts";
import type { Gateway } from "../../src/gateway.ts";
import type { Router } from "../../src/router.ts";
import { assembleGateway } from "../../src/start.ts";

export const gatewayDir = fileURLToPath(new URL("../..", import.meta.url));
export const repoDir = fileURLToPath(new URL("../../..", import.meta.url));

export interface InProcessGateway {
  gateway: Gateway;
  router: Router;
  url: string;
  /** The admin port (/metrics, /healthz, /readyz). */
  adminUrl: string;
  /** Parsed JSON log lines written so far. */
  logs: Record<string, unknown>[];
  rawLogs(): string;
  stop(): Promise<void>;
}

export async function startGateway(
  services: readonly DescService[],
  env: Record<string, string>,
  overrides: Partial<GatewayConfig> = {},
): Promise<InProcessGateway> {
  const config = {
    ...loadConfig({
      GATEWAY_PORT: "0",
      GATEWAY_ADMIN_PORT: "0",
      GATEWAY_HOST: "127.0.0.1",
      ...env,
    }),
    ...overrides,
  };
  let raw = "";
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      const text = chunk.toString();
      raw += text;
      for (const line of text.split("\n")) if (line) logs.push(JSON.parse(line));
      done();
    },
  });
  const logger = createLogger({ service: "gateway", level: "info", destination: sink });
  const { gateway, router } = assembleGateway(config, services, logger);
  const address = await gateway.listen();
  return {
    gateway,
    router,
    url: `http://127.0.0.1:${address.port}`,
    adminUrl: `http://127.0.0.1:${gateway.adminAddress().port}`,
    logs,
    rawLogs: () => raw,
    stop: () => gateway.shutdown(0),
  };
}

export interface GatewayProcess {
  url: string;
  port: number;
  /** The admin port (/metrics, /healthz, /readyz). */
  adminUrl: string;
  child: ChildProcess;
  logs(): string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `node gateway/src/main.ts` and waits for its "listening" line. */
export async function spawnGateway(env: Record<string, string>): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ["gateway/src/main.ts"], {
    cwd: repoDir,
    env: {
      PATH: process.env.PATH ?? "",
      GATEWAY_HOST: "127.0.0.1",
      GATEWAY_PORT: "0",
      GATEWAY_ADMIN_PORT: "0",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  let buffer = "";
  const collect = (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split("\n");
    buffer = parts.pop() ?? "";
    lines.push(...parts.filter((l) => l !== ""));
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => setImmediate(() => resolve({ code, signal }))),
  );
  // The deadline follows the process's CPU time, not the clock (untilReady).
  const listeningLine = () => lines.find((l) => l.includes("gateway listening"));
  try {
    await untilReady(child, () => listeningLine() !== undefined, { what: "gateway", lines });
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  const listening = JSON.parse(listeningLine() as string);
  const port = Number(/:(\d+)\//.exec(listening.url)?.[1]);
  // The listening line names the metrics URL, which is on the admin port.
  const adminPort = Number(/:(\d+)\//.exec(listening.metrics)?.[1]);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    child,
    logs: () => [...lines],
    exited,
  };
}
