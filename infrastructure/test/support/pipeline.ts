// Reads the GitHub Actions workflows and helper scripts as data, for contract tests between the
// pipeline, the Terragrunt tree and the chart.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse } from "yaml";
import { type FakeState, readState, stateFile } from "./fake-kube.ts";
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

/** What a step's `${{ }}` expressions see when steps run in a test. */
export interface StepContext {
  /** Repository variables (`vars.NAME`); unset ones are empty, as on GitHub. */
  vars: Record<string, string>;
  /** Repository secrets (`secrets.NAME`). */
  secrets: Record<string, string>;
  /** Outputs of earlier steps, `steps.<id>.outputs.<name>`, keyed `<id>.<name>`. */
  outputs: Record<string, string>;
  /** The default variables GitHub sets (GITHUB_SHA, ...), also the `github.*` context. */
  github: Record<string, string>;
}

const githubContext: Record<string, string> = {
  sha: "GITHUB_SHA",
  run_id: "GITHUB_RUN_ID",
  repository: "GITHUB_REPOSITORY",
  server_url: "GITHUB_SERVER_URL",
};

/** Replaces the `${{ }}` expressions the workflows use with their values from `ctx`. */
export function resolveExpressions(
  text: string,
  ctx: StepContext,
  env: Record<string, string> = {},
): string {
  return text.replace(/\$\{\{\s*(.+?)\s*\}\}/g, (_, expression: string) => {
    const m = /^(\w+)\.([\w.-]+?)(?:\s*\|\|\s*'([^']*)')?$/.exec(expression);
    if (!m) throw new Error(`unsupported expression: ${expression}`);
    const [, context, name = "", fallback = ""] = m;
    let value: string | undefined;
    if (context === "vars") value = ctx.vars[name];
    else if (context === "secrets") value = ctx.secrets[name];
    else if (context === "env") value = env[name];
    else if (context === "github") value = ctx.github[githubContext[name] ?? ""];
    else if (context === "steps") {
      const s = /^([\w-]+)\.outputs\.(\w+)$/.exec(name);
      value = s ? ctx.outputs[`${s[1]}.${s[2]}`] : undefined;
      if (value === undefined) throw new Error(`no value for ${expression} in the test context`);
    } else throw new Error(`unsupported expression: ${expression}`);
    return value || fallback;
  });
}

const fakeKube = path.join(repoRoot, "infrastructure/test/support/fake-kube.ts");

/**
 * Runs workflow steps in order, as the runner would (bash -eo pipefail, in the repository root,
 * with the workflow's and the step's env, GITHUB_ENV carried from step to step), with kubectl, helm
 * and aws replaced by support/fake-kube.ts. Returns what they did to the fake cluster. `initial`
 * is the state before the first step (a cluster from an earlier deploy). Steps that `uses:` an
 * action are skipped.
 */
export function runSteps(
  wf: Workflow,
  steps: Step[],
  ctx: StepContext,
  initial?: FakeState,
): FakeState {
  const dir = mkdtempSync(path.join(tmpdir(), "steps-"));
  try {
    const bin = path.join(dir, "bin");
    mkdirSync(bin);
    for (const command of ["kubectl", "helm", "aws"]) {
      const stub = path.join(bin, command);
      writeFileSync(stub, `#!/bin/sh\nexec "${process.execPath}" "${fakeKube}" ${command} "$@"\n`);
      chmodSync(stub, 0o755);
    }
    if (initial) writeFileSync(stateFile(dir), JSON.stringify(initial));
    const githubEnv = path.join(dir, "github-env");
    writeFileSync(githubEnv, "");
    const base = { ...ctx.github };
    const workflowEnv: Record<string, string> = {};
    for (const [k, v] of Object.entries(wf.env))
      workflowEnv[k] = resolveExpressions(v, ctx, workflowEnv);
    for (const step of steps) {
      if (step.run === undefined) continue;
      const carried = Object.fromEntries(
        readFileSync(githubEnv, "utf8")
          .split("\n")
          .filter((l) => l.includes("="))
          .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
      );
      const env: Record<string, string> = { ...base, ...workflowEnv, ...carried };
      for (const [k, v] of Object.entries(step.env ?? {})) env[k] = resolveExpressions(v, ctx, env);
      const script = path.join(dir, "step.sh");
      writeFileSync(script, resolveExpressions(step.run, ctx, env));
      const result = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", script], {
        cwd: repoRoot,
        encoding: "utf8",
        env: {
          ...env,
          PATH: `${bin}:${process.env.PATH}`,
          HOME: dir,
          FAKE_KUBE_DIR: dir,
          GITHUB_OUTPUT: path.join(dir, "github-output"),
          GITHUB_ENV: githubEnv,
        },
      });
      if (result.status !== 0) {
        throw new Error(`step "${step.name}" failed (${result.status}):\n${result.stderr}`);
      }
    }
    return readState(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
