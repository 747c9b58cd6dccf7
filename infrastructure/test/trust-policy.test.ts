// The deploy role's trust policy, rendered by the real github-oidc-trust module, evaluated with IAM's
// condition semantics against the sub claims GitHub really issues: the name form
// repo:OWNER/REPO:... and, for repositories created, renamed or transferred since GitHub's 2026
// cut-over (and any that opted in), the immutable form repo:OWNER@OWNER_ID/REPO@REPO_ID:...
// (docs.github.com, "OpenID Connect reference", immutable subject claims).
import { beforeAll, describe, expect, it } from "vitest";
import {
  allowsWebIdentity,
  conditionsMatch,
  type PolicyDocument,
} from "./support/iam-conditions.ts";
import { applyRoot, findTerraform, infraDir } from "./support/terraform.ts";

const terraform = findTerraform();
const reason = "missing" in terraform ? terraform.missing : "";
const provider = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";

const claims = (sub: string, aud = "sts.amazonaws.com") => ({
  "token.actions.githubusercontent.com:sub": sub,
  "token.actions.githubusercontent.com:aud": aud,
});

describe("the IAM condition evaluator used below", () => {
  it("treats StringEquals as exact and StringLike as a glob, keys case-insensitively", () => {
    const exact = {
      StringEquals: { "Token.Actions.GithubUserContent.com:SUB": ["repo:a/b:ref:refs/heads/main"] },
    };
    expect(conditionsMatch(exact, claims("repo:a/b:ref:refs/heads/main"))).toBe(true);
    expect(conditionsMatch(exact, claims("repo:a/b:ref:refs/heads/Main"))).toBe(false);
    const like = { StringLike: { "token.actions.githubusercontent.com:sub": "repo:a/*" } };
    expect(conditionsMatch(like, claims("repo:a/b:ref:refs/heads/anything"))).toBe(true);
    expect(conditionsMatch(like, claims("repo:ab/b:ref:refs/heads/main"))).toBe(false);
    expect(() => conditionsMatch({ ForAnyValue: {} } as never, {})).toThrow(/not supported/);
  });
});

describe.skipIf(reason !== "")(`the rendered deploy-role trust policy ${reason}`, () => {
  let policy: PolicyDocument;
  let subjects: string[];

  beforeAll(() => {
    const bin = "bin" in terraform ? terraform.bin : "terraform";
    const result = applyRoot(
      bin,
      `module "trust" {
  source                     = "${infraDir}/modules/github-oidc-trust"
  github_repository          = "octo-org/vigilant-pancake"
  github_repository_id       = "987654321"
  github_repository_owner_id = "1234567"
  allowed_branches           = ["main"]
  allowed_environments       = ["production"]
  oidc_provider_arn          = "${provider}"
}
output "policy" { value = module.trust.policy_json }
output "subjects" { value = module.trust.subjects }
`,
    );
    expect(result.status, result.stderr).toBe(0);
    policy = JSON.parse(result.outputs.policy as string) as PolicyDocument;
    subjects = result.outputs.subjects as string[];
  });

  const allowed = (sub: string, aud?: string) =>
    allowsWebIdentity(policy, provider, claims(sub, aud));

  it("accepts the main branch in both subject forms", () => {
    expect(allowed("repo:octo-org/vigilant-pancake:ref:refs/heads/main")).toBe(true);
    expect(allowed("repo:octo-org@1234567/vigilant-pancake@987654321:ref:refs/heads/main")).toBe(
      true,
    );
  });

  it("accepts the listed environment in both subject forms", () => {
    expect(allowed("repo:octo-org/vigilant-pancake:environment:production")).toBe(true);
    expect(allowed("repo:octo-org@1234567/vigilant-pancake@987654321:environment:production")).toBe(
      true,
    );
  });

  it("rejects another branch, environment, pull requests and tags", () => {
    for (const sub of [
      "repo:octo-org/vigilant-pancake:ref:refs/heads/feature",
      "repo:octo-org@1234567/vigilant-pancake@987654321:ref:refs/heads/feature",
      "repo:octo-org/vigilant-pancake:environment:staging",
      "repo:octo-org@1234567/vigilant-pancake@987654321:environment:staging",
      "repo:octo-org/vigilant-pancake:pull_request",
      "repo:octo-org@1234567/vigilant-pancake@987654321:ref:refs/tags/v1",
      "repo:octo-org@1234567/vigilant-pancake@987654321:ref:refs/heads/main:extra",
    ]) {
      expect(allowed(sub), sub).toBe(false);
    }
  });

  it("rejects another repository, including one that reuses the name with other ids", () => {
    for (const sub of [
      "repo:octo-org/other-repo:ref:refs/heads/main",
      "repo:evil-org/vigilant-pancake:ref:refs/heads/main",
      "repo:octo-org@7654321/vigilant-pancake@987654321:ref:refs/heads/main",
      "repo:octo-org@1234567/vigilant-pancake@111111111:ref:refs/heads/main",
      "repo:octo-org/vigilant-pancake-fork:ref:refs/heads/main",
    ]) {
      expect(allowed(sub), sub).toBe(false);
    }
  });

  it("rejects a token minted for another audience", () => {
    expect(
      allowed("repo:octo-org/vigilant-pancake:ref:refs/heads/main", "https://github.com/octo-org"),
    ).toBe(false);
  });

  it("uses exact matches only: no wildcard in any trusted subject", () => {
    expect(Object.keys(policy.Statement[0]?.Condition ?? {})).toEqual(["StringEquals"]);
    for (const s of subjects) expect(s).not.toMatch(/[*?]/);
    expect(JSON.stringify(policy).length).toBeLessThanOrEqual(2048);
  });
});
