// Contract tests between the layers of the deploy journey: the repository variables the workflows
// pass, what env.hcl and the units read, what bootstrap-oidc.sh stores, the Terraform outputs the
// pipeline reads, and what the chart renders with the pipeline's own Helm arguments.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { chartDir, type Manifest, parseManifests, runHelm } from "../../helm/test/support/helm.ts";
import { type FakeObject, type FakeState, lastApplied } from "./support/fake-kube.ts";
import {
  allSteps,
  envHclSettings,
  helmCallsOf,
  runSteps,
  type StepContext,
  script,
  stepNamed,
  type Workflow,
  workflow,
} from "./support/pipeline.ts";
import { infraDir, repoRoot } from "./support/terraform.ts";
import { loadTree, type Tree } from "./tree.ts";

const cicd = workflow("cicd.yaml");
const destroy = workflow("destroy.yaml");
const settings = envHclSettings();
const tgSettings = [...settings.keys()].filter((s) => s.startsWith("TG_")).sort();
/** Variables Terragrunt itself reads (its CLI flags as TG_* environment variables). */
const terragruntFlags = ["TG_NON_INTERACTIVE"];
/** Set by GitHub Actions in every job (docs: "Variables reference", default environment variables). */
const actionsDefaults = ["GITHUB_REPOSITORY", "GITHUB_REPOSITORY_ID", "GITHUB_REPOSITORY_OWNER_ID"];
const jqAvailable = spawnSync("jq", ["--version"]).status === 0;
/** A GitHub Actions expression as written in a workflow: ${{ expression }}. */
const ghExpr = (expression: string) => ["$", "{{ ", expression, " }}"].join("");
const codeLines = (run: string) =>
  run
    .split("\n")
    .filter((l) => !l.trim().startsWith("#"))
    .join("\n");

/** What read-outputs.sh publishes: step output name, the unit and the Terraform output it reads. */
const emits = (() => {
  const text = script("read-outputs.sh");
  const units = new Map(
    [...text.matchAll(/^(\w+)=\$\(unit_outputs ([\w-]+)\)$/gm)].map((m) => [m[1], m[2]]),
  );
  return [...text.matchAll(/^emit (\w+) "\$(\w+)" '\.(\w+)\.value/gm)].map((m) => ({
    name: m[1] ?? "",
    unit: units.get(m[2] ?? "") ?? "",
    output: m[3] ?? "",
  }));
})();

let tree: Tree;
beforeAll(async () => {
  tree = await loadTree(infraDir);
});

