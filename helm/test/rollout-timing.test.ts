import { describe, expect, test } from "vitest";
import { find, type Manifest, type RenderOptions, render, templateRaw } from "./support/helm.ts";
import { mergedValues, renderable, shippedValues } from "./support/values-files.ts";

/**
 * Zero-5xx rollouts behind the ALB, as inequalities between what the chart renders and what the
 * ALB does (Elastic Load Balancing user guide, "Target groups for your Application Load
 * Balancers": health checks, deregistration delay; AWS Load Balancer Controller docs, "Pod
 * readiness gate", which EKS Auto Mode's managed controller does not inject):
 *
 * - a new target is "initial" until the controller registered it (R, ingress.targetRegistrationSeconds)
 *   and healthyThreshold consecutive checks intervalSeconds apart passed, so the pod may count as
 *   available only after R + healthyThreshold x interval (minReadySeconds), and the Deployment must
 *   never go below its replica count meanwhile (maxUnavailable 0);
 * - a terminating pod must still accept new requests until the ALB stopped sending them
 *   (preStop >= R), and keep answering for as long as the ALB holds in-flight requests on it
 *   (preStop + drain >= R + deregistration delay);
 * - kubelet must not kill it before it drained (grace >= preStop + drain, plus time to exit);
 * - the health check itself must be valid (timeout < interval).
 */
interface Timing {
  minReadySeconds: number;
  maxUnavailable: unknown;
  preStop: number;
  drain: number;
  grace: number;
}

function timing(manifests: Manifest[], name: string): Timing {
  const deployment = find(manifests, "Deployment", name);
  const pod = deployment.spec.template.spec;
  const config = find(manifests, "ConfigMap", name).data ?? {};
  return {
    minReadySeconds: deployment.spec.minReadySeconds ?? 0,
    maxUnavailable: deployment.spec.strategy.rollingUpdate.maxUnavailable,
    preStop: pod.containers[0].lifecycle.preStop.sleep.seconds,
    drain: Number(config.SHUTDOWN_TIMEOUT_MS) / 1000,
    grace: pod.terminationGracePeriodSeconds,
  };
}

function alb(manifests: Manifest[]) {
  const ingress = find(manifests, "Ingress", "infinity-pool-gateway");
  const a = ingress.metadata.annotations ?? {};
  const attributes = Object.fromEntries(
    (a["alb.ingress.kubernetes.io/target-group-attributes"] ?? "")
      .split(",")
      .filter((s) => s !== "")
      .map((kv) => kv.split("=") as [string, string]),
  );
  return {
    interval: Number(a["alb.ingress.kubernetes.io/healthcheck-interval-seconds"]),
    timeout: Number(a["alb.ingress.kubernetes.io/healthcheck-timeout-seconds"]),
    healthyThreshold: Number(a["alb.ingress.kubernetes.io/healthy-threshold-count"]),
    deregistrationDelay: Number(attributes["deregistration_delay.timeout_seconds"]),
  };
}

/** The registration time the values ask for: an input of the chart, not something it renders. */
function registrationSeconds(options: RenderOptions): number {
  const ingress = mergedValues(options).ingress as { targetRegistrationSeconds: number };
  return ingress.targetRegistrationSeconds;
}

const scenarios = renderable(shippedValues());

describe.each(scenarios.map((s) => [s.name, s] as const))("%s", (_name, scenario) => {
  const manifests = render(scenario.options);
  const ingress = manifests.find((m) => m.kind === "Ingress");

  test("a new gateway pod counts as available only once the ALB can mark it healthy", () => {
    if (!ingress) return;
    const t = timing(manifests, "infinity-pool-gateway");
    const a = alb(manifests);
    const r = registrationSeconds(scenario.options);
    expect(r).toBeGreaterThanOrEqual(0);
    expect(t.minReadySeconds).toBeGreaterThanOrEqual(r + a.healthyThreshold * a.interval);
    expect(t.maxUnavailable).toBe(0);
  });

  test("a terminating gateway pod answers for as long as the ALB may send it requests", () => {
    if (!ingress) return;
    const t = timing(manifests, "infinity-pool-gateway");
    const a = alb(manifests);
    const r = registrationSeconds(scenario.options);
    expect(t.preStop).toBeGreaterThanOrEqual(r);
    expect(t.preStop + t.drain).toBeGreaterThanOrEqual(r + a.deregistrationDelay);
    expect(a.deregistrationDelay).toBeGreaterThanOrEqual(0);
    expect(a.timeout).toBeLessThan(a.interval);
  });

  test("every pod drains before kubelet's SIGKILL", () => {
    for (const name of ["infinity-pool-gateway", "infinity-pool-backend"]) {
      const t = timing(manifests, name);
      expect(t.preStop).toBeGreaterThan(0);
      expect(t.drain).toBeGreaterThan(0);
      expect(t.grace, name).toBeGreaterThanOrEqual(t.preStop + t.drain + 5);
      expect(t.maxUnavailable).toBe(0);
    }
  });
});

test("every values file renders an Ingress, so the ALB inequalities were checked somewhere", () => {
  expect(scenarios.length).toBeGreaterThanOrEqual(4);
  expect(scenarios.every((s) => render(s.options).some((m) => m.kind === "Ingress"))).toBe(true);
});

describe("the timing follows the ALB settings", () => {
  const base = { valuesFiles: ["ci/minimal-values.yaml"] };

  test("a slower health check holds new pods back longer", () => {
    const manifests = render({
      ...base,
      set: {
        "ingress.healthCheck.intervalSeconds": "30",
        "ingress.healthCheck.healthyThreshold": "5",
        "ingress.targetRegistrationSeconds": "15",
        "gateway.shutdown.preStopSleepSeconds": "15",
      },
    });
    expect(timing(manifests, "infinity-pool-gateway").minReadySeconds).toBe(15 + 5 * 30);
  });

  test("longer shutdown settings raise the grace period and the deregistration delay with them", () => {
    const manifests = render({
      ...base,
      set: { "gateway.shutdown.preStopSleepSeconds": "40", "gateway.shutdown.drainSeconds": "20" },
    });
    const t = timing(manifests, "infinity-pool-gateway");
    expect(t.preStop).toBe(40);
    expect(t.grace).toBe(65);
    expect(t.drain).toBe(20);
    expect(alb(manifests).deregistrationDelay).toBe(40 + 20 - 10);
  });

  test("without the Ingress no ALB delay is added to gateway rollouts", () => {
    const manifests = render({ ...base, set: { "ingress.enabled": "false" } });
    expect(
      find(manifests, "Deployment", "infinity-pool-gateway").spec.minReadySeconds,
    ).toBeUndefined();
  });

  test("a preStop shorter than the controller's deregistration time is refused", () => {
    const result = templateRaw({
      ...base,
      set: {
        "gateway.shutdown.preStopSleepSeconds": "5",
        "ingress.targetRegistrationSeconds": "10",
      },
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(
      "gateway.shutdown.preStopSleepSeconds (5) must be at least ingress.targetRegistrationSeconds (10)",
    );
  });
});
