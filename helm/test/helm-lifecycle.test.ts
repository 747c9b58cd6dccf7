import { describe, expect, test } from "vitest";
import { type Manifest, type RenderOptions, render } from "./support/helm.ts";
import {
  asHook,
  isPodBearing,
  type OperationOptions,
  referencedObjects,
  SimulatedRelease,
} from "./support/helm-hooks.ts";
import {
  mergedValues,
  readmeHelmCommands,
  renderable,
  shippedValues,
} from "./support/values-files.ts";

/**
 * Every path a release takes, replayed with Helm 4's hook rules (support/helm-hooks.ts) over the
 * manifests the chart renders for install (`helm template`) and for upgrade (`--is-upgrade`):
 * whatever a hook or workload references must exist whenever its pods are created.
 */
const key = (m: Manifest) => `${m.kind}/${m.metadata.name}`;

interface Rendered {
  install: Manifest[];
  upgrade: Manifest[];
  external: Set<string>;
}

function renderBoth(options: RenderOptions): Rendered {
  const install = render(options);
  const upgrade = render({ ...options, isUpgrade: true });
  // Secrets the chart references but does not render are the user's (write tokens, database URL).
  const rendered = new Set([...install, ...upgrade].map(key));
  const external = new Set<string>();
  for (const m of [...install, ...upgrade].filter(isPodBearing)) {
    const spec = m.kind === "Pod" ? m.spec : m.spec.template.spec;
    for (const ref of referencedObjects(spec)) {
      const k = `${ref.kind}/${ref.name}`;
      if (ref.kind === "Secret" && !rendered.has(k)) external.add(k);
    }
  }
  return { install, upgrade, external };
}

function newRelease(r: Rendered): SimulatedRelease {
  const release = new SimulatedRelease("infinity-pool", r.external);
  release.chartPolicies = [...r.install, ...r.upgrade].filter((m) => m.kind === "NetworkPolicy");
  return release;
}

/** Every Job that runs before the release's objects are applied: each may fail on its own. */
const preJobs = (manifests: Manifest[]) =>
  manifests.filter(
    (m) =>
      isPodBearing(m) &&
      asHook(m)?.events.some((e) => e === "pre-install" || e === "pre-upgrade") === true,
  );

type Step =
  | { op: "upgrade --install"; fail?: "job" | "wait"; rollbackOnFailure?: boolean }
  | { op: "uninstall" }
  | { op: "test" };

const paths: Record<string, Step[]> = {
  "install, test, upgrade, test": [
    { op: "upgrade --install" },
    { op: "test" },
    { op: "upgrade --install" },
    { op: "test" },
  ],
  "a hook fails on install, then upgrade --install (upgrades the failed release)": [
    { op: "upgrade --install", fail: "job" },
    { op: "upgrade --install" },
    { op: "test" },
  ],
  "a hook fails on install twice, then succeeds": [
    { op: "upgrade --install", fail: "job" },
    { op: "upgrade --install", fail: "job" },
    { op: "upgrade --install" },
    { op: "test" },
  ],
  "a hook fails on install with --rollback-on-failure, then upgrade --install": [
    { op: "upgrade --install", fail: "job", rollbackOnFailure: true },
    { op: "upgrade --install", rollbackOnFailure: true },
    { op: "test" },
  ],
  "the workloads never get ready on install, then upgrade --install": [
    { op: "upgrade --install", fail: "wait" },
    { op: "upgrade --install" },
    { op: "test" },
  ],
  "a hook fails on upgrade, with and without --rollback-on-failure, then upgrade": [
    { op: "upgrade --install" },
    { op: "upgrade --install", fail: "job" },
    { op: "upgrade --install", fail: "job", rollbackOnFailure: true },
    { op: "test" },
    { op: "upgrade --install" },
    { op: "test" },
  ],
  "uninstall, then install again": [
    { op: "upgrade --install" },
    { op: "uninstall" },
    { op: "upgrade --install" },
    { op: "test" },
  ],
};