describe("settings: env.hcl, the workflows and bootstrap-oidc.sh agree", () => {
  it("env.hcl reads the TG_* settings, AWS_REGION and the three GitHub variables", () => {
    expect(tgSettings).toEqual([
      "TG_API_ALLOWED_CIDRS",
      "TG_CLUSTER_ADMIN_ARNS",
      "TG_CREATE_GITHUB_OIDC_PROVIDER",
      "TG_DEPLOYMENT",
      "TG_DEPLOY_BRANCHES",
      "TG_DEPLOY_ENVIRONMENTS",
    ]);
    const others = [...settings.keys()].filter((s) => !s.startsWith("TG_")).sort();
    expect(others).toEqual(["AWS_REGION", ...actionsDefaults].sort());
  });

  for (const [file, wf] of [
    ["cicd.yaml", cicd],
    ["destroy.yaml", destroy],
  ] as [string, Workflow][]) {
    it(`${file} passes every TG_* setting from the repository variable of the same name`, () => {
      for (const name of tgSettings) {
        expect(wf.env[name], `${file} env.${name}`).toMatch(
          new RegExp(`^\\$\\{\\{ vars\\.${name}( \\|\\| '[^']*')? \\}\\}$`),
        );
      }
      expect(wf.env.AWS_REGION).toMatch(/^\$\{\{ vars\.AWS_REGION \|\| '[^']*' \}\}$/);
    });

    it(`${file} passes no TG_* variable that nothing reads`, () => {
      const passed = Object.keys(wf.env).filter((k) => k.startsWith("TG_"));
      for (const name of passed) {
        expect(
          tgSettings.includes(name) || terragruntFlags.includes(name),
          `${file} passes ${name}, which neither env.hcl nor Terragrunt reads`,
        ).toBe(true);
      }
      // Steps may only append to the settings, never set one that is not passed at the top.
      for (const step of allSteps(wf)) {
        for (const m of (step.run ?? "").matchAll(/echo "(TG_[A-Z_]+)=/g)) {
          expect(passed, `${step.name} sets ${m[1]}`).toContain(m[1]);
        }
      }
    });

    it(`${file} falls back to env.hcl's defaults where it needs one itself`, () => {
      for (const [name, value] of Object.entries(wf.env)) {
        const m = /\|\| '([^']*)'/.exec(value);
        if (m === null || !settings.has(name)) continue;
        expect(m[1], `${file} default of ${name}`).toBe(settings.get(name));
      }
    });
  }

  it("the settings gate and env.hcl have the same defaults", () => {
    const main = readFileSync(path.join(infraDir, "modules/settings/main.tf"), "utf8");
    for (const name of [...tgSettings, "AWS_REGION"]) {
      const m = new RegExp(`\\n\\s+${name.toLowerCase()}\\s+= "([^"]*)"`).exec(main);
      expect(m?.[1], `settings module default of ${name}`).toBe(settings.get(name));
    }
  });

  it("bootstrap-oidc.sh stores every setting env.hcl reads, with the same defaults", () => {
    const text = script("bootstrap-oidc.sh");
    const list = /settings=\(\n([\s\S]*?)\n\)/.exec(text)?.[1] ?? "";
    const stored = list
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean)
      .sort();
    expect(stored).toEqual([...tgSettings, "AWS_REGION"].sort());
    expect(text).toContain(`export AWS_REGION=\${AWS_REGION:-${settings.get("AWS_REGION")}}`);
    expect(text).toContain(
      `export TG_DEPLOYMENT=\${TG_DEPLOYMENT:-${settings.get("TG_DEPLOYMENT")}}`,
    );
    expect(text).toContain('store=(AWS_ROLE_ARN "$role_arn")');
    expect(text).toMatch(/gh variable set "\$name" --repo "\$GITHUB_REPOSITORY" --body "\$value"/);
    expect(text).toMatch(/gh variable delete "\$name"/);
    // It looks up the ids the trust policy needs and validates before creating anything.
    expect(text.indexOf("validate-settings.sh")).toBeLessThan(text.indexOf("-- apply"));
    expect(text).toContain("--jq .owner.id");
  });

  it("every workflow that applies or destroys validates the settings first", () => {
    for (const wf of [cicd, destroy]) {
      const steps = allSteps(wf);
      const validate = steps.findIndex((s) => (s.run ?? "").includes("validate-settings.sh"));
      const terragrunt = steps.findIndex((s) => /terragrunt run --all/.test(s.run ?? ""));
      expect(validate, wf.name).toBeGreaterThanOrEqual(0);
      // cicd validates in the preflight job, which the deploy job needs.
      if (wf === cicd) expect(cicd.jobs.preflight?.steps).toContain(steps[validate]);
      else expect(validate).toBeLessThan(terragrunt);
    }
  });
});

describe("Terraform outputs the pipeline reads", () => {
  it("exist in the module of the unit they are read from", () => {
    expect(emits.length).toBeGreaterThanOrEqual(9);
    for (const e of emits) {
      const mod = tree.modules.get(tree.units.get(e.unit)?.moduleName ?? "");
      expect(mod?.outputs.has(e.output), `${e.unit}.${e.output}`).toBe(true);
    }
  });

  it("cover every steps.infra.outputs.* the workflows use", () => {
    const names = new Set(emits.map((e) => e.name));
    for (const wf of [cicd, destroy]) {
      const used = JSON.stringify(wf).matchAll(/steps\.infra\.outputs\.(\w+)/g);
      for (const m of used) expect(names.has(m[1] ?? ""), `${wf.name}: ${m[1]}`).toBe(true);
    }
  });
});

