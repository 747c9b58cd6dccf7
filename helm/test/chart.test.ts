import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import {
  chartDir,
  find,
  helm,
  isHook,
  lint,
  type Manifest,
  namespace,
  podSpecs,
  type RenderOptions,
  render,
  renderNotes,
} from "./support/helm.ts";
import { fieldErrors, schemaErrors } from "./support/kube-validate.ts";
import { restrictedViolations } from "./support/pod-security.ts";
import { mergedValues, renderable, shippedValues } from "./support/values-files.ts";

// Every values file the chart ships or documents that is meant to render (the defaults are not:
// values-contract.test.ts checks their one-line refusal).
const scenarios: Record<string, RenderOptions> = Object.fromEntries(
  renderable(shippedValues()).map((s) => [s.name, s.options]),
);
const minimal: RenderOptions = { valuesFiles: ["ci/minimal-values.yaml"] };

const standardLabels = [
  "app.kubernetes.io/name",
  "app.kubernetes.io/instance",
  "app.kubernetes.io/version",
  "app.kubernetes.io/component",
  "app.kubernetes.io/part-of",
  "app.kubernetes.io/managed-by",
  "helm.sh/chart",
];

const rendered: Record<string, Manifest[]> = {};

beforeAll(() => {
  for (const [name, options] of Object.entries(scenarios)) rendered[name] = render(options);
});

test("the Helm binary in use is Helm 4", () => {
  expect(helm().version).toMatch(/^v4\.\d+\.\d+/);
});

