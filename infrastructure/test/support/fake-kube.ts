// A stand-in for kubectl, helm and aws while a workflow step runs in a test (support/pipeline.ts
// puts stub executables on PATH that run this file). It records every call, with stdin when the
// command reads a manifest or a Secret's content from it, and keeps a small model of the objects
// the pipeline writes, including who owns each label and annotation:
//   - server-side apply (Kubernetes docs, "Server-Side Apply"): a manager's apply owns the fields it
//     sets; a field it set before and no longer applies is removed unless another manager owns it;
//     a different value owned by another manager is a conflict unless --force-conflicts;
//   - client-side apply stores the whole object in kubectl.kubernetes.io/last-applied-configuration;
//   - `helm upgrade --install --create-namespace` creates a missing namespace without labels.
// Usage: node fake-kube.ts kubectl|helm|aws ARGS...   (env FAKE_KUBE_DIR: where state is kept)
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments, stringify } from "yaml";
import type { Manifest as HelmManifest } from "../../../helm/test/support/helm.ts";

export interface Owned {
  value: string;
  managers: string[];
}

export interface FakeObject {
  kind: string;
  namespace: string;
  name: string;
  labels: Record<string, Owned>;
  annotations: Record<string, Owned>;
  data: Record<string, string>;
}

export interface FakeCall {
  command: string;
  args: string[];
  stdin?: string;
  /** For `helm upgrade`: the release namespace as it was when Helm was called. */
  namespaceAtCall?: FakeObject | null;
}

export interface FakeState {
  objects: FakeObject[];
  calls: FakeCall[];
}

export const lastApplied = "kubectl.kubernetes.io/last-applied-configuration";
const clusterScoped = new Set(["Namespace"]);
const kinds: Record<string, string> = {
  namespace: "Namespace",
  namespaces: "Namespace",
  ns: "Namespace",
  secret: "Secret",
  secrets: "Secret",
  configmap: "ConfigMap",
  configmaps: "ConfigMap",
  cm: "ConfigMap",
};

export function stateFile(dir: string): string {
  return path.join(dir, "fake-kube-state.json");
}

export function readState(dir: string): FakeState {
  const file = stateFile(dir);
  return existsSync(file)
    ? (JSON.parse(readFileSync(file, "utf8")) as FakeState)
    : { objects: [], calls: [] };
}

/** The value of `--name=v`, `--name v`, or for a short alias `-n v`. */
function flag(args: string[], long: string, short?: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a.startsWith(`${long}=`)) return a.slice(long.length + 1);
    if (a === long || (short !== undefined && a === short)) return args[i + 1];
  }
  return undefined;
}

/** Positional arguments, skipping flags and the values of the flags that take one. */
function positional(args: string[]): string[] {
  const withValue = new Set(["-n", "--namespace", "-f", "--filename", "-o", "--output", "-l"]);
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (withValue.has(a)) i++;
    else if (!a.startsWith("-")) out.push(a);
  }
  return out;
}

function find(state: FakeState, kind: string, namespace: string, name: string) {
  const ns = clusterScoped.has(kind) ? "" : namespace;
  return state.objects.find((o) => o.kind === kind && o.namespace === ns && o.name === name);
}

function upsert(state: FakeState, kind: string, namespace: string, name: string): FakeObject {
  const existing = find(state, kind, namespace, name);
  if (existing) return existing;
  const created: FakeObject = {
    kind,
    namespace: clusterScoped.has(kind) ? "" : namespace,
    name,
    labels: {},
    annotations: {},
    data: {},
  };
  state.objects.push(created);
  return created;
}

type Field = "labels" | "annotations";

/** An Update (create, label, annotate, client-side apply): the manager now owns what it set. */
function update(obj: FakeObject, field: Field, values: Record<string, string>, manager: string) {
  for (const [k, v] of Object.entries(values)) {
    const cur = obj[field][k];
    obj[field][k] =
      cur && cur.value === v
        ? { value: v, managers: [...new Set([...cur.managers, manager])] }
        : { value: v, managers: [manager] };
  }
}

/** A server-side apply of one object's labels or annotations; returns a conflict, if any. */
function serverSideApply(
  obj: FakeObject,
  field: Field,
  applied: Record<string, string>,
  manager: string,
  force: boolean,
): string | undefined {
  for (const [k, v] of Object.entries(applied)) {
    const cur = obj[field][k];
    if (cur && cur.value !== v && cur.managers.some((m) => m !== manager) && !force) {
      return `Apply failed with 1 conflict: conflict with "${cur.managers[0]}": .metadata.${field}.${k}`;
    }
  }
  for (const [k, cur] of Object.entries(obj[field])) {
    if (!cur.managers.includes(manager) || k in applied) continue;
    cur.managers = cur.managers.filter((m) => m !== manager);
    if (cur.managers.length === 0) delete obj[field][k];
  }
  for (const [k, v] of Object.entries(applied)) {
    const cur = obj[field][k];
    obj[field][k] =
      cur && cur.value === v && !force
        ? { value: v, managers: [...new Set([...cur.managers, manager])] }
        : { value: v, managers: [manager] };
  }
  return undefined;
}

/** What kubectl is handed: the chart's manifest shape, plus a Secret's `stringData`. */
type Manifest = HelmManifest & { stringData?: Record<string, string> };

function manifestsOf(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null && typeof m === "object" && "kind" in m);
}

