// .github/scripts/runs-in-flight.sh against a local HTTP server that answers like GitHub's REST API
// (GET /repos/{owner}/{repo}/actions/workflows/{file}/runs): the guard that keeps a push from
// dropping a queued destroy and a destroy from overlapping a deploy.
import { spawn, spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "./support/terraform.ts";

const jq = spawnSync("jq", ["--version"]).status === 0;
const curl = spawnSync("curl", ["--version"]).status === 0;
const scriptPath = path.join(repoRoot, ".github/scripts/runs-in-flight.sh");

type Run = { id: number; status: string; html_url: string };
let runs: Run[] = [];
let afterCalls: { calls: number; next: Run[] } | undefined;
const requests: { url: string; auth: string | undefined }[] = [];
let server: Server;
let api = "";

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push({ url: req.url ?? "", auth: req.headers.authorization });
    if (afterCalls && requests.length > afterCalls.calls) runs = afterCalls.next;
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ total_count: runs.length, workflow_runs: runs }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function runScript(args: string[]): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn("bash", [scriptPath, ...args], {
      env: {
        PATH: process.env.PATH,
        GITHUB_API_URL: api,
        GITHUB_REPOSITORY: "octo-org/vigilant-pancake",
        GITHUB_TOKEN: "test-token",
        GITHUB_RUN_ID: "500",
        RUNS_POLL_SECONDS: "0",
      },
    });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      out += d;
    });
    child.on("close", (status) => resolve({ status, out }));
  });
}

const run = (id: number, status: string): Run => ({
  id,
  status,
  html_url: `https://github.com/octo-org/vigilant-pancake/actions/runs/${id}`,
});

describe.skipIf(!jq || !curl)("runs-in-flight.sh", () => {
  it("lists runs that are queued, waiting or in progress, not completed ones or this run", async () => {
    runs = [
      run(1, "completed"),
      run(2, "queued"),
      run(3, "in_progress"),
      run(500, "in_progress"),
      run(4, "waiting"),
    ];
    afterCalls = undefined;
    requests.length = 0;
    const { status, out } = await runScript(["destroy.yaml"]);
    expect(status).toBe(0);
    expect(
      out
        .trim()
        .split("\n")
        .map((l) => l.split(" ")[0]),
    ).toEqual(["2", "3", "4"]);
    expect(requests[0]?.url).toMatch(
      /^\/repos\/octo-org\/vigilant-pancake\/actions\/workflows\/destroy\.yaml\/runs\?/,
    );
    expect(requests[0]?.auth).toBe("Bearer test-token");
  });

  it("prints nothing when no run is in flight", async () => {
    runs = [run(1, "completed")];
    const { status, out } = await runScript(["destroy.yaml"]);
    expect(status).toBe(0);
    expect(out).toBe("");
  });

  it("--wait returns once the runs have completed", async () => {
    runs = [run(7, "in_progress")];
    requests.length = 0;
    afterCalls = { calls: 2, next: [run(7, "completed")] };
    const { status, out } = await runScript(["--wait", "60", "cicd.yaml"]);
    expect(out).toContain("waiting for 1 cicd.yaml run(s)");
    expect(out).toContain("no cicd.yaml run in flight");
    expect(status).toBe(0);
  });

  it("--wait gives up after the deadline and names the blocking run", async () => {
    runs = [run(8, "in_progress")];
    afterCalls = undefined;
    const { status, out } = await runScript(["--wait", "0", "cicd.yaml"]);
    expect(status).toBe(1);
    expect(out).toContain("actions/runs/8");
  });

  it("fails rather than guessing when the API does not answer", async () => {
    const child = spawnSync("bash", [scriptPath, "destroy.yaml"], {
      encoding: "utf8",
      env: {
        PATH: process.env.PATH,
        GITHUB_API_URL: "http://127.0.0.1:9",
        GITHUB_REPOSITORY: "octo-org/vigilant-pancake",
        GITHUB_TOKEN: "t",
      },
    });
    expect(child.status).not.toBe(0);
  });
});