describe.each(Object.keys(scenarios))("%s values", (scenario) => {
  const manifests = () => rendered[scenario] ?? [];
  const options = scenarios[scenario] ?? {};

  test("pass helm lint --strict", () => {
    const result = lint(options);
    expect(result.stderr + result.stdout).toContain("0 chart(s) failed");
    expect(result.status).toBe(0);
  });

  test("render only objects valid against the Kubernetes OpenAPI schemas", async () => {
    expect(manifests().length).toBeGreaterThan(10);
    expect(await schemaErrors(manifests())).toEqual([]);
  });

  test("render no unknown or mistyped fields at any depth", () => {
    expect(fieldErrors(manifests())).toEqual([]);
  });

  test("every pod, hooks and helm tests included, meets the restricted Pod Security profile", () => {
    const pods = podSpecs(manifests());
    const owners = pods.map((p) => p.owner);
    expect(owners).toEqual(
      expect.arrayContaining([
        "Deployment/infinity-pool-gateway",
        "Deployment/infinity-pool-backend",
        "Job/infinity-pool-migrate",
        "Job/infinity-pool-test-gateway-http",
        "Job/infinity-pool-test-backend-grpc",
      ]),
    );
    for (const pod of pods)
      expect({ [pod.owner]: restrictedViolations(pod.spec) }).toEqual({ [pod.owner]: [] });
  });

  test("no container repeats an environment variable or a port", () => {
    const configMaps = new Map(
      manifests()
        .filter((m) => m.kind === "ConfigMap")
        .map((m) => [m.metadata.name, Object.keys(m.data ?? {})]),
    );
    for (const pod of podSpecs(manifests())) {
      for (const c of pod.spec.containers) {
        const names: string[] = (c.env ?? []).map((e: { name: string }) => e.name);
        for (const from of c.envFrom ?? []) {
          const keys = configMaps.get(from.configMapRef?.name);
          expect(keys, `${pod.owner} envFrom ${from.configMapRef?.name}`).toBeDefined();
          names.push(...(keys ?? []));
        }
        expect(names.length, `${pod.owner} env ${names}`).toBe(new Set(names).size);
        const ports = (c.ports ?? []).map((p: { containerPort: number }) => p.containerPort);
        const portNames = (c.ports ?? []).map((p: { name: string }) => p.name);
        expect(ports.length).toBe(new Set(ports).size);
        expect(portNames.length).toBe(new Set(portNames).size);
      }
    }
    for (const svc of manifests().filter((m) => m.kind === "Service")) {
      const ports = svc.spec.ports.map((p: { port: number }) => p.port);
      expect(ports.length).toBe(new Set(ports).size);
    }
  });

  test("every object carries the standard labels and selectors use name, instance and component", () => {
    for (const m of manifests()) {
      for (const key of standardLabels) {
        expect(m.metadata.labels?.[key], `${m.kind}/${m.metadata.name} ${key}`).toBeTruthy();
      }
      expect(m.metadata.labels?.["app.kubernetes.io/managed-by"]).toBe("Helm");
      expect(m.metadata.labels?.["app.kubernetes.io/part-of"]).toBe("infinity-pool");
    }
    for (const d of manifests().filter((m) => m.kind === "Deployment")) {
      const selector = d.spec.selector.matchLabels;
      expect(Object.keys(selector).sort()).toEqual([
        "app.kubernetes.io/component",
        "app.kubernetes.io/instance",
        "app.kubernetes.io/name",
      ]);
      expect(d.spec.template.metadata.labels).toMatchObject(selector);
      expect(d.spec.template.metadata.annotations["checksum/config"]).toMatch(/^[a-f0-9]{64}$/);
    }
    for (const svc of manifests().filter((m) => m.kind === "Service")) {
      const target = manifests().find(
        (d) =>
          d.kind === "Deployment" &&
          Object.entries(svc.spec.selector).every(
            ([k, v]) => d.spec.template.metadata.labels[k] === v,
          ),
      );
      expect(target, `Service/${svc.metadata.name} selects a Deployment`).toBeDefined();
    }
  });

  test("namespaced objects go to the release namespace, cluster-scoped ones carry none", () => {
    for (const m of manifests()) {
      if (m.kind === "IngressClass" || m.kind === "IngressClassParams") {
        expect(m.metadata.namespace).toBeUndefined();
      } else {
        expect(m.metadata.namespace, `${m.kind}/${m.metadata.name}`).toBe(namespace);
      }
    }
  });

  test("backend probes use native gRPC health checks, gateway probes its HTTP endpoints", () => {
    const backend = find(manifests(), "Deployment", "infinity-pool-backend").spec.template.spec
      .containers[0];
    const port = backend.ports.find((p: { name: string }) => p.name === "grpc").containerPort;
    expect(port).toBe(50051);
    // A database outage must not restart backends: only readiness depends on gRPC health.
    expect(backend.livenessProbe).toMatchObject({ tcpSocket: { port: "grpc" } });
    expect(backend.livenessProbe.grpc).toBeUndefined();
    expect(backend.startupProbe).toMatchObject({ tcpSocket: { port: "grpc" } });
    // The server's health (""), not the database's: an outage must not empty the Service.
    expect(backend.readinessProbe.grpc).toEqual({ port, service: "" });
    const gateway = find(manifests(), "Deployment", "infinity-pool-gateway").spec.template.spec
      .containers[0];
    expect(gateway.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "http" });
    expect(gateway.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "http" });
    expect(gateway.startupProbe.httpGet.path).toBe("/healthz");
  });

  test("a PDB with unhealthyPodEvictionPolicy AlwaysAllow covers each Deployment", () => {
    for (const d of manifests().filter((m) => m.kind === "Deployment")) {
      const pdbs = manifests().filter(
        (m) =>
          m.kind === "PodDisruptionBudget" &&
          Object.entries(m.spec.selector.matchLabels).every(
            ([k, v]) => d.spec.template.metadata.labels[k] === v,
          ),
      );
      expect(pdbs, d.metadata.name).toHaveLength(1);
      expect(pdbs[0]?.spec.unhealthyPodEvictionPolicy).toBe("AlwaysAllow");
      expect(pdbs[0]?.spec.maxUnavailable).toBe(1);
      expect(pdbs[0]?.spec.minAvailable).toBeUndefined();
    }
  });

  test("Deployments spread over zones (scheduling.test.ts checks Karpenter reads it the same way)", () => {
    for (const d of manifests().filter((m) => m.kind === "Deployment")) {
      const constraints = d.spec.template.spec.topologySpreadConstraints;
      const zone = constraints.find(
        (c: { topologyKey: string }) => c.topologyKey === "topology.kubernetes.io/zone",
      );
      expect(zone, d.metadata.name).toBeDefined();
      expect(zone.matchLabelKeys).toBeUndefined();
      expect(zone.maxSkew).toBe(1);
      expect(d.spec.template.metadata.labels).toMatchObject(zone.labelSelector.matchLabels);
      expect(d.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    }
  });

  test("NetworkPolicies: backend reachable only from gateway, migration and test pods on gRPC", () => {
    const backendPolicy = find(manifests(), "NetworkPolicy", "infinity-pool-backend");
    const backendPods = find(manifests(), "Deployment", "infinity-pool-backend").spec.template
      .metadata.labels;
    expect(backendPods).toMatchObject(backendPolicy.spec.podSelector.matchLabels);
    expect(backendPolicy.spec.policyTypes).toEqual(["Ingress", "Egress"]);
    expect(backendPolicy.spec.ingress).toHaveLength(1);
    const rule = backendPolicy.spec.ingress[0];
    expect(rule.ports).toEqual([{ port: "grpc", protocol: "TCP" }]);
    expect(rule.from).toHaveLength(1);
    expect(rule.from[0].namespaceSelector).toBeUndefined();
    expect(rule.from[0].ipBlock).toBeUndefined();
    expect(rule.from[0].podSelector.matchLabels).toEqual({
      "app.kubernetes.io/name": "infinity-pool",
      "app.kubernetes.io/instance": "infinity-pool",
    });
    expect(rule.from[0].podSelector.matchExpressions).toEqual([
      {
        key: "app.kubernetes.io/component",
        operator: "In",
        values: ["gateway", "migration", "test"],
      },
    ]);
    const egressPorts = (policy: Manifest) =>
      policy.spec.egress.flatMap((r: { ports: { port: number }[] }) => r.ports.map((p) => p.port));
    // The database port of the values (with a DATABASE_URL Secret the chart cannot read the URL's).
    const dbPort = (mergedValues(options).backend as { database: { port: number } }).database.port;
    expect(new Set(egressPorts(backendPolicy))).toEqual(new Set([53, dbPort, 443, 80]));
    // Port 80 is allowed only to the Pod Identity Agent's link-local addresses.
    const http = backendPolicy.spec.egress.find(
      (r: { ports: { port: number }[] }) => r.ports[0]?.port === 80,
    );
    expect(http.to.map((t: { ipBlock: { cidr: string } }) => t.ipBlock.cidr)).toEqual([
      "169.254.170.23/32",
      "fd00:ec2::23/128",
    ]);

    const gatewayPolicy = find(manifests(), "NetworkPolicy", "infinity-pool-gateway");
    expect(gatewayPolicy.spec.ingress.map((r: { ports: unknown }) => r.ports)).toEqual([
      [{ port: "http", protocol: "TCP" }],
      [{ port: "admin", protocol: "TCP" }],
    ]);
    // The admin port only from pods (a namespaceSelector), never from an address block.
    const admin = gatewayPolicy.spec.ingress[1];
    expect(admin.from).toHaveLength(1);
    expect(Object.keys(admin.from[0])).toEqual(["namespaceSelector"]);
    expect(new Set(egressPorts(gatewayPolicy))).toEqual(new Set([53, 50051]));
    const toBackend = gatewayPolicy.spec.egress.find(
      (r: { ports: { port: number }[] }) => r.ports[0]?.port === 50051,
    );
    expect(backendPods).toMatchObject(toBackend.to[0].podSelector.matchLabels);

    const migrationPolicy = find(manifests(), "NetworkPolicy", "infinity-pool-migrate");
    expect(migrationPolicy.spec.ingress).toBeUndefined();
    expect(migrationPolicy.spec.policyTypes).toEqual(["Ingress", "Egress"]);
    expect(new Set(egressPorts(migrationPolicy))).toEqual(new Set([53, dbPort, 443, 80]));
  });

  test("migration hook runs as the backend ServiceAccount, which exists before it", () => {
    const hooks = manifests().filter(isHook);
    const weight = (m: Manifest) => Number(m.metadata.annotations?.["helm.sh/hook-weight"] ?? 0);
    const phases = (m: Manifest) => (m.metadata.annotations?.["helm.sh/hook"] ?? "").split(",");
    const job = find(hooks, "Job", "infinity-pool-migrate");
    expect(phases(job).sort()).toEqual(["pre-install", "pre-upgrade"]);
    const podSpec = job.spec.template.spec;
    expect(podSpec.serviceAccountName).toBe("infinity-pool-backend");
    expect(podSpec.containers[0].command).toEqual(["node", "backend/src/migrate.ts"]);
    expect(podSpec.restartPolicy).toBe("Never");

    const hookAccount = find(hooks, "ServiceAccount", "infinity-pool-backend");
    const account = manifests().find(
      (m) =>
        m.kind === "ServiceAccount" && m.metadata.name === "infinity-pool-backend" && !isHook(m),
    );
    expect(account, "the ordinary ServiceAccount the running pods use").toBeDefined();
    // Created for first install only, never recreated on upgrade under the running pods, and not
    // deleted when the Job fails (helm-lifecycle.test.ts replays why).
    expect(phases(hookAccount)).toEqual(["pre-install"]);
    expect(hookAccount.metadata.annotations?.["helm.sh/hook-delete-policy"]).toBe(
      "before-hook-creation",
    );
    expect(weight(hookAccount)).toBeLessThan(weight(job));
    expect(hookAccount.metadata.annotations?.["meta.helm.sh/release-name"]).toBe("infinity-pool");
    expect(hookAccount.metadata.annotations?.["meta.helm.sh/release-namespace"]).toBe(namespace);
    const withoutHookAnnotations = (m: Manifest) =>
      Object.fromEntries(
        Object.entries(m.metadata.annotations ?? {}).filter(([k]) => !k.includes("helm.sh/")),
      );
    expect(withoutHookAnnotations(hookAccount)).toEqual(
      withoutHookAnnotations(account as Manifest),
    );

    const policy = find(hooks, "NetworkPolicy", "infinity-pool-migrate");
    expect(phases(policy).sort()).toEqual(["pre-install", "pre-upgrade"]);
    expect(weight(policy)).toBeGreaterThan(weight(hookAccount));
    expect(weight(policy)).toBeLessThan(weight(job));

    // Nothing the Job reads may be an ordinary release object: those do not exist yet on install.
    const container = podSpec.containers[0];
    expect(container.envFrom).toBeUndefined();
    const ordinaryNames = new Set(
      manifests()
        .filter((m) => !isHook(m) && m.kind !== "ServiceAccount")
        .map((m) => m.metadata.name),
    );
    for (const env of container.env) {
      const ref = env.valueFrom?.configMapKeyRef?.name ?? env.valueFrom?.secretKeyRef?.name;
      if (ref) expect(ordinaryNames.has(ref), `${env.name} from ${ref}`).toBe(false);
    }
    const backendConfig = find(manifests(), "ConfigMap", "infinity-pool-backend").data ?? {};
    const jobEnv = Object.fromEntries(
      container.env
        .filter((e: { value?: string }) => e.value !== undefined)
        .map((e: { name: string; value: string }) => [e.name, e.value]),
    );
    expect(jobEnv).toEqual(backendConfig);
    expect(backendConfig.MIGRATE_ON_START).toBe("false");
  });

  test("helm test hooks check the gateway over HTTP and the backend over gRPC health", () => {
    const tests = manifests().filter((m) => m.metadata.annotations?.["helm.sh/hook"] === "test");
    expect(tests.map((m) => `${m.kind}/${m.metadata.name}`).sort()).toEqual([
      "Job/infinity-pool-test-backend-grpc",
      "Job/infinity-pool-test-gateway-http",
    ]);
    const gatewayImage = find(manifests(), "Deployment", "infinity-pool-gateway").spec.template.spec
      .containers[0].image;
    for (const t of tests) {
      const container = t.spec.template.spec.containers[0];
      expect(container.image).toBe(gatewayImage);
      expect(t.spec.template.metadata.labels["app.kubernetes.io/component"]).toBe("test");
      expect(t.spec.template.spec.automountServiceAccountToken).toBe(false);
    }
    const env = (name: string) =>
      find(tests, "Job", name).spec.template.spec.containers[0].env.map(
        (e: { name: string; value: string }) => `${e.name}=${e.value}`,
      );
    expect(env("infinity-pool-test-gateway-http")).toEqual([
      `GATEWAY_URL=http://infinity-pool-gateway.${namespace}.svc.cluster.local:80/`,
    ]);
    expect(env("infinity-pool-test-backend-grpc")).toEqual([
      `BACKEND_TARGET=dns:///infinity-pool-backend.${namespace}.svc.cluster.local:50051`,
    ]);
  });

  test("the gateway balances over the headless backend Service", () => {
    const headless = find(manifests(), "Service", "infinity-pool-backend-headless");
    expect(headless.spec.clusterIP).toBe("None");
    expect(find(manifests(), "Service", "infinity-pool-backend").spec.clusterIP).toBeUndefined();
    expect(find(manifests(), "ConfigMap", "infinity-pool-gateway").data?.BACKEND_ADDRESS).toBe(
      `dns:///infinity-pool-backend-headless.${namespace}.svc.cluster.local:50051`,
    );
  });

  test("the Ingress uses an EKS Auto Mode IngressClass and health-checks /readyz on pod IPs", () => {
    const ingress = find(manifests(), "Ingress", "infinity-pool-gateway");
    const ingressClass = find(manifests(), "IngressClass", ingress.spec.ingressClassName);
    expect(ingressClass.spec.controller).toBe("eks.amazonaws.com/alb");
    expect(ingressClass.spec.parameters).toMatchObject({
      apiGroup: "eks.amazonaws.com",
      kind: "IngressClassParams",
    });
    find(manifests(), "IngressClassParams", ingressClass.spec.parameters.name);
    const a = ingress.metadata.annotations ?? {};
    expect(a["alb.ingress.kubernetes.io/target-type"]).toBe("ip");
    expect(a["alb.ingress.kubernetes.io/healthcheck-path"]).toBe("/readyz");
    for (const rule of ingress.spec.rules) {
      expect(rule.http.paths[0].backend.service).toEqual({
        name: "infinity-pool-gateway",
        port: { name: "http" },
      });
    }
  });
  test("the Ingress routes no path to the admin port; the ALB health check uses the public one", () => {
    const gateway = find(manifests(), "Deployment", "infinity-pool-gateway").spec.template.spec
      .containers[0];
    const containerPort = (name: string | number) =>
      typeof name === "number"
        ? name
        : gateway.ports.find((p: { name: string }) => p.name === name)?.containerPort;
    const adminPort = containerPort("admin");
    expect(adminPort).toBe(9090);
    expect(containerPort("http")).toBe(8080);
    for (const ingress of manifests().filter((m) => m.kind === "Ingress")) {
      const a = ingress.metadata.annotations ?? {};
      expect(a["alb.ingress.kubernetes.io/healthcheck-port"]).toBe("traffic-port");
      const backends = [
        ingress.spec.defaultBackend,
        ...ingress.spec.rules.flatMap((r: { http: { paths: { backend: unknown }[] } }) =>
          r.http.paths.map((p) => p.backend),
        ),
      ].filter(Boolean);
      expect(backends.length).toBeGreaterThan(0);
      for (const backend of backends) {
        const service = find(manifests(), "Service", backend.service.name);
        const port = service.spec.ports.find(
          (p: { name: string; port: number }) =>
            p.name === backend.service.port.name || p.port === backend.service.port.number,
        );
        expect(containerPort(port.targetPort), `${backend.service.name}`).not.toBe(adminPort);
        expect(containerPort(port.targetPort)).toBe(containerPort("http"));
      }
    }
    const config = find(manifests(), "ConfigMap", "infinity-pool-gateway").data ?? {};
    expect(config.GATEWAY_ADMIN_PORT).toBe(String(adminPort));
    expect(config.GATEWAY_PORT).toBe("8080");
    const admin = find(manifests(), "Service", "infinity-pool-gateway-admin");
    expect(admin.spec.ports).toEqual([
      { name: "admin", port: 9090, targetPort: "admin", protocol: "TCP", appProtocol: "http" },
    ]);
  });

  test("write tokens are a Secret file in gateway and backend pods, never env or annotation", () => {
    for (const name of ["infinity-pool-gateway", "infinity-pool-backend"]) {
      const pod = find(manifests(), "Deployment", name).spec.template.spec;
      const container = pod.containers[0];
      const volume = pod.volumes.find((v: { name: string }) => v.name === "write-tokens");
      expect(volume?.secret, name).toBeDefined();
      // No subPath: a subPath mount never receives Secret updates.
      const mount = container.volumeMounts.find((m: { name: string }) => m.name === "write-tokens");
      expect(mount).toEqual({
        name: "write-tokens",
        mountPath: "/etc/infinity-pool/write-tokens",
        readOnly: true,
      });
      const key = volume.secret.items[0].key;
      const file = container.env.find((e: { name: string }) => e.name === "WRITE_TOKENS_FILE");
      expect(file).toEqual({
        name: "WRITE_TOKENS_FILE",
        value: `/etc/infinity-pool/write-tokens/${volume.secret.items[0].path}`,
      });
      expect(key).toBe("tokens");
      expect(volume.secret.defaultMode).toBe(0o440);
      // Nothing passes the token Secret's content as an environment variable.
      for (const env of container.env) {
        expect(env.valueFrom?.secretKeyRef?.name, env.name).not.toBe(volume.secret.secretName);
      }
      expect(container.envFrom.every((f: { secretRef?: unknown }) => !f.secretRef)).toBe(true);
    }
    // The chart never renders the token Secret itself, so no token passes through Helm, its
    // release record or an annotation.
    expect(manifests().filter((m) => m.kind === "Secret")).toEqual([]);
  });
});