const scenarios = renderable(shippedValues());
const variants: [string, RenderOptions][] = [
  ...scenarios.map((s) => [s.name, s.options] as [string, RenderOptions]),
  [
    "migration disabled",
    { valuesFiles: ["ci/minimal-values.yaml"], set: { "migration.enabled": "false" } },
  ],
];

describe.each(variants)("%s", (_name, options) => {
  const rendered = renderBoth(options);

  test.each(Object.entries(paths))("%s", (_path, steps) => {
    // Each pre-phase Job is the failing one in turn (the migration Job, today the only one).
    const failures = preJobs([...rendered.install, ...rendered.upgrade]).map(key);
    for (const failing of failures.length > 0 ? [...new Set(failures)] : [undefined]) {
      const release = newRelease(rendered);
      for (const [i, step] of steps.entries()) {
        const at = `step ${i + 1} (${step.op})`;
        if (step.op === "uninstall") {
          release.uninstall();
          continue;
        }
        if (step.op === "test") {
          expect(release.test(), at).toEqual({ ok: true });
          continue;
        }
        const opts: OperationOptions = { rollbackOnFailure: step.rollbackOnFailure === true };
        if (step.fail === "job") opts.failingJobs = new Set(failing ? [failing] : []);
        if (step.fail === "wait") opts.waitFails = true;
        const outcome = release.upgradeInstall(rendered.install, rendered.upgrade, opts);
        expect(release.dependencyFailures, `${at}, failing ${failing}`).toEqual([]);
        if (!step.fail || (step.fail === "job" && !failing))
          expect(outcome, at).toEqual({ ok: true });
        else expect(outcome.ok, at).toBe(false);
      }
      // What the release left running has everything it needs.
      const deployed = release.revisions.findLast((r) => r.status === "deployed");
      for (const m of deployed?.manifests.filter((m) => !asHook(m)) ?? []) {
        expect(release.objects.has(key(m)), key(m)).toBe(true);
        expect(release.podProblem(m), key(m)).toBeUndefined();
      }
    }
  });

  test("each hook's references are earlier hooks of the same phase, or survive a failed phase", () => {
    // The rule, checked statically for the pre-install and pre-upgrade Jobs.
    for (const [manifests, event] of [
      [rendered.install, "pre-install"],
      [rendered.upgrade, "pre-upgrade"],
    ] as const) {
      for (const job of preJobs(manifests).filter((m) => asHook(m)?.events.includes(event))) {
        const weight = asHook(job)?.weight ?? 0;
        const spec = job.spec.template.spec;
        const needs = [
          `ServiceAccount/${spec.serviceAccountName}`,
          ...referencedObjects(spec)
            .filter((r) => !r.optional)
            .map((r) => `${r.kind}/${r.name}`),
        ].filter((k) => !rendered.external.has(k));
        for (const need of needs) {
          const asEarlierHook = manifests.some(
            (m) =>
              key(m) === need &&
              asHook(m)?.events.includes(event) === true &&
              (asHook(m)?.weight ?? 0) < weight,
          );
          // Not a hook of this phase: then it must be something no failed phase deletes.
          const hookCopies = [...rendered.install, ...rendered.upgrade].filter(
            (m) => key(m) === need && asHook(m),
          );
          const survivesFailure = hookCopies.every(
            (m) => !asHook(m)?.deletePolicies.includes("hook-succeeded"),
          );
          expect(asEarlierHook || survivesFailure, `${event} ${key(job)} needs ${need}`).toBe(true);
        }
      }
    }
  });
});

