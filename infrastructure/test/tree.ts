// Static checks of the Terraform modules and the Terragrunt live tree. No terraform or terragrunt
// binary is needed: files are parsed with HashiCorp's own HCL parser (compiled to WebAssembly in
// @cdktf/hcl2json) and formatted with hclwrite (in @cdktf/hcl-tools), the library `terraform fmt`
// and `terragrunt hcl fmt` are built on.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { format } from "@cdktf/hcl-tools";
import { parse } from "@cdktf/hcl2json";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

export interface Variable {
  name: string;
  file: string;
  type: string | undefined;
  description: string | undefined;
  required: boolean;
  conditions: string[];
}

export interface Module {
  name: string;
  dir: string;
  variables: Map<string, Variable>;
  outputs: Map<string, { description: string | undefined }>;
  /** `module` blocks: local name to source and version. */
  calls: Map<string, { source: string; version: string | undefined }>;
  requiredVersion: string | undefined;
  awsProviderVersion: string | undefined;
  /** Literal or interpolated `name` arguments of resources and module calls, with where they are. */
  names: { where: string; value: string }[];
}

export interface Dependency {
  name: string;
  configPath: string;
  mockOutputs: Obj;
  mockCommands: string[] | undefined;
}

export interface Unit {
  name: string;
  dir: string;
  /** Module directory name taken from terraform.source, e.g. "cluster". */
  moduleName: string | undefined;
  source: string | undefined;
  includesRoot: boolean;
  dependencies: Map<string, Dependency>;
  /** Inputs after merging the root include's inputs (the child wins, as Terragrunt does). */
  inputs: Obj;
}

export interface Tree {
  infraDir: string;
  modules: Map<string, Module>;
  units: Map<string, Unit>;
  root: Obj;
  env: Obj;
}

/** Outputs the Helm chart and the pipeline read, per unit (see the runtime contract). */
export const CONTRACT_OUTPUTS: Record<string, string[]> = {
  network: ["vpc_cidr_block", "database_subnet_cidr_blocks"],
  cluster: ["cluster_name"],
  registry: ["repository_urls"],
  database: ["endpoint", "port", "database_name", "master_secret_arn"],
  "workload-access": ["backend_role_arn"],
  "ci-access": ["deploy_role_arn"],
};

/** Modules deployed by a Terragrunt unit of the same name. */
export const EXPECTED_MODULES = [
  "network",
  "cluster",
  "database",
  "registry",
  "workload-access",
  "ci-access",
];

/**
 * Modules with no provider at all (plain expressions, variable validation, preconditions), called
 * by the deployed modules and by the settings gate. `terraform init` + `terraform test` run them
 * offline; see terraform-modules.test.ts.
 */
export const PROVIDER_FREE_MODULES = [
  "github-oidc-trust",
  "availability-zones",
  "access-entries",
  "settings",
];

/**
 * Upstream modules, pinned to exact releases: module versions are not in the provider lock files,
 * so a floating pin could pull a release that needs a newer provider than the lock holds. Each of
 * these releases requires hashicorp/aws >= 6.28 (its versions.tf), and rds-aurora 10.2 requires
 * Terraform >= 1.11.1.
 */
export const PINNED_MODULES: Record<string, string> = {
  "terraform-aws-modules/vpc/aws": "6.6.0",
  "terraform-aws-modules/eks/aws": "21.19.0",
  "terraform-aws-modules/rds-aurora/aws": "10.2.0",
  "terraform-aws-modules/eks-pod-identity/aws": "2.8.1",
};

/** Version floors the pinned modules need (their versions.tf at the pinned tags). */
export const REQUIRED_TERRAFORM = ">= 1.11.1";
export const REQUIRED_AWS_PROVIDER = ">= 6.28, < 7.0";

// Mocks stand in for dependencies that were never applied. Destroy may use them too: it tears down
// from state, and a unit whose dependency never got outputs has nothing real to read. Apply never may.
const MOCK_COMMANDS_ALLOWED = new Set(["init", "validate", "plan", "destroy", "providers"]);

function isObj(v: Json | undefined): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function asObj(v: Json | undefined): Obj {
  return isObj(v) ? v : {};
}

/** Blocks come out of hcl2json as arrays of bodies; labelled blocks as objects of such arrays. */
function bodies(v: Json | undefined): Obj[] {
  if (Array.isArray(v)) return v.filter(isObj);
  if (isObj(v)) return [v];
  return [];
}