describe("production values", () => {
  const manifests = () => rendered["ci/production-values.yaml"] ?? [];

  test("terminate TLS on an internet-facing ALB with the given certificates and redirect HTTP", () => {
    const params = find(manifests(), "IngressClassParams", "infinity-pool");
    expect(params.spec.scheme).toBe("internet-facing");
    expect(params.spec.certificateARNs).toEqual([
      "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8091-a2b3c4d5e6f7",
    ]);
    expect(params.spec.sslPolicy).toBe("ELBSecurityPolicy-TLS13-1-2-2021-06");
    expect(params.spec.tags).toContainEqual({ key: "Environment", value: "dev" });
    const a = find(manifests(), "Ingress", "infinity-pool-gateway").metadata.annotations ?? {};
    expect(JSON.parse(a["alb.ingress.kubernetes.io/listen-ports"] ?? "")).toEqual([
      { HTTP: 80 },
      { HTTPS: 443 },
    ]);
    expect(a["alb.ingress.kubernetes.io/ssl-redirect"]).toBe("443");
    expect(find(manifests(), "Ingress", "infinity-pool-gateway").spec.rules[0].host).toBe(
      "api.infinity-pool.example.com",
    );
  });

  test("autoscale from three replicas and leave the replica count to the HPA", () => {
    for (const component of ["gateway", "backend"]) {
      const hpa = find(manifests(), "HorizontalPodAutoscaler", `infinity-pool-${component}`);
      expect(hpa.spec.minReplicas).toBe(3);
      expect(hpa.spec.scaleTargetRef).toEqual({
        apiVersion: "apps/v1",
        kind: "Deployment",
        name: `infinity-pool-${component}`,
      });
      expect(
        find(manifests(), "Deployment", `infinity-pool-${component}`).spec.replicas,
      ).toBeUndefined();
    }
    // CPU only: V8 processes do not give memory back, so a memory target never scales down.
    for (const component of ["gateway", "backend"]) {
      const metrics = find(manifests(), "HorizontalPodAutoscaler", `infinity-pool-${component}`)
        .spec.metrics;
      expect(metrics.map((m: { resource: { name: string } }) => m.resource.name)).toEqual(["cpu"]);
    }
  });

  test("bind the backend to its IAM role through IRSA and wire the database settings", () => {
    const account = manifests().find(
      (m) =>
        m.kind === "ServiceAccount" && m.metadata.name === "infinity-pool-backend" && !isHook(m),
    );
    expect(account?.metadata.annotations?.["eks.amazonaws.com/role-arn"]).toBe(
      "arn:aws:iam::123456789012:role/infinity-pool-dev-backend-irsa",
    );
    const config = find(manifests(), "ConfigMap", "infinity-pool-backend").data;
    expect(config).toMatchObject({
      DB_HOST: "infinity-pool-dev.cluster-c9akciq32d5l.eu-west-1.rds.amazonaws.com",
      DB_PORT: "5432",
      DB_NAME: "infinitypool",
      DB_SECRET_ID:
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!cluster-5f1c2a8e-7b3d-4e9a-8c61-2d0f4b7a9e13-Xk3P9q",
      DB_SSL_MODE: "verify-full",
      AWS_REGION: "eu-west-1",
    });
  });

  test("mount the write tokens from the named Secret, required to exist", () => {
    for (const name of ["infinity-pool-gateway", "infinity-pool-backend"]) {
      const volume = find(manifests(), "Deployment", name).spec.template.spec.volumes.find(
        (v: { name: string }) => v.name === "write-tokens",
      );
      expect(volume.secret).toMatchObject({
        secretName: "infinity-pool-gateway-auth",
        optional: false,
        items: [{ key: "tokens", path: "tokens" }],
      });
    }
  });

  test("render a ServiceMonitor for the gateway's admin port", () => {
    const monitor = find(manifests(), "ServiceMonitor", "infinity-pool-gateway");
    expect(monitor.metadata.labels?.release).toBe("kube-prometheus-stack");
    expect(monitor.spec.endpoints).toEqual([
      { port: "admin", path: "/metrics", scheme: "http", interval: "30s", scrapeTimeout: "10s" },
    ]);
    const selected = manifests().filter(
      (m) =>
        m.kind === "Service" &&
        Object.entries(monitor.spec.selector.matchLabels).every(
          ([k, v]) => m.metadata.labels?.[k] === v,
        ),
    );
    expect(selected.map((m) => m.metadata.name)).toEqual(["infinity-pool-gateway-admin"]);
  });

  test("spread strictly over zones and narrow the NetworkPolicy CIDRs", () => {
    const zone = find(manifests(), "Deployment", "infinity-pool-backend").spec.template.spec
      .topologySpreadConstraints[0];
    expect(zone.whenUnsatisfiable).toBe("DoNotSchedule");
    const gatewayPolicy = find(manifests(), "NetworkPolicy", "infinity-pool-gateway");
    expect(gatewayPolicy.spec.ingress[0].from).toContainEqual({
      ipBlock: { cidr: "10.20.0.0/16" },
    });
    // helm test pods must still reach the gateway once sources are narrowed.
    expect(gatewayPolicy.spec.ingress[0].from).toContainEqual({
      podSelector: {
        matchLabels: {
          "app.kubernetes.io/instance": "infinity-pool",
          "app.kubernetes.io/component": "test",
        },
      },
    });
    const backendPolicy = find(manifests(), "NetworkPolicy", "infinity-pool-backend");
    const db = backendPolicy.spec.egress.find(
      (r: { ports: { port: number }[] }) => r.ports[0]?.port === 5432,
    );
    expect(db.to).toEqual([{ ipBlock: { cidr: "10.20.128.0/20" } }]);
  });
});