describe("the written-down rules (pkg/action/hooks.go, v4.1.4)", () => {
  const hook = (
    kind: string,
    name: string,
    events: string,
    weight: number,
    policy?: string,
  ): Manifest => ({
    apiVersion: "v1",
    kind,
    metadata: {
      name,
      annotations: {
        "helm.sh/hook": events,
        "helm.sh/hook-weight": String(weight),
        ...(policy ? { "helm.sh/hook-delete-policy": policy } : {}),
      },
    },
    spec: kind === "Job" ? { template: { spec: { serviceAccountName: "sa" } } } : {},
  });

  test("H6: a failing hook deletes the earlier hook-succeeded hooks of its phase, and only those", () => {
    const release = new SimulatedRelease("r");
    const manifests = [
      hook("ServiceAccount", "sa", "pre-install", -20, "before-hook-creation,hook-succeeded"),
      hook("ConfigMap", "kept", "pre-install", -10, "before-hook-creation"),
      hook("Job", "job", "pre-install", 0),
    ];
    const outcome = release.install(manifests, { failingJobs: new Set(["Job/job"]) });
    expect(outcome.ok).toBe(false);
    expect([...release.objects.keys()].sort()).toEqual(["ConfigMap/kept", "Job/job"]);
  });

  test("H2, H7: hooks run by weight, and hook-succeeded ones go once the phase succeeded", () => {
    const release = new SimulatedRelease("r");
    const manifests = [
      hook("Job", "job", "pre-install", 0, "hook-succeeded"),
      hook("ServiceAccount", "sa", "pre-install", -20),
    ];
    expect(release.install(manifests)).toEqual({ ok: true });
    expect(release.log).toEqual([
      "pre-install: create ServiceAccount/sa",
      "pre-install: create Job/job",
    ]);
    expect([...release.objects.keys()]).toEqual(["ServiceAccount/sa"]);
  });

  test("O2: upgrade --install upgrades a failed first release and runs only pre-upgrade hooks", () => {
    const release = new SimulatedRelease("r");
    const manifests = [
      hook("ServiceAccount", "sa", "pre-install", -20, "before-hook-creation,hook-succeeded"),
      hook("Job", "job", "pre-install,pre-upgrade", 0),
    ];
    release.upgradeInstall(manifests, manifests, { failingJobs: new Set(["Job/job"]) });
    const outcome = release.upgradeInstall(manifests, manifests);
    // The chart this repository shipped before: the ServiceAccount was gone, the Job could not run.
    expect(outcome.ok).toBe(false);
    expect(release.dependencyFailures).toEqual([
      'pre-upgrade: Job/job: serviceaccount "sa" not found',
    ]);
  });
});

/** A Go duration as Helm's --timeout takes it (e.g. 15m, 900s, 1h30m), in seconds. */
function seconds(duration: string): number {
  const parts = [...duration.matchAll(/(\d+)(h|m|s)/g)];
  if (parts.map((p) => p[0]).join("") !== duration) throw new Error(`not a duration: ${duration}`);
  const unit = { h: 3600, m: 60, s: 1 } as const;
  return parts.reduce((sum, p) => sum + Number(p[1]) * unit[p[2] as keyof typeof unit], 0);
}

describe("the README's install commands", () => {
  const commands = readmeHelmCommands();

  test("exist", () => {
    expect(commands.length).toBeGreaterThan(0);
  });

  test.each(commands.map((c, i) => [i + 1, c] as const))(
    "command %i waits longer than the migration Job may run, and rolls back a failure",
    (_i, command) => {
      // Helm's own default is 5m: shorter than the Job's deadline, so Helm would give up on a slow
      // migration before the Job could say why it failed.
      const timeout = command.flags.get("--timeout")?.at(-1);
      expect(timeout, "--timeout").toBeDefined();
      const migration = mergedValues(command.options).migration as {
        enabled: boolean;
        activeDeadlineSeconds: number;
      };
      expect(seconds(timeout ?? "")).toBeGreaterThan(migration.activeDeadlineSeconds);
      // A failed first install is uninstalled, a failed upgrade rolled back (Helm 4's --atomic).
      expect(command.flags.has("--rollback-on-failure")).toBe(true);
      expect(command.flags.has("--wait-for-jobs")).toBe(true);
    },
  );

  test("the duration reader", () => {
    expect(seconds("15m")).toBe(900);
    expect(seconds("1h30m10s")).toBe(5410);
    expect(() => seconds("15 minutes")).toThrow();
  });
});
