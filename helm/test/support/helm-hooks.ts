import type { Manifest, PodSpec } from "./helm.ts";

/**
 * Helm 4's release lifecycle as far as hooks are concerned, written down so the chart's hooks can be
 * checked on every path a release takes, without a cluster. Each rule names where it lives in
 * helm/helm at v4.1.4 (the Helm that helm/scripts/fetch-helm.sh installs); they were read there.
 *
 * Hooks (pkg/release/v1/util/manifest_sorter.go, pkg/release/v1/hook.go):
 *  H1 A manifest is a hook when it carries `helm.sh/hook`: comma-separated events. Hooks are not
 *     part of the release manifest: install/upgrade never apply them, uninstall never deletes them.
 *     `helm.sh/hook-weight` is an integer (default 0); `helm.sh/hook-delete-policy` is a
 *     comma-separated subset of before-hook-creation, hook-succeeded, hook-failed.
 * Running the hooks of one event (pkg/action/hooks.go, execHookWithDelayedShutdown):
 *  H2 They run one at a time, ordered by weight, then by name.
 *  H3 A hook without a delete policy gets before-hook-creation (hookSetDeletePolicy).
 *  H4 Before a hook is created, an object of the same kind and name is deleted when the hook has
 *     before-hook-creation.
 *  H5 The hook is created (server-side apply by default: an existing object is updated in place),
 *     then watched: a Job until it completes or fails, a Pod until it succeeds, anything else is
 *     ready at once.
 *  H6 When hook i fails: hook i is deleted if it has hook-failed, and every earlier hook of the
 *     same event (0..i-1) that has hook-succeeded is deleted too, though it succeeded. The
 *     operation fails; later hooks do not run.
 *  H7 When all succeed, those with hook-succeeded are deleted, last to first.
 * Operations:
 *  O1 install (pkg/action/install.go): refuses ordinary objects that already exist without this
 *     release's ownership metadata (existingResourceConflict), records the release, runs
 *     pre-install hooks, applies the ordinary objects, waits for them, runs post-install hooks.
 *     Any failure marks the release failed; with --rollback-on-failure the failed release is
 *     uninstalled (history not kept).
 *  O2 `upgrade --install` (pkg/cmd/upgrade.go): installs when no release exists or the last one was
 *     uninstalled; otherwise it upgrades, also when the only revision failed.
 *  O3 upgrade (pkg/action/upgrade.go): the current release is the last deployed one, or the last
 *     one when it failed and none was deployed. Ordinary objects new to the manifest are checked for
 *     conflicts as in O1; pre-upgrade hooks run; ordinary objects are applied (created when absent),
 *     those dropped from the manifest deleted; post-upgrade hooks run. A failure marks the revision
 *     failed; with --rollback-on-failure Helm rolls back to the last deployed revision, if any.
 *  O4 uninstall (pkg/action/uninstall.go): deletes the ordinary objects of the last release's
 *     manifest; hooks stay.
 *  O5 `helm test` (pkg/action/release_testing.go) runs the `test` hooks of the deployed release.
 * The Kubernetes side: a pod is only created when its ServiceAccount exists (ServiceAccount
 * admission), and cannot start while a ConfigMap or Secret it needs (not marked optional) is absent.
 */

export type HookEvent =
  | "pre-install"
  | "post-install"
  | "pre-upgrade"
  | "post-upgrade"
  | "pre-delete"
  | "post-delete"
  | "pre-rollback"
  | "post-rollback"
  | "test";
export type DeletePolicy = "before-hook-creation" | "hook-succeeded" | "hook-failed";

export interface Hook {
  manifest: Manifest;
  events: HookEvent[];
  weight: number;
  deletePolicies: DeletePolicy[];
}