describe.skipIf(!jqAvailable)("the chart as the pipeline installs it", () => {
  const sample = {
    GITHUB_SHA: "0123456789abcdef0123456789abcdef01234567",
    AWS_REGION: "eu-west-1",
    TG_DEPLOYMENT: "infinity-pool-dev",
    RELEASE: cicd.env.RELEASE ?? "",
    NAMESPACE: cicd.env.NAMESPACE ?? "",
    WRITE_TOKENS_SECRET: cicd.env.WRITE_TOKENS_SECRET ?? "",
    GATEWAY_REPO: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/infinity-pool-dev/gateway",
    BACKEND_REPO: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/infinity-pool-dev/backend",
    DB_HOST: "infinity-pool-dev-db.cluster-abc.eu-west-1.rds.amazonaws.com",
    DB_PORT: "5432",
    DB_NAME: "infinitypool",
    DB_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!cluster-x-AbCdEf",
    VPC_CIDR: "10.0.0.0/16",
    DATABASE_CIDRS: '["10.0.210.0/24","10.0.211.0/24","10.0.212.0/24"]',
    INGRESS_SCHEME: "",
    ACM_CERTIFICATE_ARN: "",
    // Set from the workload-access unit's inputs (what its outputs echo) once the tree is loaded.
    POD_IDENTITY_NAMESPACE: "",
    POD_IDENTITY_SERVICE_ACCOUNT: "",
  };
  const helmStep = stepNamed(cicd, /^Helm release/);
  let upgrade: string[];
  let rendered: Manifest[];

  /** The pipeline's `helm upgrade --install` arguments as a `helm template` command line. */
  function templateArgs(args: string[]): string[] {
    const dropped = new Set([
      "--install",
      "--create-namespace",
      "--wait-for-jobs",
      "--rollback-on-failure",
    ]);
    const out: string[] = ["template"];
    for (let i = 1; i < args.length; i++) {
      const a = args[i] ?? "";
      if (dropped.has(a) || a.startsWith("--wait")) continue;
      if (a === "--timeout") {
        i++;
        continue;
      }
      out.push(a === "./helm" ? chartDir : a);
    }
    return out;
  }

  function templateWith(env: Record<string, string>) {
    const calls = helmCallsOf(helmStep.run ?? "", env);
    const call = calls.find((c) => c[0] === "upgrade");
    if (call === undefined) throw new Error("the Helm step ran no helm upgrade");
    upgrade = call;
    return runHelm(templateArgs(call));
  }

  function renderWith(env: Record<string, string>): Manifest[] {
    const result = templateWith(env);
    if (result.status !== 0)
      throw new Error(`helm template with the pipeline's values failed:\n${result.stderr}`);
    return parseManifests(result.stdout);
  }

  beforeAll(() => {
    const workload = tree.units.get("workload-access")?.inputs;
    sample.POD_IDENTITY_NAMESPACE = String(workload?.namespace);
    sample.POD_IDENTITY_SERVICE_ACCOUNT = String(workload?.service_account);
    rendered = renderWith(sample);
  });

  const pods = () =>
    rendered
      .filter((m) => m.kind === "Deployment" || m.kind === "Job")
      .map((m) => ({
        owner: `${m.kind}/${m.metadata.name}`,
        spec: m.spec.template.spec,
        labels: m.spec.template.metadata?.labels ?? {},
      }));

  it("binds the Pod Identity association's namespace and ServiceAccount to what the chart renders", () => {
    const unit = tree.units.get("workload-access");
    const namespace = unit?.inputs.namespace;
    const serviceAccount = unit?.inputs.service_account;
    expect(namespace).toBe(sample.NAMESPACE);
    const backend = rendered.find(
      (m) => m.kind === "Deployment" && m.metadata.name.endsWith("-backend"),
    );
    expect(backend?.metadata.namespace).toBe(namespace);
    expect(backend?.spec.template.spec.serviceAccountName).toBe(serviceAccount);
    const sa = rendered.find(
      (m) => m.kind === "ServiceAccount" && m.metadata.name === serviceAccount,
    );
    expect(sa?.metadata.namespace).toBe(namespace);
    const migration = rendered.find(
      (m) => m.kind === "Job" && m.metadata.name.endsWith("-migrate"),
    );
    expect(migration?.spec.template.spec.serviceAccountName).toBe(serviceAccount);
  });

  it("passes the Pod Identity association from Terraform's outputs, and the chart checks against it", () => {
    // The step reads the values from read-outputs.sh, which reads the workload-access unit's
    // namespace and service_account outputs (their existence is checked above).
    const fromOutput = (value: string | undefined) =>
      emits.find((e) => ghExpr(`steps.infra.outputs.${e.name}`) === value);
    expect(fromOutput(helmStep.env?.POD_IDENTITY_NAMESPACE)).toMatchObject({
      unit: "workload-access",
      output: "namespace",
    });
    expect(fromOutput(helmStep.env?.POD_IDENTITY_SERVICE_ACCOUNT)).toMatchObject({
      unit: "workload-access",
      output: "service_account",
    });
    const workload = tree.modules.get(tree.units.get("workload-access")?.moduleName ?? "");
    expect(workload?.outputs.has("namespace")).toBe(true);
    expect(workload?.outputs.has("service_account")).toBe(true);
    // The chart renders with the association Terraform makes, so the values reach it...
    expect(upgrade).toContain(`backend.podIdentityAssociation.namespace=${sample.NAMESPACE}`);
    expect(rendered.some((m) => m.kind === "Deployment")).toBe(true);
    // ...and refuses a release its association would not cover.
    for (const other of [
      { POD_IDENTITY_NAMESPACE: "payments" },
      { POD_IDENTITY_SERVICE_ACCOUNT: "payments-backend" },
    ]) {
      const result = templateWith({ ...sample, ...other });
      expect(result.status, JSON.stringify(other)).not.toBe(0);
      expect(result.stderr).toContain(
        "backend.podIdentityAssociation: the EKS Pod Identity association is for ServiceAccount",
      );
    }
  });

  it("waits longer than the migration Job may run, and helm test longer than the test Jobs", () => {
    const minutes = (v: string | undefined) =>
      Number(/^(\d+)m$/.exec(v ?? "")?.[1] ?? Number.NaN) * 60;
    const timeout = minutes(upgrade[upgrade.indexOf("--timeout") + 1]);
    const migration = rendered.find(
      (m) => m.kind === "Job" && m.metadata.name.endsWith("-migrate"),
    );
    const deadline = Number(migration?.spec.activeDeadlineSeconds);
    expect(deadline).toBeGreaterThan(0);
    expect(timeout).toBeGreaterThan(deadline);

    const testRun = stepNamed(cicd, /^helm test/).run ?? "";
    const testTimeout = minutes(/helm test [^\n]*--timeout (\d+m)/.exec(testRun)?.[1]);
    for (const job of rendered.filter((m) => m.metadata.annotations?.["helm.sh/hook"] === "test")) {
      expect(testTimeout, job.metadata.name).toBeGreaterThan(
        Number(job.spec.activeDeadlineSeconds),
      );
    }
  });

  it("shows test logs with a selector that matches exactly the chart's test Job pods", () => {
    const run = stepNamed(cicd, /^helm test/).run ?? "";
    expect(codeLines(run)).not.toMatch(/helm test[^\n]*--logs/);
    const selector = (/selector="([^"]+)"/.exec(run)?.[1] ?? "").replaceAll(
      "$RELEASE",
      sample.RELEASE,
    );
    const wanted = Object.fromEntries(
      selector.split(",").map((kv) => kv.split("=") as [string, string]),
    );
    const matches = (labels: Record<string, string>) =>
      Object.entries(wanted).every(([k, v]) => labels[k] === v);
    const tests = rendered.filter(
      (m) => m.kind === "Job" && m.metadata.annotations?.["helm.sh/hook"] === "test",
    );
    expect(tests.length).toBeGreaterThan(0);
    for (const p of pods()) {
      const isTest = tests.some((t) => `Job/${t.metadata.name}` === p.owner);
      expect(
        matches(p.labels),
        `${p.owner} ${isTest ? "must" : "must not"} match ${selector}`,
      ).toBe(isTest);
    }
    // A failed test must still fail the step (the logs are shown on the way out).
    expect(run).toMatch(/\|\| status=\$\?/);
    expect(run).toMatch(/exit "\$status"/);
  });

  it("feeds the NetworkPolicies the VPC and database subnet CIDRs from Terraform", () => {
    const policies = rendered.filter((m) => m.kind === "NetworkPolicy");
    const gateway = policies.find((m) => m.metadata.name.endsWith("-gateway"));
    const sources = gateway?.spec.ingress.flatMap(
      (r: { from?: { ipBlock?: { cidr: string } }[] }) =>
        (r.from ?? []).map((f) => f.ipBlock?.cidr).filter(Boolean),
    );
    expect(sources).toEqual([sample.VPC_CIDR]);
    const backend = policies.find((m) => m.metadata.name.endsWith("-backend"));
    const postgres = backend?.spec.egress.find((r: { ports?: { port: number }[] }) =>
      r.ports?.some((p) => p.port === Number(sample.DB_PORT)),
    );
    expect(postgres.to.map((t: { ipBlock: { cidr: string } }) => t.ipBlock.cidr)).toEqual(
      JSON.parse(sample.DATABASE_CIDRS),
    );
    expect(helmStep.env?.VPC_CIDR).toBe(ghExpr("steps.infra.outputs.vpc_cidr_block"));
    expect(helmStep.env?.DATABASE_CIDRS).toBe(
      ghExpr("steps.infra.outputs.database_subnet_cidr_blocks"),
    );
  });

  it("names the load balancer <deployment>-gateway within ELB's rules, for the longest deployment key", () => {
    const longest = renderWith({ ...sample, TG_DEPLOYMENT: "abcdefghijklmnopqrstuvwx" });
    const ingress = longest.find((m) => m.kind === "Ingress");
    const name =
      ingress?.metadata.annotations?.["alb.ingress.kubernetes.io/load-balancer-name"] ?? "";
    expect(name).toBe("abcdefghijklmnopqrstuvwx-gateway");
    // Elastic Load Balancing: at most 32 characters, letters, digits and hyphens, not starting or
    // ending with a hyphen, not starting with "internal-".
    expect(name.length).toBeLessThanOrEqual(32);
    expect(name).toMatch(/^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/);
    expect(name.startsWith("internal-")).toBe(false);
  });

  it("serves HTTPS with a redirect when ACM_CERTIFICATE_ARN is set, plain HTTP otherwise", () => {
    const plain = rendered.find((m) => m.kind === "Ingress");
    expect(plain?.metadata.annotations?.["alb.ingress.kubernetes.io/listen-ports"]).toBe(
      '[{"HTTP":80}]',
    );
    const arn =
      "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b";
    const https = renderWith({ ...sample, ACM_CERTIFICATE_ARN: arn });
    const ingress = https.find((m) => m.kind === "Ingress");
    expect(ingress?.metadata.annotations?.["alb.ingress.kubernetes.io/ssl-redirect"]).toBe("443");
    const params = https.find((m) => m.kind === "IngressClassParams");
    expect(params?.spec.certificateARNs).toEqual([arn]);
    expect(params?.spec.scheme).toBe("internet-facing");
  });

  // The gateway side of "writes only over HTTPS" (CONTRACTS.md, #10.11) comes with the chart value
  // gateway.auth.writesRequireHttps (default true); until the chart has it, this waits.
  const schema = JSON.parse(readFileSync(path.join(chartDir, "values.schema.json"), "utf8"));
  const chartHasIt = Boolean(
    schema.properties?.gateway?.properties?.auth?.properties?.writesRequireHttps,
  );
  it.skipIf(!chartHasIt)(
    "refuses writes that did not arrive over HTTPS, with and without a certificate (chart value gateway.auth.writesRequireHttps)",
    () => {
      for (const env of [
        sample,
        {
          ...sample,
          ACM_CERTIFICATE_ARN:
            "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
        },
      ]) {
        const gateway = renderWith(env).find(
          (m) => m.kind === "Deployment" && m.metadata.name.endsWith("-gateway"),
        );
        const container = gateway?.spec.template.spec.containers[0];
        const fromEnv = container.env?.find(
          (e: { name: string }) => e.name === "GATEWAY_WRITES_REQUIRE_HTTPS",
        )?.value;
        const config = rendered.find(
          (m) => m.kind === "ConfigMap" && m.metadata.name.endsWith("-gateway"),
        )?.data?.GATEWAY_WRITES_REQUIRE_HTTPS;
        expect(fromEnv ?? config).toBe("true");
      }
    },
  );
});

