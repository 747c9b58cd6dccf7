// Runs the real `terraform` binary on provider-free modules: `init` needs no registry when a
// configuration has no providers, so validation rules, preconditions and `terraform test` files
// run with Terraform's own semantics on machines without network access.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export const infraDir = path.resolve(import.meta.dirname, "../..");
export const repoRoot = path.resolve(infraDir, "..");

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Environment for every run: no update check, no prompts, no colour, a private data directory. */
function terraformEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CHECKPOINT_DISABLE: "1",
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    TF_DATA_DIR: dataDir,
    NO_COLOR: "1",
    ...extra,
  };
}

/** The terraform binary and its version, or the reason it cannot be used. */
export function findTerraform(): { bin: string; version: string } | { missing: string } {
  const bin = process.env.TERRAFORM_BIN ?? "terraform";
  const result = spawnSync(bin, ["version", "-json"], { encoding: "utf8" });
  if (result.status !== 0)
    return {
      missing: `${bin} is not installed (${result.error?.message ?? result.stderr.trim()})`,
    };
  const version = (JSON.parse(result.stdout) as { terraform_version: string }).terraform_version;
  const [major, minor, patch] = version.split(".").map(Number);
  if (
    (major ?? 0) < 1 ||
    (major === 1 && ((minor ?? 0) < 11 || (minor === 11 && (patch ?? 0) < 1)))
  ) {
    return { missing: `terraform ${version} is older than the 1.11.1 the modules require` };
  }
  return { bin, version };
}

export function run(
  bin: string,
  args: string[],
  cwd: string,
  dataDir: string,
  env: Record<string, string> = {},
): RunResult {
  const result = spawnSync(bin, args, {
    cwd,
    encoding: "utf8",
    env: terraformEnv(dataDir, env),
    timeout: 120_000,
  });
  return { status: result.status ?? -1, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
}

/** `terraform init` + `terraform test` in a module directory, with .terraform kept out of the tree. */
export function testModule(bin: string, moduleDir: string): RunResult {
  const dataDir = mkdtempSync(path.join(tmpdir(), "tf-data-"));
  try {
    const init = run(
      bin,
      ["init", "-input=false", "-no-color", "-backend=false"],
      moduleDir,
      dataDir,
    );
    if (init.status !== 0) return init;
    return run(bin, ["test", "-no-color"], moduleDir, dataDir);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Applies a throwaway root configuration (local state in a temporary directory) and returns its
 * outputs. Only for configurations without providers, where apply evaluates expressions and
 * creates nothing.
 */
export function applyRoot(
  bin: string,
  mainTf: string,
): { outputs: Record<string, unknown> } & RunResult {
  const dir = mkdtempSync(path.join(tmpdir(), "tf-root-"));
  try {
    writeFileSync(path.join(dir, "main.tf"), mainTf);
    const data = path.join(dir, ".terraform");
    const init = run(bin, ["init", "-input=false", "-no-color"], dir, data);
    if (init.status !== 0) return { ...init, outputs: {} };
    const apply = run(bin, ["apply", "-auto-approve", "-input=false", "-no-color"], dir, data);
    if (apply.status !== 0) return { ...apply, outputs: {} };
    const out = run(bin, ["output", "-json", "-no-color"], dir, data);
    const parsed = JSON.parse(out.stdout || "{}") as Record<string, { value: unknown }>;
    return {
      ...apply,
      outputs: Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, v.value])),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
