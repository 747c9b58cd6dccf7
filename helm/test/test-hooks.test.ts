import { execFile } from "node:child_process";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { find, render, repoRoot } from "./support/helm.ts";

/**
 * The `helm test` Jobs are real programs: run the exact scripts the chart renders, with the same
 * Node and @grpc/grpc-js the gateway image carries, against local stand-ins for the services.
 */
const run = promisify(execFile);
const manifests = render({ valuesFiles: ["ci/minimal-values.yaml"] });
const script = (name: string): string =>
  find(manifests, "Job", name).spec.template.spec.containers[0].args[0];
const command = (name: string): string[] =>
  find(manifests, "Job", name).spec.template.spec.containers[0].command;

async function runCheck(name: string, env: Record<string, string>) {
  const [bin, ...args] = command(name);
  expect(bin).toBe("node");
  try {
    const { stdout, stderr } = await run(process.execPath, [...args, script(name)], {
      env: { ...process.env, CHECK_ATTEMPTS: "1", ...env },
      cwd: repoRoot,
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("gateway HTTP test hook", () => {
  let server: Server;
  let body: unknown;
  let url: string;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify(body));
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => server.close());

  test("passes when the gateway answers the contract's greeting", async () => {
    body = { data: { greeting: "Hello World" }, message: "Response from infinity-pool database" };
    const result = await runCheck("infinity-pool-test-gateway-http", { GATEWAY_URL: url });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("expected greeting");
  });

  test("fails when the body differs from the contract", async () => {
    body = { data: { greeting: "Hello World" }, message: "Response from cache" };
    const result = await runCheck("infinity-pool-test-gateway-http", { GATEWAY_URL: url });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("gateway check failed");
  });

  test("fails when nothing listens", async () => {
    const result = await runCheck("infinity-pool-test-gateway-http", {
      GATEWAY_URL: "http://127.0.0.1:9/",
    });
    expect(result.code).toBe(1);
  });
});

describe("backend gRPC health test hook", () => {
  const statuses = new Map<string, number>();
  const server = new grpc.Server();
  let target: string;
  beforeAll(async () => {
    const identity = (b: Buffer) => b;
    server.addService(
      {
        Check: {
          path: "/grpc.health.v1.Health/Check",
          requestStream: false,
          responseStream: false,
          requestSerialize: identity,
          requestDeserialize: identity,
          responseSerialize: identity,
          responseDeserialize: identity,
        },
      },
      {
        Check: (
          call: grpc.ServerUnaryCall<Buffer, Buffer>,
          callback: grpc.sendUnaryData<Buffer>,
        ) => {
          // HealthCheckRequest { string service = 1 }; an empty message means service "".
          const service = call.request.length > 2 ? call.request.subarray(2).toString("utf8") : "";
          const status = statuses.get(service);
          if (status === undefined)
            callback({ code: grpc.status.NOT_FOUND, details: "unknown service" });
          else callback(null, Buffer.from([0x08, status]));
        },
      },
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    );
    target = `dns:///127.0.0.1:${port}`;
  });
  afterAll(() => server.forceShutdown());

  test("passes when the server and the GreetingService are SERVING", async () => {
    statuses.set("", 1).set("infinitypool.v1.GreetingService", 1);
    const result = await runCheck("infinity-pool-test-backend-grpc", {
      BACKEND_TARGET: target,
      APP_DIR: repoRoot,
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("is SERVING");
  });

  test("fails when the GreetingService reports NOT_SERVING", async () => {
    statuses.set("", 1).set("infinitypool.v1.GreetingService", 2);
    const result = await runCheck("infinity-pool-test-backend-grpc", {
      BACKEND_TARGET: target,
      APP_DIR: repoRoot,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('"infinitypool.v1.GreetingService" status 2');
  });

  test("fails when the service is unknown to the health server", async () => {
    statuses.clear();
    statuses.set("", 1);
    const result = await runCheck("infinity-pool-test-backend-grpc", {
      BACKEND_TARGET: target,
      APP_DIR: repoRoot,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("NOT_FOUND");
  });
});