describe.skipIf(!jqAvailable)("the release namespace as the deploy job leaves it", () => {
  const namespace = cicd.env.NAMESPACE ?? "";
  const token = "ip-write-token-0f3c9a";
  const deploy = cicd.jobs.deploy?.steps ?? [];
  // From the kubeconfig to the Helm release: every step that writes to the cluster before Helm.
  const steps = deploy.slice(
    deploy.findIndex((s) => /^kubeconfig/.test(s.name ?? "")),
    deploy.findIndex((s) => /^Helm release/.test(s.name ?? "")) + 1,
  );
  const ctx: StepContext = {
    vars: {},
    secrets: { GATEWAY_WRITE_TOKENS: token },
    outputs: {
      "infra.cluster_name": "infinity-pool-dev",
      "infra.gateway_repository": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/x/gateway",
      "infra.backend_repository": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/x/backend",
      "infra.db_host": "infinity-pool-dev-db.cluster-abc.eu-west-1.rds.amazonaws.com",
      "infra.db_port": "5432",
      "infra.db_name": "infinitypool",
      "infra.db_secret_arn":
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!cluster-x-AbCdEf",
      "infra.vpc_cidr_block": "10.0.0.0/16",
      "infra.database_subnet_cidr_blocks": '["10.0.210.0/24"]',
      "infra.pod_identity_namespace": "infinity-pool",
      "infra.pod_identity_service_account": "infinity-pool-backend",
    },
    github: { GITHUB_SHA: "0123456789abcdef0123456789abcdef01234567", GITHUB_RUN_ID: "1" },
  };
  /** Kubernetes docs, "Pod Security Admission": the labels that make the API server enforce. */
  const restricted = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "latest",
  };
  const labelsOf = (o: FakeObject | null | undefined) =>
    Object.fromEntries(Object.entries(o?.labels ?? {}).map(([k, v]) => [k, v.value]));
  const namespaceOf = (state: FakeState) =>
    state.objects.find((o) => o.kind === "Namespace" && o.name === namespace);
  const helmCall = (state: FakeState) =>
    state.calls.find((c) => c.command === "helm" && c.args[0] === "upgrade");

  let first: FakeState;
  let second: FakeState;
  beforeAll(() => {
    first = runSteps(cicd, steps, ctx);
    second = runSteps(cicd, steps, ctx, { objects: first.objects, calls: [] });
  });

  it("enforces the restricted Pod Security Standard before Helm installs, on every deploy", () => {
    expect(steps.length).toBeGreaterThanOrEqual(4);
    for (const state of [first, second]) {
      expect(labelsOf(helmCall(state)?.namespaceAtCall)).toMatchObject(restricted);
      expect(labelsOf(namespaceOf(state))).toMatchObject(restricted);
    }
  });

  it("takes over a weaker level someone set by hand", () => {
    const ns: FakeObject = {
      kind: "Namespace",
      namespace: "",
      name: namespace,
      labels: {
        "pod-security.kubernetes.io/enforce": { value: "baseline", managers: ["kubectl-label"] },
      },
      annotations: {},
      data: {},
    };
    const state = runSteps(cicd, steps, ctx, { objects: [ns], calls: [] });
    expect(labelsOf(helmCall(state)?.namespaceAtCall)).toMatchObject(restricted);
  });

  it("keeps the namespace out of the release and nothing of it in a last-applied annotation", () => {
    expect(helmCall(first)?.args).not.toContain("--create-namespace");
    expect(helmCall(first)?.args).toEqual(expect.arrayContaining(["--namespace", namespace]));
    for (const o of [...first.objects, ...second.objects]) {
      expect(Object.keys(o.annotations), `${o.kind}/${o.name}`).not.toContain(lastApplied);
    }
  });

  it("puts the write tokens in the Secret the chart mounts, never on a command line", () => {
    const secret = second.objects.find(
      (o) => o.kind === "Secret" && o.name === cicd.env.WRITE_TOKENS_SECRET,
    );
    expect(secret?.namespace).toBe(namespace);
    expect(Buffer.from(secret?.data.tokens ?? "", "base64").toString()).toBe(token);
    for (const call of [...first.calls, ...second.calls]) {
      expect(call.args.join(" ")).not.toContain(token);
    }
  });

  it("without the repository secret generates a token, also written by server-side apply", () => {
    const state = runSteps(cicd, steps, { ...ctx, secrets: {} });
    const secret = state.objects.find(
      (o) => o.kind === "Secret" && o.name === cicd.env.WRITE_TOKENS_SECRET,
    );
    expect(Buffer.from(secret?.data.tokens ?? "", "base64").toString()).toMatch(/^[0-9a-f]{64}$/);
    const kubectl = state.calls.filter((c) => c.command === "kubectl");
    // Every `kubectl create secret` only renders (--dry-run); the write is the apply.
    for (const c of kubectl.filter((c) => c.args[0] === "create" && c.args[1] === "secret")) {
      expect(
        c.args.some((a) => a.startsWith("--dry-run")),
        c.args.join(" "),
      ).toBe(true);
    }
    const applies = kubectl.filter(
      (c) => c.args[0] === "apply" && (c.stdin ?? "").includes("kind: Secret"),
    );
    expect(applies.length).toBeGreaterThan(0);
    for (const c of applies) expect(c.args).toContain("--server-side");
  });
});

