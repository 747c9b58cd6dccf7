// Every user-supplied setting is checked by .github/scripts/validate-settings.sh (the provider-free
// settings module under the real terraform) before the pipeline or bootstrap creates anything. Each
// bad value must stop the run with a message that names the setting.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { findTerraform, repoRoot } from "./support/terraform.ts";

const terraform = findTerraform();
const jq = spawnSync("jq", ["--version"]).status === 0;
const reason = "missing" in terraform ? terraform.missing : jq ? "" : "(jq is not installed)";
const script = path.join(repoRoot, ".github/scripts/validate-settings.sh");

const base = {
  GITHUB_REPOSITORY: "octo-org/vigilant-pancake",
  GITHUB_REPOSITORY_ID: "987654321",
  GITHUB_REPOSITORY_OWNER_ID: "1234567",
};

function validate(settings: Record<string, string>) {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...base,
    ...settings,
  };
  const result = spawnSync("bash", [script], { encoding: "utf8", env, timeout: 120_000 });
  return { status: result.status, out: `${result.stdout}${result.stderr}` };
}

describe.skipIf(reason !== "")(`validate-settings.sh ${reason}`, () => {
  it("accepts the defaults and reports what will be trusted", () => {
    const { status, out } = validate({});
    expect(out).toContain("deployment infinity-pool-dev in eu-west-1");
    expect(out).toContain("repo:octo-org@1234567/vigilant-pancake@987654321:ref:refs/heads/main");
    expect(status).toBe(0);
  });

  it("accepts a full custom configuration", () => {
    const { status, out } = validate({
      TG_DEPLOYMENT: "infinity-pool-alice",
      AWS_REGION: "us-west-1",
      TG_DEPLOY_BRANCHES: "main,release/2026",
      TG_DEPLOY_ENVIRONMENTS: "production",
      TG_CREATE_GITHUB_OIDC_PROVIDER: "false",
      TG_CLUSTER_ADMIN_ARNS:
        "arn:aws:iam::123456789012:user/infinity-pool,arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_1",
      TG_API_ALLOWED_CIDRS: "203.0.113.0/24, 198.51.100.7/32",
      INGRESS_SCHEME: "internal",
      ACM_CERTIFICATE_ARN:
        "arn:aws:acm:us-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
    });
    expect(out).toContain("load balancer: infinity-pool-alice-gateway (internal)");
    expect(status).toBe(0);
  });

  // One bad value per setting; the message must name it.
  const cases: [string, Record<string, string>][] = [
    ["TG_DEPLOYMENT", { TG_DEPLOYMENT: "Infinity_Pool" }],
    ["TG_DEPLOYMENT", { TG_DEPLOYMENT: "infinity--pool" }],
    ["TG_DEPLOYMENT", { TG_DEPLOYMENT: "a-key-that-is-much-too-long" }],
    ["TG_DEPLOYMENT", { TG_DEPLOYMENT: "internal-tools" }],
    ["AWS_REGION", { AWS_REGION: "eu-west" }],
    ["AWS_REGION", { AWS_REGION: "cn-north-1" }],
    ["AWS_REGION", { AWS_REGION: "ap-southeast-7" }],
    ["GITHUB_REPOSITORY", { GITHUB_REPOSITORY: "no-owner" }],
    ["GITHUB_REPOSITORY_ID", { GITHUB_REPOSITORY_ID: "" }],
    ["GITHUB_REPOSITORY_OWNER_ID", { GITHUB_REPOSITORY_OWNER_ID: "octo-org" }],
    ["TG_DEPLOY_BRANCHES", { TG_DEPLOY_BRANCHES: "main,feature/*" }],
    ["TG_DEPLOY_BRANCHES", { TG_DEPLOY_BRANCHES: "main,main" }],
    ["TG_DEPLOY_ENVIRONMENTS", { TG_DEPLOY_ENVIRONMENTS: "prod*" }],
    ["TG_DEPLOY_BRANCHES", { TG_DEPLOY_BRANCHES: ",", TG_DEPLOY_ENVIRONMENTS: "" }],
    ["TG_CREATE_GITHUB_OIDC_PROVIDER", { TG_CREATE_GITHUB_OIDC_PROVIDER: "yes" }],
    [
      "TG_CLUSTER_ADMIN_ARNS",
      { TG_CLUSTER_ADMIN_ARNS: "arn:aws:sts::123456789012:assumed-role/Admin/alice" },
    ],
    ["TG_CLUSTER_ADMIN_ARNS", { TG_CLUSTER_ADMIN_ARNS: "alice" }],
    ["TG_API_ALLOWED_CIDRS", { TG_API_ALLOWED_CIDRS: "203.0.113.7/24" }],
    ["TG_API_ALLOWED_CIDRS", { TG_API_ALLOWED_CIDRS: "10.0.0.0/16" }],
    ["TG_API_ALLOWED_CIDRS", { TG_API_ALLOWED_CIDRS: "my-office" }],
    ["INGRESS_SCHEME", { INGRESS_SCHEME: "public" }],
    [
      "ACM_CERTIFICATE_ARN",
      {
        ACM_CERTIFICATE_ARN:
          "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
      },
    ],
    ["ACM_CERTIFICATE_ARN", { ACM_CERTIFICATE_ARN: "my-certificate" }],
  ];
  it.each(cases)("refuses a bad %s, naming it: %j", (setting, settings) => {
    const { status, out } = validate(settings);
    expect(out).toContain("invalid deployment settings; nothing was created");
    expect(out).toMatch(new RegExp(`validate-settings: ${setting}\\b`));
    expect(status).toBe(1);
  });
});
