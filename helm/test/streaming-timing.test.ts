// Long-lived streams (WatchGreetings as NDJSON or Server-Sent Events) cross three timers: the
// ALB's idle timeout, the gateway's heartbeat and keep-alive, and the shutdown sequence. This ties
// the chart's rendered settings to the gateway's own configuration parser, so a change on either
// side that breaks streams through the ALB fails here.
import { describe, expect, test } from "vitest";
import { loadConfig } from "../../gateway/src/config.ts";
import { find, type Manifest, type RenderOptions, render } from "./support/helm.ts";
import { mergedValues, renderable, shippedValues } from "./support/values-files.ts";

// What the ALB uses when the load balancer has no idle_timeout attribute (ELB docs, "Connection
// idle timeout": https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html).
const ALB_DEFAULT_IDLE_TIMEOUT_SECONDS = 60;

// Every values file the chart ships that renders (rollout-timing.test.ts checks the same set).
const scenarios: Record<string, RenderOptions> = Object.fromEntries(
  renderable(shippedValues()).map((s) => [s.name, s.options]),
);

/** The ALB's idle timeout as the Ingress configures it, or the AWS default. */
function albIdleTimeoutSeconds(manifests: Manifest[]): number {
  const ingress = manifests.find((m) => m.kind === "Ingress");
  const attributes =
    ingress?.metadata.annotations?.["alb.ingress.kubernetes.io/load-balancer-attributes"] ?? "";
  const match = /idle_timeout\.timeout_seconds=(\d+)/.exec(attributes);
  return match ? Number(match[1]) : ALB_DEFAULT_IDLE_TIMEOUT_SECONDS;
}

describe.each(Object.entries(scenarios))(
  "streams through the ALB (%s values)",
  (_name, options) => {
    const manifests = render(options);
    // The gateway reads exactly this ConfigMap as its environment.
    const gatewayEnv = find(manifests, "ConfigMap", "infinity-pool-gateway").data ?? {};
    const config = loadConfig(gatewayEnv);
    const idle = albIdleTimeoutSeconds(manifests);

    test("an idle Server-Sent Events stream sends at least two heartbeats per ALB idle period", () => {
      expect((config.sseHeartbeatMs / 1000) * 2).toBeLessThanOrEqual(idle);
    });

    test("the gateway keeps idle connections longer than the ALB, so the ALB closes them first", () => {
      expect(config.keepAliveTimeoutMs / 1000).toBeGreaterThan(idle);
    });

    test("a terminating gateway ends its streams with a final event before the ALB cuts them", () => {
      const pod = find(manifests, "Deployment", "infinity-pool-gateway").spec.template.spec;
      const sleep = pod.containers[0].lifecycle.preStop.sleep.seconds as number;
      const ingress = manifests.find((m) => m.kind === "Ingress");
      if (!ingress) return;
      const attributes =
        ingress.metadata.annotations?.["alb.ingress.kubernetes.io/target-group-attributes"] ?? "";
      const delay = Number(/deregistration_delay\.timeout_seconds=(\d+)/.exec(attributes)?.[1]);
      // The ALB stops routing to the pod R seconds into its termination and keeps its open
      // connections for the deregistration delay after that; SIGTERM comes after the preStop
      // sleep and the gateway then ends every stream at once. The final event reaches the client
      // (which reconnects to another pod) only if SIGTERM comes before the ALB cuts.
      const r = (mergedValues(options).ingress as { targetRegistrationSeconds: number })
        .targetRegistrationSeconds;
      expect(sleep).toBeLessThan(r + delay);
      // A stream outlives neither its maximum lifetime nor, then, any one pod by much.
      expect(config.streamMaxLifetimeMs).toBeGreaterThan(config.sseHeartbeatMs);
    });
  },
);