const key = (m: { kind: string; metadata: { name: string } }) => `${m.kind}/${m.metadata.name}`;
const list = (value: string | undefined) =>
  (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");

/** H1, H3: the hook view of a manifest, or undefined for an ordinary object. */
export function asHook(m: Manifest): Hook | undefined {
  const a = m.metadata.annotations ?? {};
  if (a["helm.sh/hook"] === undefined) return undefined;
  const weight = Number.parseInt(a["helm.sh/hook-weight"] ?? "0", 10);
  const policies = list(a["helm.sh/hook-delete-policy"]) as DeletePolicy[];
  return {
    manifest: m,
    events: list(a["helm.sh/hook"]) as HookEvent[],
    weight: Number.isNaN(weight) ? 0 : weight,
    deletePolicies: policies.length > 0 ? policies : ["before-hook-creation"],
  };
}

/** Why a pod could not start, in Kubernetes' words, or undefined when it could. */
export type PodCheck = (spec: PodSpec, labels: Record<string, string>) => string | undefined;

interface LiveObject {
  manifest: Manifest;
  /** meta.helm.sh/release-name as Helm sets it on ordinary objects (and the chart on hook copies). */
  owner: string | undefined;
}

export interface Revision {
  status: "deployed" | "failed" | "superseded" | "uninstalled";
  manifests: Manifest[];
}

export interface Outcome {
  ok: boolean;
  /** What failed, when not ok. */
  error?: string;
}

export interface OperationOptions {
  /** Hook Jobs that fail for a reason outside the chart (the database is down, say). */
  failingJobs?: Set<string>;
  /** The wait for ordinary workloads fails (an image that does not pull, say). */
  waitFails?: boolean;
  rollbackOnFailure?: boolean;
}

/**
 * One namespace and one release in it. Objects the chart expects to exist already (Secrets the
 * user creates) are passed as `external` and never touched.
 */
export class SimulatedRelease {
  readonly objects = new Map<string, LiveObject>();
  readonly revisions: Revision[] = [];
  /** Every pod that could not start because something it references was missing. */
  readonly dependencyFailures: string[] = [];
  readonly log: string[] = [];

  readonly releaseName: string;
  private readonly external: Set<string>;

  constructor(releaseName: string, external: Set<string> = new Set()) {
    this.releaseName = releaseName;
    this.external = external;
  }

  has(k: string): boolean {
    return this.objects.has(k) || this.external.has(k);
  }

  /** O2. */
  upgradeInstall(
    install: Manifest[],
    upgrade: Manifest[],
    options: OperationOptions = {},
  ): Outcome {
    const last = this.revisions.at(-1);
    if (!last || last.status === "uninstalled") return this.install(install, options);
    return this.upgrade(upgrade, options);
  }

  /** O1. */
  install(manifests: Manifest[], options: OperationOptions = {}): Outcome {
    const ordinary = manifests.filter((m) => !asHook(m));
    for (const m of ordinary) {
      const live = this.objects.get(key(m));
      if (live && live.owner !== this.releaseName) {
        return { ok: false, error: `${key(m)} exists and is not owned by the release` };
      }
    }
    const revision: Revision = { status: "failed", manifests };
    this.revisions.push(revision);
    const outcome = this.release(manifests, "pre-install", "post-install", options);
    if (outcome.ok) {
      revision.status = "deployed";
    } else if (options.rollbackOnFailure) {
      this.uninstall();
      this.revisions.length = 0;
    }
    return outcome;
  }

  /** O3. */
  upgrade(manifests: Manifest[], options: OperationOptions = {}): Outcome {
    const deployed = this.revisions.findLast((r) => r.status === "deployed");
    const current = deployed ?? this.revisions.at(-1);
    if (!current) throw new Error("upgrade without a release");
    const currentKeys = new Set(current.manifests.filter((m) => !asHook(m)).map(key));
    const ordinary = manifests.filter((m) => !asHook(m));
    for (const m of ordinary) {
      if (currentKeys.has(key(m))) continue;
      const live = this.objects.get(key(m));
      if (live && live.owner !== this.releaseName) {
        return { ok: false, error: `${key(m)} exists and is not owned by the release` };
      }
    }
    const revision: Revision = { status: "failed", manifests };
    this.revisions.push(revision);
    const outcome = this.release(manifests, "pre-upgrade", "post-upgrade", options, current);
    if (outcome.ok) {
      for (const r of this.revisions)
        if (r !== revision && r.status === "deployed") r.status = "superseded";
      revision.status = "deployed";
    } else if (options.rollbackOnFailure) {
      if (!deployed)
        return { ok: false, error: `${outcome.error}; no deployed revision to roll back to` };
      this.applyOrdinary(deployed.manifests, revision.manifests);
      this.revisions.push({ status: "deployed", manifests: deployed.manifests });
      deployed.status = "superseded";
    }
    return outcome;
  }

  /** O4. */
  uninstall(): void {
    const last = this.revisions.at(-1);
    if (!last) return;
    for (const m of last.manifests.filter((m) => !asHook(m))) this.objects.delete(key(m));
    last.status = "uninstalled";
  }

  /** O5. */
  test(): Outcome {
    const deployed = this.revisions.findLast((r) => r.status === "deployed");
    if (!deployed) return { ok: false, error: "no deployed release" };
    return this.runHooks(deployed.manifests, "test", new Set());
  }

  private release(
    manifests: Manifest[],
    pre: HookEvent,
    post: HookEvent,
    options: OperationOptions,
    current?: Revision,
  ): Outcome {
    const failing = options.failingJobs ?? new Set<string>();
    const before = this.runHooks(manifests, pre, failing);
    if (!before.ok) return before;
    this.applyOrdinary(manifests, current?.manifests ?? []);
    for (const m of manifests.filter((m) => !asHook(m))) {
      const problem = this.podProblem(m);
      if (problem) {
        this.dependencyFailures.push(`${pre}: ${key(m)}: ${problem}`);
        return { ok: false, error: `${key(m)}: ${problem}` };
      }
    }
    if (options.waitFails) return { ok: false, error: "workloads did not become ready" };
    return this.runHooks(manifests, post, failing);
  }

  /** Server-side apply of the ordinary objects; those only in `previous` are deleted. */
  private applyOrdinary(manifests: Manifest[], previous: Manifest[]): void {
    const target = manifests.filter((m) => !asHook(m));
    const targetKeys = new Set(target.map(key));
    for (const m of previous.filter((m) => !asHook(m))) {
      if (!targetKeys.has(key(m))) this.objects.delete(key(m));
    }
    for (const m of target) this.objects.set(key(m), { manifest: m, owner: this.releaseName });
  }

  /** H2-H7. */
  private runHooks(manifests: Manifest[], event: HookEvent, failing: Set<string>): Outcome {
    const hooks = manifests
      .map(asHook)
      .filter((h): h is Hook => h?.events.includes(event) === true)
      .sort(
        (a, b) =>
          a.weight - b.weight || (a.manifest.metadata.name < b.manifest.metadata.name ? -1 : 1),
      );
    for (const [i, hook] of hooks.entries()) {
      const k = key(hook.manifest);
      if (hook.deletePolicies.includes("before-hook-creation")) this.objects.delete(k);
      const owner = hook.manifest.metadata.annotations?.["meta.helm.sh/release-name"];
      this.objects.set(k, { manifest: hook.manifest, owner: owner ?? this.objects.get(k)?.owner });
      this.log.push(`${event}: create ${k}`);
      let failure: string | undefined;
      const problem = this.podProblem(hook.manifest);
      if (problem) {
        failure = problem;
        this.dependencyFailures.push(`${event}: ${k}: ${problem}`);
      } else if (failing.has(k) && isPodBearing(hook.manifest)) {
        failure = "failed (injected)";
      }
      if (failure) {
        if (hook.deletePolicies.includes("hook-failed")) this.objects.delete(k);
        for (const earlier of hooks.slice(0, i)) {
          if (earlier.deletePolicies.includes("hook-succeeded")) {
            this.objects.delete(key(earlier.manifest));
            this.log.push(
              `${event}: delete ${key(earlier.manifest)} (hook-succeeded, after a failure)`,
            );
          }
        }
        return { ok: false, error: `${event} hook ${k}: ${failure}` };
      }
    }
    for (const hook of [...hooks].reverse()) {
      if (hook.deletePolicies.includes("hook-succeeded")) this.objects.delete(key(hook.manifest));
    }
    return { ok: true };
  }

  /** What a workload's pods would need that is absent, or undefined. */
  podProblem(m: Manifest): string | undefined {
    if (!isPodBearing(m)) return undefined;
    const template = m.kind === "Pod" ? m : m.spec.template;
    const spec: PodSpec = template.spec;
    const missing: string[] = [];
    const sa = spec.serviceAccountName ?? "default";
    if (sa !== "default" && !this.has(`ServiceAccount/${sa}`)) {
      missing.push(`serviceaccount "${sa}" not found`);
    }
    for (const ref of referencedObjects(spec)) {
      if (!ref.optional && !this.has(`${ref.kind}/${ref.name}`)) {
        missing.push(`${ref.kind.toLowerCase()} "${ref.name}" not found`);
      }
    }
    // Services the pods call by their cluster DNS name (the helm test Jobs do).
    for (const c of spec.containers ?? []) {
      for (const env of c.env ?? []) {
        const service = /^[a-z]+:\/\/\/?([a-z0-9-]+)\.[a-z0-9-]+\.svc\b/.exec(env.value ?? "")?.[1];
        if (service && !this.has(`Service/${service}`))
          missing.push(`service "${service}" not found`);
      }
    }
    // A chart that ships a NetworkPolicy for these pods means them to run under it.
    const labels: Record<string, string> = template.metadata?.labels ?? {};
    for (const policy of this.chartPolicies) {
      const selector: Record<string, string> = policy.spec.podSelector?.matchLabels ?? {};
      const selects = Object.entries(selector).every(([k, v]) => labels[k] === v);
      if (selects && !this.has(key(policy)))
        missing.push(`networkpolicy "${policy.metadata.name}" absent`);
    }
    return missing.length > 0 ? missing.join("; ") : undefined;
  }

  /** Every NetworkPolicy the chart renders, hooks included; set by the caller. */
  chartPolicies: Manifest[] = [];
}

export function isPodBearing(m: Manifest): boolean {
  return m.kind === "Pod" || m.kind === "Job" || m.kind === "Deployment";
}

/** ConfigMaps and Secrets a pod spec needs: env, envFrom, volumes (projected included). */
export function referencedObjects(
  spec: PodSpec,
): { kind: "ConfigMap" | "Secret"; name: string; optional: boolean }[] {
  const refs: { kind: "ConfigMap" | "Secret"; name: string; optional: boolean }[] = [];
  const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  for (const c of containers) {
    for (const from of c.envFrom ?? []) {
      if (from.configMapRef)
        refs.push({
          kind: "ConfigMap",
          name: from.configMapRef.name,
          optional: from.configMapRef.optional === true,
        });
      if (from.secretRef)
        refs.push({
          kind: "Secret",
          name: from.secretRef.name,
          optional: from.secretRef.optional === true,
        });
    }
    for (const env of c.env ?? []) {
      const cm = env.valueFrom?.configMapKeyRef;
      const secret = env.valueFrom?.secretKeyRef;
      if (cm) refs.push({ kind: "ConfigMap", name: cm.name, optional: cm.optional === true });
      if (secret)
        refs.push({ kind: "Secret", name: secret.name, optional: secret.optional === true });
    }
  }
  for (const volume of spec.volumes ?? []) {
    if (volume.configMap)
      refs.push({
        kind: "ConfigMap",
        name: volume.configMap.name,
        optional: volume.configMap.optional === true,
      });
    if (volume.secret)
      refs.push({
        kind: "Secret",
        name: volume.secret.secretName,
        optional: volume.secret.optional === true,
      });
    for (const source of volume.projected?.sources ?? []) {
      if (source.configMap)
        refs.push({
          kind: "ConfigMap",
          name: source.configMap.name,
          optional: source.configMap.optional === true,
        });
      if (source.secret)
        refs.push({
          kind: "Secret",
          name: source.secret.name,
          optional: source.secret.optional === true,
        });
    }
  }
  return refs;
}
