// Reads the GitHub Actions workflows and helper scripts as data, for contract tests between the
// pipeline, the Terragrunt tree and the chart.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse } from "yaml";
import { repoRoot } from "./terraform.ts";

export interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}

export interface Job {
  steps?: Step[];
  permissions?: Record<string, string>;
  uses?: string;
}

export interface Workflow {
  name: string;
  env: Record<string, string>;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  jobs: Record<string, Job>;
}

export function workflow(file: string): Workflow {
  return parse(readFileSync(path.join(repoRoot, ".github/workflows", file), "utf8")) as Workflow;
}

export function script(file: string): string {
  return readFileSync(path.join(repoRoot, ".github/scripts", file), "utf8");
}

export function allSteps(wf: Workflow): Step[] {
  return Object.values(wf.jobs).flatMap((job) => job.steps ?? []);
}

export function stepNamed(wf: Workflow, pattern: RegExp): Step {
  const step = allSteps(wf).find((s) => pattern.test(s.name ?? ""));
  if (step === undefined) throw new Error(`no step matching ${pattern} in ${wf.name}`);
  return step;
}

/** The names of settings env.hcl reads with get_env, with the default each falls back to. */
export function envHclSettings(): Map<string, string> {
  const text = readFileSync(path.join(repoRoot, "infrastructure/live/dev/env.hcl"), "utf8");
  const settings = new Map<string, string>();
  for (const m of text.matchAll(/get_env\("([A-Z0-9_]+)", ""\)\)(?:, "([^"]*)"\))?/g)) {
    if (m[1] !== undefined) settings.set(m[1], m[2] ?? "");
  }
  return settings;
}

/**
 * Runs a workflow step's script with bash, with the given environment, and returns the argument
 * lists of every `helm` command it ran (helm itself is replaced by a shell function that records
 * its arguments, so nothing is installed). jq must be installed; the script runs in the repo root.
 */
export function helmCallsOf(run: string, env: Record<string, string>): string[][] {
  const dir = mkdtempSync(path.join(tmpdir(), "step-"));
  try {
    const log = path.join(dir, "helm-args");
    const wrapped = `helm() { printf '%s\\0' "$@" >>"${log}"; printf '\\n\\0' >>"${log}"; }\nset -euo pipefail\n${run}`;
    writeFileSync(path.join(dir, "step.sh"), wrapped);
    const result = spawnSync("bash", [path.join(dir, "step.sh")], {
      cwd: repoRoot,
      encoding: "utf8",
      env: { PATH: process.env.PATH, GITHUB_OUTPUT: path.join(dir, "out"), ...env },
    });
    if (result.status !== 0) throw new Error(`step failed: ${result.stderr}`);
    let text = "";
    try {
      text = readFileSync(log, "utf8");
    } catch {
      return [];
    }
    return text
      .split("\n\0")
      .filter((c) => c.length > 0)
      .map((c) => c.split("\0").filter((a) => a.length > 0));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