describe("minimal values, everything else defaulted", () => {
  const manifests = () => rendered["ci/minimal-values.yaml"] ?? [];

  test("follow the Terraform contract: release infinity-pool, ServiceAccount infinity-pool-backend, Pod Identity", () => {
    const account = manifests().find(
      (m) =>
        m.kind === "ServiceAccount" && m.metadata.name === "infinity-pool-backend" && !isHook(m),
    );
    expect(account).toBeDefined();
    expect(account?.metadata.annotations?.["eks.amazonaws.com/role-arn"]).toBeUndefined();
    expect(
      find(manifests(), "Deployment", "infinity-pool-backend").spec.template.spec
        .serviceAccountName,
    ).toBe("infinity-pool-backend");
  });

  test("are safe: internal ALB over HTTP, two replicas each, no Kubernetes API token in any pod", () => {
    expect(find(manifests(), "IngressClassParams", "infinity-pool").spec.scheme).toBe("internal");
    const a = find(manifests(), "Ingress", "infinity-pool-gateway").metadata.annotations ?? {};
    expect(a["alb.ingress.kubernetes.io/ssl-redirect"]).toBeUndefined();
    for (const d of manifests().filter((m) => m.kind === "Deployment"))
      expect(d.spec.replicas).toBe(2);
    expect(manifests().filter((m) => m.kind === "HorizontalPodAutoscaler")).toEqual([]);
    for (const pod of podSpecs(manifests()))
      expect(pod.spec.automountServiceAccountToken, pod.owner).toBe(false);
  });
});