describe("leaving ci-access out of a destroy", () => {
  it("uses Terragrunt's --filter in the workflow and in the docs, never a legacy --queue-* flag", () => {
    const run = stepNamed(destroy, /terragrunt run --all destroy/i).run ?? "";
    expect(run).toMatch(/--filter "!\{[^"]*\/ci-access\}"/);
    const docs = ["README.md", "infrastructure/README.md"].map((f) =>
      readFileSync(path.join(repoRoot, f), "utf8"),
    );
    expect(docs[1]).toContain("--filter '!./ci-access'");
    for (const text of [run, ...allSteps(cicd).map((s) => s.run ?? ""), ...docs]) {
      expect(text).not.toMatch(/--queue-(exclude|include)-dir/);
    }
  });
});

describe("deploy and destroy never drop each other", () => {
  it("use separate concurrency groups, so a push cannot cancel a queued destroy", () => {
    expect(cicd.concurrency?.group).toBeDefined();
    expect(destroy.concurrency?.group).toBeDefined();
    expect(cicd.concurrency?.group).not.toBe(destroy.concurrency?.group);
    expect(destroy.concurrency?.["cancel-in-progress"]).toBe(false);
  });

  it("deploy skips itself while a destroy is in flight; destroy waits for deploys", () => {
    const check = cicd.jobs.preflight?.steps?.find((s) => s.id === "check");
    expect(check?.run).toContain("runs-in-flight.sh destroy.yaml");
    expect(cicd.jobs.preflight?.permissions?.actions).toBe("read");
    const wait = stepNamed(destroy, /^Wait for deploy runs/);
    expect(wait.run).toMatch(/runs-in-flight\.sh --wait \d+ cicd\.yaml/);
    const destroySteps = allSteps(destroy);
    expect(destroySteps.indexOf(wait)).toBeLessThan(
      destroySteps.findIndex((s) => /terragrunt run --all/.test(s.run ?? "")),
    );
    expect(destroy.jobs.destroy?.permissions?.actions).toBe("read");
  });
});