function str(v: Json | undefined): string | undefined {
  return typeof v === "string" ? v : undefined;
}

export async function listHclFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    if (!entry.name.endsWith(".tf") && !entry.name.endsWith(".hcl")) continue;
    const full = path.join(entry.parentPath, entry.name);
    // Terragrunt and Terraform working copies are not ours.
    if (full.includes(`${path.sep}.terragrunt-cache${path.sep}`)) continue;
    if (full.includes(`${path.sep}.terraform${path.sep}`)) continue;
    out.push(full);
  }
  return out.sort();
}

export async function parseFile(file: string): Promise<Obj> {
  const text = await readFile(file, "utf8");
  const parsed: unknown = await parse(path.basename(file), text);
  return asObj(parsed as Json);
}

export async function isFormatted(file: string): Promise<boolean> {
  const text = await readFile(file, "utf8");
  return (await format(text)) === text;
}

export async function loadModule(dir: string): Promise<Module> {
  const mod: Module = {
    name: path.basename(dir),
    dir,
    variables: new Map(),
    outputs: new Map(),
    calls: new Map(),
    requiredVersion: undefined,
    awsProviderVersion: undefined,
    names: [],
  };
  const files = (await readdir(dir)).filter((f) => f.endsWith(".tf")).sort();
  for (const file of files) {
    const doc = await parseFile(path.join(dir, file));
    for (const [name, blocks] of Object.entries(asObj(doc.variable))) {
      for (const body of bodies(blocks)) {
        mod.variables.set(name, {
          name,
          file,
          type: str(body.type),
          description: str(body.description),
          required: !("default" in body),
          conditions: bodies(body.validation)
            .map((v) => str(v.condition))
            .filter((c): c is string => c !== undefined),
        });
      }
    }
    for (const [name, blocks] of Object.entries(asObj(doc.output))) {
      for (const body of bodies(blocks)) {
        mod.outputs.set(name, { description: str(body.description) });
      }
    }
    for (const [name, blocks] of Object.entries(asObj(doc.module))) {
      for (const body of bodies(blocks)) {
        mod.calls.set(name, { source: str(body.source) ?? "", version: str(body.version) });
        const n = str(body.name);
        if (n !== undefined) mod.names.push({ where: `module.${name}`, value: n });
      }
    }
    for (const [type, byName] of Object.entries(asObj(doc.resource))) {
      for (const [name, blocks] of Object.entries(asObj(byName))) {
        for (const body of bodies(blocks)) {
          const n = str(body.name);
          if (n !== undefined) mod.names.push({ where: `${type}.${name}`, value: n });
        }
      }
    }
    for (const tf of bodies(doc.terraform)) {
      mod.requiredVersion = str(tf.required_version) ?? mod.requiredVersion;
      for (const rp of bodies(tf.required_providers)) {
        const aws = asObj(rp.aws);
        mod.awsProviderVersion = str(aws.version) ?? mod.awsProviderVersion;
      }
    }
  }
  return mod;
}

export async function loadUnit(dir: string, rootInputs: Obj): Promise<Unit> {
  const doc = await parseFile(path.join(dir, "terragrunt.hcl"));
  const source = bodies(doc.terraform)
    .map((t) => str(t.source))
    .find((s) => s !== undefined);
  const moduleName = source === undefined ? undefined : /\/\/([A-Za-z0-9_-]+)$/.exec(source)?.[1];
  const includesRoot = Object.values(asObj(doc.include)).some((blocks) =>
    bodies(blocks).some((b) => (str(b.path) ?? "").includes('find_in_parent_folders("root.hcl")')),
  );
  const dependencies = new Map<string, Dependency>();
  for (const [name, blocks] of Object.entries(asObj(doc.dependency))) {
    for (const body of bodies(blocks)) {
      const cmds = body.mock_outputs_allowed_terraform_commands;
      dependencies.set(name, {
        name,
        configPath: str(body.config_path) ?? "",
        mockOutputs: asObj(body.mock_outputs),
        mockCommands: Array.isArray(cmds) ? cmds.map(String) : undefined,
      });
    }
  }
  return {
    name: path.basename(dir),
    dir,
    moduleName,
    source,
    includesRoot,
    dependencies,
    inputs: { ...rootInputs, ...asObj(doc.inputs) },
  };
}