describe("value changes", () => {
  test("a configuration change rolls the pods through the checksum annotation", () => {
    const checksum = (options: RenderOptions, name: string) =>
      find(render(options), "Deployment", name).spec.template.metadata.annotations[
        "checksum/config"
      ];
    expect(
      checksum({ ...minimal, set: { "backend.logLevel": "debug" } }, "infinity-pool-backend"),
    ).not.toBe(checksum(minimal, "infinity-pool-backend"));
    expect(
      checksum({ ...minimal, set: { "gateway.logLevel": "debug" } }, "infinity-pool-gateway"),
    ).not.toBe(checksum(minimal, "infinity-pool-gateway"));
  });

  test("reusing an existing IngressClass moves scheme and certificates onto the Ingress", () => {
    const manifests = render({
      ...minimal,
      set: {
        "ingress.ingressClass.create": "false",
        "ingress.ingressClass.name": "alb",
        "ingress.ingressClassParams.create": "false",
        "ingress.scheme": "internet-facing",
        "ingress.certificateArns[0]": "arn:aws:acm:eu-west-1:123456789012:certificate/abc",
      },
    });
    expect(
      manifests.filter((m) => m.kind === "IngressClass" || m.kind === "IngressClassParams"),
    ).toEqual([]);
    const ingress = find(manifests, "Ingress", "infinity-pool-gateway");
    expect(ingress.spec.ingressClassName).toBe("alb");
    expect(ingress.metadata.annotations?.["alb.ingress.kubernetes.io/scheme"]).toBe(
      "internet-facing",
    );
    expect(ingress.metadata.annotations?.["alb.ingress.kubernetes.io/certificate-arn"]).toBe(
      "arn:aws:acm:eu-west-1:123456789012:certificate/abc",
    );
  });

  test("without the migration hook the backend migrates on start and no hook objects render", () => {
    const manifests = render({ ...minimal, set: { "migration.enabled": "false" } });
    expect(
      manifests.filter((m) => isHook(m) && m.metadata.annotations?.["helm.sh/hook"] !== "test"),
    ).toEqual([]);
    expect(find(manifests, "ConfigMap", "infinity-pool-backend").data?.MIGRATE_ON_START).toBe(
      "true",
    );
  });

  test("an image digest pins the image over the tag", () => {
    const digest = `sha256:${"a".repeat(64)}`;
    const manifests = render({
      ...minimal,
      set: { "backend.image.digest": digest, "backend.image.repository": "example/backend" },
    });
    expect(
      find(manifests, "Deployment", "infinity-pool-backend").spec.template.spec.containers[0].image,
    ).toBe(`example/backend@${digest}`);
    expect(
      find(manifests, "Job", "infinity-pool-migrate").spec.template.spec.containers[0].image,
    ).toBe(`example/backend@${digest}`);
  });
});