describe("the rest of the deploy job", () => {
  it("never fails a deploy on a build-cache export", () => {
    const builds = allSteps(cicd).filter((s) => s.uses?.startsWith("docker/build-push-action"));
    expect(builds.length).toBe(2);
    for (const b of builds) {
      const cacheTo = b.with?.["cache-to"];
      if (cacheTo === undefined) continue;
      expect(cacheTo, b.name).toMatch(/(^|,)ignore-error=true(,|$)/);
    }
  });

  it("enables the network policy controller before the chart installs", () => {
    const steps = allSteps(cicd);
    const enable = steps.findIndex((s) =>
      (s.run ?? "").includes("infrastructure/kubernetes/network-policy-controller.yaml"),
    );
    const helmInstall = steps.findIndex((s) => /helm upgrade --install/.test(s.run ?? ""));
    expect(enable).toBeGreaterThanOrEqual(0);
    expect(enable).toBeLessThan(helmInstall);
    const manifest = parse(
      readFileSync(path.join(infraDir, "kubernetes/network-policy-controller.yaml"), "utf8"),
    );
    expect(manifest).toEqual({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "amazon-vpc-cni", namespace: "kube-system" },
      data: { "enable-network-policy-controller": "true" },
    });
  });

  it("writes Secrets only by server-side apply, so no last-applied annotation holds the tokens", () => {
    const texts = [
      ...allSteps(cicd).map((s) => s.run ?? ""),
      ...allSteps(destroy).map((s) => s.run ?? ""),
      script("write-tokens-secret.sh"),
    ];
    for (const t of texts) {
      for (const line of t.split("\n").filter((l) => /kubectl apply/.test(l))) {
        expect(line, line).toContain("--server-side");
      }
      // A `kubectl create` that reaches the cluster would store the object without that apply's
      // field manager; it may only render a manifest for the apply (on the next line).
      const joined = t.replace(/\\\n\s*/g, " ");
      for (const line of joined.split("\n").filter((l) => /kubectl create (secret|-f)/.test(l))) {
        expect(line, line).toContain("--dry-run=client");
      }
    }
    expect(stepNamed(cicd, /write tokens/i).run).toContain("write-tokens-secret.sh");
  });

  it("uses only Terraform >= 1.11.1 and the pinned versions everywhere", () => {
    for (const wf of [cicd, destroy, workflow("ci.yaml")]) {
      expect(wf.env.TERRAFORM_VERSION, wf.name).toMatch(/^1\.(1[1-9]|[2-9]\d)\.\d+$/);
      expect(wf.env.TERRAFORM_VERSION).not.toBe("1.11.0");
      for (const s of allSteps(wf).filter((x) => x.uses?.startsWith("hashicorp/setup-terraform"))) {
        expect(s.with?.terraform_version).toBe(ghExpr("env.TERRAFORM_VERSION"));
      }
    }
  });
});

describe("repository layout the pipeline relies on", () => {
  it("every script a workflow calls exists", () => {
    for (const wf of [cicd, destroy, workflow("ci.yaml")]) {
      for (const s of allSteps(wf)) {
        for (const m of (s.run ?? "").matchAll(/\.github\/scripts\/([\w.-]+\.sh)/g)) {
          expect(() => script(m[1] ?? ""), `${wf.name}: ${m[1]}`).not.toThrow();
        }
      }
    }
    expect(repoRoot).toBe(path.resolve(infraDir, ".."));
  });
});