export async function loadTree(infraDir: string): Promise<Tree> {
  const modulesDir = path.join(infraDir, "modules");
  const modules = new Map<string, Module>();
  for (const entry of await readdir(modulesDir, { withFileTypes: true })) {
    if (entry.isDirectory())
      modules.set(entry.name, await loadModule(path.join(modulesDir, entry.name)));
  }
  const root = await parseFile(path.join(infraDir, "live", "root.hcl"));
  const envDir = path.join(infraDir, "live", "dev");
  const env = await parseFile(path.join(envDir, "env.hcl"));
  const units = new Map<string, Unit>();
  for (const entry of await readdir(envDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    units.set(entry.name, await loadUnit(path.join(envDir, entry.name), asObj(root.inputs)));
  }
  return { infraDir, modules, units, root, env };
}

/** Every `dependency.<name>.outputs.<output>` read anywhere in a unit's inputs. */
export function dependencyReads(inputs: Obj): { dependency: string; output: string }[] {
  const text = JSON.stringify(inputs);
  const reads: { dependency: string; output: string }[] = [];
  for (const m of text.matchAll(/dependency\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)/g)) {
    if (m[1] !== undefined && m[2] !== undefined) reads.push({ dependency: m[1], output: m[2] });
  }
  return reads;
}

/** HCL string literal body to its value (only the escapes our patterns use). */
function unescapeHcl(s: string): string {
  return s.replace(/\\(["\\nt])/g, (_, c: string) => (c === "n" ? "\n" : c === "t" ? "\t" : c));
}

/** The `regex("...")` patterns of a validation condition, as JavaScript regular expressions. */
export function conditionPatterns(condition: string): RegExp[] {
  const out: RegExp[] = [];
  for (const m of condition.matchAll(/regex\("((?:[^"\\]|\\.)*)"\s*,/g)) {
    const raw = m[1];
    if (raw === undefined) continue;
    // hcl2json keeps the expression's source text, so the pattern still carries HCL escapes.
    out.push(new RegExp(unescapeHcl(raw)));
  }
  return out;
}

/**
 * Whether a mock value would pass a variable's regex validations: each string (or each element of
 * a list of strings) must match one of the patterns, unless the condition accepts "" and it is "".
 */
export function mockPassesValidation(value: Json, variable: Variable): boolean {
  for (const condition of variable.conditions) {
    const patterns = conditionPatterns(condition);
    if (patterns.length === 0) continue;
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      if (typeof v !== "string") continue;
      if (v === "" && /==\s*""/.test(condition)) continue;
      if (!patterns.some((p) => p.test(v))) return false;
    }
  }
  return true;
}

function resolveDependencyUnit(tree: Tree, unit: Unit, dep: Dependency): Unit | undefined {
  const target = path.resolve(unit.dir, dep.configPath);
  return [...tree.units.values()].find((u) => path.resolve(u.dir) === target);
}

/** All problems found in the tree; an empty list means every check passed. */
export function checkTree(tree: Tree): string[] {
  const problems: string[] = [];

  for (const expected of [...EXPECTED_MODULES, ...PROVIDER_FREE_MODULES]) {
    if (!tree.modules.has(expected)) problems.push(`module ${expected} is missing`);
  }

  for (const mod of tree.modules.values()) {
    const where = `module ${mod.name}`;
    const providerFree = PROVIDER_FREE_MODULES.includes(mod.name);
    if (mod.requiredVersion !== REQUIRED_TERRAFORM) {
      problems.push(
        `${where}: required_version must be "${REQUIRED_TERRAFORM}", got ${mod.requiredVersion}`,
      );
    }
    if (providerFree) {
      if (mod.awsProviderVersion !== undefined || mod.names.length > 0) {
        problems.push(`${where}: must stay provider-free (no providers, resources or modules)`);
      }
    } else if (mod.awsProviderVersion !== REQUIRED_AWS_PROVIDER) {
      problems.push(
        `${where}: aws provider must be "${REQUIRED_AWS_PROVIDER}", got ${mod.awsProviderVersion}`,
      );
    }
    for (const v of mod.variables.values()) {
      if (!v.description || v.description.trim().length < 10) {
        problems.push(`${where}: variable ${v.name} needs a description`);
      }
      if (v.type === undefined) problems.push(`${where}: variable ${v.name} needs a type`);
      // A quoted type ("string") is legacy syntax that terraform fmt rewrites.
      else if (!v.type.startsWith("$"))
        problems.push(`${where}: variable ${v.name} has a quoted type`);
      const exempt = v.type === `\${bool}` || v.name === "tags";
      if (!exempt && v.conditions.length === 0) {
        problems.push(`${where}: variable ${v.name} needs a validation block`);
      }
    }
    if (!providerFree && !mod.variables.has("deployment")) {
      problems.push(`${where}: must take the deployment key (variable deployment)`);
    }
    if (!providerFree && !mod.variables.has("tags")) {
      problems.push(`${where}: must take tags (variable tags)`);
    }
    for (const [name, o] of mod.outputs) {
      if (!o.description) problems.push(`${where}: output ${name} needs a description`);
    }
    for (const [name, call] of mod.calls) {
      if (call.source.startsWith("../")) {
        const local = call.source.slice(3);
        if (!PROVIDER_FREE_MODULES.includes(local)) {
          problems.push(
            `${where}: module.${name} calls ${call.source}, not a provider-free module`,
          );
        }
        continue;
      }
      const pin = PINNED_MODULES[call.source];
      if (pin === undefined) {
        problems.push(`${where}: module.${name} uses unexpected source ${call.source}`);
      } else if (call.version !== pin) {
        problems.push(
          `${where}: module.${name} must pin ${call.source} to "${pin}", got ${call.version}`,
        );
      }
    }
    // Names must derive from the deployment key so deployments never collide.
    for (const n of mod.names) {
      if (!/var\.deployment|local\./.test(n.value)) {
        problems.push(
          `${where}: ${n.where} name "${n.value}" does not derive from the deployment key`,
        );
      }
    }
  }

  for (const [unitName, outputs] of Object.entries(CONTRACT_OUTPUTS)) {
    const unit = tree.units.get(unitName);
    const mod = unit?.moduleName === undefined ? undefined : tree.modules.get(unit.moduleName);
    if (unit === undefined || mod === undefined) {
      problems.push(`unit ${unitName} (read by the pipeline) is missing or has no module`);
      continue;
    }
    for (const o of outputs) {
      if (!mod.outputs.has(o))
        problems.push(`unit ${unitName}: contract output ${o} is missing from module ${mod.name}`);
    }
  }

  const envLocals = Object.assign({}, ...bodies(tree.env.locals)) as Obj;

  for (const unit of tree.units.values()) {
    const where = `unit ${unit.name}`;
    if (!unit.includesRoot) problems.push(`${where}: must include root.hcl`);
    if (
      unit.source === undefined ||
      !unit.source.startsWith(`\${include.root.locals.modules_dir}//`)
    ) {
      problems.push(
        `${where}: terraform.source must be \${include.root.locals.modules_dir}//<module>`,
      );
    }
    const mod = unit.moduleName === undefined ? undefined : tree.modules.get(unit.moduleName);
    if (mod === undefined) {
      problems.push(`${where}: terraform.source points at no module (${unit.source})`);
      continue;
    }
    for (const input of Object.keys(unit.inputs)) {
      if (!mod.variables.has(input))
        problems.push(`${where}: input ${input} is not a variable of module ${mod.name}`);
    }
    for (const v of mod.variables.values()) {
      if (v.required && !(v.name in unit.inputs)) {
        problems.push(
          `${where}: required variable ${v.name} of module ${mod.name} is not supplied`,
        );
      }
    }
    for (const m of JSON.stringify(unit.inputs).matchAll(
      /include\.root\.locals\.env\.([A-Za-z0-9_]+)/g,
    )) {
      if (m[1] !== undefined && !(m[1] in envLocals)) {
        problems.push(`${where}: reads env.hcl local ${m[1]}, which env.hcl does not define`);
      }
    }
    for (const dep of unit.dependencies.values()) {
      const target = resolveDependencyUnit(tree, unit, dep);
      const targetMod =
        target?.moduleName === undefined ? undefined : tree.modules.get(target.moduleName);
      if (target === undefined || targetMod === undefined) {
        problems.push(
          `${where}: dependency ${dep.name} points at ${dep.configPath}, which is no unit`,
        );
        continue;
      }
      if (dep.mockCommands === undefined || dep.mockCommands.length === 0) {
        problems.push(
          `${where}: dependency ${dep.name} must restrict mock_outputs_allowed_terraform_commands`,
        );
      } else {
        for (const c of dep.mockCommands) {
          if (!MOCK_COMMANDS_ALLOWED.has(c)) {
            problems.push(
              `${where}: dependency ${dep.name} allows mock outputs for "${c}", which would apply fake values`,
            );
          }
        }
      }
      for (const key of Object.keys(dep.mockOutputs)) {
        if (!targetMod.outputs.has(key)) {
          problems.push(
            `${where}: mock output ${key} of dependency ${dep.name} is not an output of module ${targetMod.name}`,
          );
        }
      }
    }
    for (const read of dependencyReads(unit.inputs)) {
      const dep = unit.dependencies.get(read.dependency);
      if (dep === undefined) {
        problems.push(`${where}: reads dependency.${read.dependency}, which is not declared`);
        continue;
      }
      const target = resolveDependencyUnit(tree, unit, dep);
      const targetMod =
        target?.moduleName === undefined ? undefined : tree.modules.get(target.moduleName);
      if (targetMod === undefined) continue;
      if (!targetMod.outputs.has(read.output)) {
        problems.push(
          `${where}: reads dependency.${read.dependency}.outputs.${read.output}, not an output of module ${targetMod.name}`,
        );
      }
      if (!(read.output in dep.mockOutputs)) {
        problems.push(
          `${where}: dependency ${read.dependency} has no mock for ${read.output}, so plan fails before it is applied`,
        );
      }
    }
    // A mock fed straight into a variable must satisfy that variable's validation, or plan fails.
    for (const [input, value] of Object.entries(unit.inputs)) {
      if (typeof value !== "string") continue;
      const m = /^\$\{dependency\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)\}$/.exec(value);
      const variable = mod.variables.get(input);
      if (m === null || variable === undefined) continue;
      const mock = unit.dependencies.get(m[1] ?? "")?.mockOutputs[m[2] ?? ""];
      if (mock !== undefined && !mockPassesValidation(mock, variable)) {
        problems.push(
          `${where}: mock ${m[1]}.${m[2]} = ${JSON.stringify(mock)} fails the validation of ${input}`,
        );
      }
    }
  }

  // Units must form a DAG, or `run --all` cannot order them.
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (unit: Unit, trail: string[]): void => {
    if (done.has(unit.name)) return;
    if (visiting.has(unit.name)) {
      problems.push(`dependency cycle: ${[...trail, unit.name].join(" -> ")}`);
      return;
    }
    visiting.add(unit.name);
    for (const dep of unit.dependencies.values()) {
      const target = resolveDependencyUnit(tree, unit, dep);
      if (target !== undefined) visit(target, [...trail, unit.name]);
    }
    visiting.delete(unit.name);
    done.add(unit.name);
  };
  for (const unit of tree.units.values()) visit(unit, []);

  const remote = bodies(tree.root.remote_state)[0];
  const config = asObj(remote?.config);
  if (str(remote?.backend) !== "s3") problems.push("root.hcl: remote_state backend must be s3");
  if (config.use_lockfile !== true)
    problems.push("root.hcl: remote_state must use the native S3 lockfile (use_lockfile = true)");
  if (config.encrypt !== true) problems.push("root.hcl: remote_state must encrypt the state");
  if ("dynamodb_table" in config)
    problems.push("root.hcl: DynamoDB locking is superseded by use_lockfile");
  const bucket = str(config.bucket) ?? "";
  if (!bucket.includes("account_id") || !bucket.includes("deployment")) {
    problems.push(
      "root.hcl: the state bucket name must derive from the account id and the deployment key",
    );
  }
  return problems;
}

/** Dependency order for apply (reverse it for destroy). */
export function applyOrder(tree: Tree): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (unit: Unit): void => {
    if (seen.has(unit.name)) return;
    seen.add(unit.name);
    for (const dep of unit.dependencies.values()) {
      const target = resolveDependencyUnit(tree, unit, dep);
      if (target !== undefined) visit(target);
    }
    order.push(unit.name);
  };
  for (const name of [...tree.units.keys()].sort()) {
    const unit = tree.units.get(name);
    if (unit !== undefined) visit(unit);
  }
  return order;
}