describe("NOTES.txt", () => {
  test("tells how to reach the gateway and how to grpcurl the backend", () => {
    const notes = renderNotes({ valuesFiles: ["ci/production-values.yaml"] });
    expect(notes).toContain("kubectl -n infinity-pool get ingress infinity-pool-gateway");
    expect(notes).toContain("curl https://api.infinity-pool.example.com/");
    expect(notes).toContain(
      "kubectl -n infinity-pool port-forward svc/infinity-pool-backend 50051:50051",
    );
    expect(notes).toContain("grpcurl -plaintext localhost:50051 list");
    expect(notes).toContain("helm test infinity-pool -n infinity-pool");
  });

  test("tells where write tokens come from, how to label the namespace and where metrics are", () => {
    const notes = renderNotes(minimal);
    expect(notes).toContain('Secret "infinity-pool-gateway-auth"');
    expect(notes).toContain(
      "kubectl -n infinity-pool create secret generic infinity-pool-gateway-auth --from-file=tokens=./tokens.txt",
    );
    expect(notes).toContain(
      "kubectl label namespace infinity-pool pod-security.kubernetes.io/enforce=restricted",
    );
    expect(notes).toContain("port-forward svc/infinity-pool-gateway-admin 9090:9090");
    // With a named Secret the chart requires it, so there is nothing to create.
    expect(renderNotes({ valuesFiles: ["ci/production-values.yaml"] })).not.toContain(
      "create secret",
    );
  });
});