function kubectl(state: FakeState, args: string[], stdin: () => string): number {
  const [verb, ...rest] = positional(args);
  const namespace = flag(args, "--namespace", "-n") ?? "default";
  const dryRun = flag(args, "--dry-run") !== undefined;
  switch (verb) {
    case "create": {
      const kind = kinds[rest[0] ?? ""];
      const name = rest[0] === "secret" ? rest[2] : rest[1];
      if (kind === undefined || name === undefined) return 0;
      const data: Record<string, string> = {};
      for (const a of args.filter((x) => x.startsWith("--from-file="))) {
        const [key, file] = a.slice("--from-file=".length).split("=") as [string, string];
        const content = file === "/dev/stdin" ? stdin() : readFileSync(file, "utf8");
        data[key] = Buffer.from(content).toString("base64");
      }
      const manifest = {
        apiVersion: "v1",
        kind,
        metadata: clusterScoped.has(kind) ? { name } : { name, namespace },
        ...(kind === "Secret" ? { data } : {}),
      };
      if (dryRun) {
        process.stdout.write(stringify(manifest));
        return 0;
      }
      if (find(state, kind, namespace, name)) {
        process.stderr.write(`Error from server (AlreadyExists): ${rest[0]} "${name}"\n`);
        return 1;
      }
      upsert(state, kind, namespace, name).data = data;
      return 0;
    }
    case "apply": {
      const file = flag(args, "--filename", "-f");
      const text = file === "-" ? stdin() : readFileSync(file ?? "", "utf8");
      const serverSide = args.includes("--server-side");
      const manager =
        flag(args, "--field-manager") ?? (serverSide ? "kubectl" : "kubectl-client-side-apply");
      for (const m of manifestsOf(text)) {
        const obj = upsert(state, m.kind, m.metadata.namespace ?? namespace, m.metadata.name);
        if (serverSide) {
          const force = args.includes("--force-conflicts");
          for (const field of ["labels", "annotations"] as const) {
            const conflict = serverSideApply(obj, field, m.metadata[field] ?? {}, manager, force);
            if (conflict) {
              process.stderr.write(`error: ${conflict}\n`);
              return 1;
            }
          }
        } else {
          update(obj, "labels", m.metadata.labels ?? {}, manager);
          update(
            obj,
            "annotations",
            { ...m.metadata.annotations, [lastApplied]: JSON.stringify(m) },
            manager,
          );
        }
        obj.data = { ...m.data };
        for (const [k, v] of Object.entries(m.stringData ?? {}))
          obj.data[k] = Buffer.from(v).toString("base64");
      }
      return 0;
    }
    case "get": {
      const kind = kinds[rest[0] ?? ""];
      const name = rest[1];
      if (kind === undefined || name === undefined) return 1;
      if (find(state, kind, namespace, name)) {
        process.stdout.write(`${name}\n`);
        return 0;
      }
      process.stderr.write(`Error from server (NotFound): ${rest[0]} "${name}" not found\n`);
      return 1;
    }
    case "label":
    case "annotate": {
      const kind = kinds[rest[0] ?? ""];
      const obj = kind && rest[1] ? find(state, kind, namespace, rest[1]) : undefined;
      if (!obj) return 1;
      const field: Field = verb === "label" ? "labels" : "annotations";
      const set: Record<string, string> = {};
      for (const kv of rest.slice(2)) {
        if (kv.endsWith("-")) delete obj[field][kv.slice(0, -1)];
        else {
          const eq = kv.indexOf("=");
          set[kv.slice(0, eq)] = kv.slice(eq + 1);
        }
      }
      update(obj, field, set, `kubectl-${verb}`);
      return 0;
    }
    default:
      return 0;
  }
}

function helm(state: FakeState, args: string[], call: FakeCall): number {
  if (args[0] !== "upgrade" && args[0] !== "install") return 0;
  const namespace = flag(args, "--namespace", "-n") ?? "default";
  const ns = find(state, "Namespace", "", namespace);
  call.namespaceAtCall = ns ? structuredClone(ns) : null;
  if (!ns && args.includes("--create-namespace")) upsert(state, "Namespace", "", namespace);
  else if (!ns) {
    process.stderr.write(`Error: create: failed to create: namespaces "${namespace}" not found\n`);
    return 1;
  }
  return 0;
}

/** Whether the command reads stdin: `-f -` or a `--from-file=key=/dev/stdin`. */
function readsStdin(args: string[]): boolean {
  return flag(args, "--filename", "-f") === "-" || args.some((a) => a.endsWith("=/dev/stdin"));
}

/**
 * Runs one call under a lock on the state: the commands of a shell pipeline run at once. Stdin is
 * read before the lock is taken, since the command feeding it may be waiting for the lock.
 */
function main(): number {
  const dir = process.env.FAKE_KUBE_DIR;
  const [command, ...args] = process.argv.slice(2);
  if (!dir || !command) throw new Error("usage: FAKE_KUBE_DIR=dir node fake-kube.ts COMMAND ARGS");
  const input = readsStdin(args) ? readFileSync(0, "utf8") : undefined;
  const lock = path.join(dir, "fake-kube.lock");
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
  try {
    const state = readState(dir);
    const call: FakeCall = { command, args, ...(input !== undefined ? { stdin: input } : {}) };
    state.calls.push(call);
    const stdin = () => input ?? "";
    const status =
      command === "kubectl"
        ? kubectl(state, args, stdin)
        : command === "helm"
          ? helm(state, args, call)
          : 0;
    writeFileSync(stateFile(dir), JSON.stringify(state, null, 2));
    return status;
  } finally {
    rmdirSync(lock);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = main();
