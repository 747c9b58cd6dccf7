import { describe, expect, test } from "vitest";
import type { Manifest } from "./support/helm.ts";
import { render } from "./support/helm.ts";
import { renderable, shippedValues } from "./support/values-files.ts";

/**
 * EKS Auto Mode provisions nodes with Karpenter, and the kube-scheduler then places pods on them.
 * A strict (DoNotSchedule) topology spread constraint must mean the same to both, or Karpenter
 * launches a node in a zone the scheduler then refuses and the pod stays Pending.
 *
 * Both evaluate a constraint the way the PodTopologySpread plugin defines it (Kubernetes docs,
 * "Pod Topology Spread Constraints"): count the pods matching labelSelector in each zone; a zone is
 * allowed when its count + 1 - the smallest count <= maxSkew. The scheduler additionally narrows
 * the count by matchLabelKeys (the incoming pod's values of those labels, e.g. its
 * pod-template-hash); Karpenter ignores matchLabelKeys (kubernetes-sigs/karpenter#1569, open) and
 * counts every matching pod. The model below checks, over every rollout state of up to two pods per
 * zone and ReplicaSet, that each zone Karpenter may pick for a new node is one the scheduler
 * accepts.
 */
type Zone = "a" | "b" | "c";
const zones: Zone[] = ["a", "b", "c"];

interface Constraint {
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: string;
  labelSelector: { matchLabels: Record<string, string> };
  matchLabelKeys?: string[];
  [field: string]: unknown;
}

interface PodState {
  zone: Zone;
  labels: Record<string, string>;
}

function allowedZones(
  constraint: Constraint,
  pods: PodState[],
  incoming: Record<string, string>,
  honourMatchLabelKeys: boolean,
): Set<Zone> {
  const selector = { ...constraint.labelSelector.matchLabels };
  if (honourMatchLabelKeys) {
    for (const k of constraint.matchLabelKeys ?? []) selector[k] = incoming[k] as string;
  }
  const counts = new Map<Zone, number>(zones.map((z) => [z, 0]));
  for (const pod of pods) {
    if (Object.entries(selector).every(([k, v]) => pod.labels[k] === v)) {
      counts.set(pod.zone, (counts.get(pod.zone) ?? 0) + 1);
    }
  }
  const min = Math.min(...counts.values());
  return new Set(zones.filter((z) => (counts.get(z) ?? 0) + 1 - min <= constraint.maxSkew));
}

/** Rollout states: 0..2 pods of the old and of the new ReplicaSet in each zone. */
function* rolloutStates(labels: Record<string, string>): Generator<PodState[]> {
  const per = [0, 1, 2];
  for (const oa of per)
    for (const ob of per)
      for (const oc of per)
        for (const na of per)
          for (const nb of per)
            for (const nc of per) {
              const pods: PodState[] = [];
              const add = (zone: Zone, n: number, hash: string) => {
                for (let i = 0; i < n; i++)
                  pods.push({ zone, labels: { ...labels, "pod-template-hash": hash } });
              };
              add("a", oa, "old");
              add("b", ob, "old");
              add("c", oc, "old");
              add("a", na, "new");
              add("b", nb, "new");
              add("c", nc, "new");
              yield pods;
            }
}

/** The zones where Karpenter would launch a node that the scheduler then refuses, if any. */
function disagreement(constraint: Constraint, podLabels: Record<string, string>) {
  const incoming = { ...podLabels, "pod-template-hash": "new" };
  for (const pods of rolloutStates(podLabels)) {
    const karpenter = allowedZones(constraint, pods, incoming, false);
    const scheduler = allowedZones(constraint, pods, incoming, true);
    const refused = [...karpenter].filter((z) => !scheduler.has(z));
    if (refused.length > 0) {
      const count = (hash: string) =>
        zones.map(
          (z) => pods.filter((p) => p.zone === z && p.labels["pod-template-hash"] === hash).length,
        );
      return { old: count("old"), new: count("new"), refused };
    }
  }
  return undefined;
}

/** Fields of a topology spread constraint that Karpenter's scheduler evaluates. */
const karpenterFields = new Set([
  "maxSkew",
  "topologyKey",
  "whenUnsatisfiable",
  "labelSelector",
  "minDomains",
  "nodeAffinityPolicy",
  "nodeTaintsPolicy",
]);

const deployments = (manifests: Manifest[]) => manifests.filter((m) => m.kind === "Deployment");

describe.each(renderable(shippedValues()).map((s) => [s.name, s] as const))(
  "%s",
  (_n, scenario) => {
    const manifests = render(scenario.options);

    test("every spread constraint uses only fields Karpenter evaluates", () => {
      for (const d of deployments(manifests)) {
        for (const c of d.spec.template.spec.topologySpreadConstraints ?? []) {
          const unknown = Object.keys(c).filter((k) => !karpenterFields.has(k));
          expect(unknown, `${d.metadata.name} ${c.topologyKey}`).toEqual([]);
        }
      }
    });

    test("Karpenter and the scheduler agree on the zones a new pod may go to during a rollout", () => {
      for (const d of deployments(manifests)) {
        const labels = d.spec.template.metadata.labels;
        for (const c of d.spec.template.spec.topologySpreadConstraints ?? []) {
          expect(disagreement(c, labels), `${d.metadata.name} ${c.topologyKey}`).toBeUndefined();
        }
      }
    });
  },
);

describe("the model", () => {
  const labels = { app: "x" };
  const base: Constraint = {
    maxSkew: 1,
    topologyKey: "topology.kubernetes.io/zone",
    whenUnsatisfiable: "DoNotSchedule",
    labelSelector: { matchLabels: labels },
  };

  test("finds the Pending-pod case of karpenter#1569 when matchLabelKeys is used", () => {
    const found = disagreement({ ...base, matchLabelKeys: ["pod-template-hash"] }, labels);
    expect(found).toBeDefined();
  });

  test("finds none when both count the same pods", () => {
    expect(disagreement(base, labels)).toBeUndefined();
  });

  test("a rollout counting old and new pods always leaves a zone to place the next pod", () => {
    for (const pods of rolloutStates(labels)) {
      expect(
        allowedZones(base, pods, { ...labels, "pod-template-hash": "new" }, true).size,
      ).toBeGreaterThan(0);
    }
  });
});