describe("memory requests come from the measurement in helm/README.md", () => {
  // Rows of the README's table: service, limit, idle RSS, RSS under load "p50 / max", after load.
  const readme = readFileSync(path.join(chartDir, "README.md"), "utf8");
  const rows = [
    ...readme.matchAll(/^\| (gateway|backend)[^|]*\| (\d+) MiB +\| [^|]+\| (\d+) \/ (\d+) MiB/gm),
  ];
  const mib = (quantity: string) => Number(/^(\d+)Mi$/.exec(quantity)?.[1]);

  test.each(["gateway", "backend"])(
    "%s: measured at the chart's limit, requesting at least the steady RSS",
    (service) => {
      const manifests = render(minimal);
      const resources = find(manifests, "Deployment", `infinity-pool-${service}`).spec.template.spec
        .containers[0].resources;
      const row = rows.find((r) => r[1] === service);
      expect(row, "a measured row for this service").toBeDefined();
      // Re-measure when the limit changes: V8 sizes its heap from it.
      expect(mib(resources.limits.memory)).toBe(Number(row?.[2]));
      expect(mib(resources.requests.memory)).toBeGreaterThanOrEqual(Number(row?.[3]));
      expect(mib(resources.requests.memory)).toBeLessThan(mib(resources.limits.memory));
    },
  );
});
