import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  applyOrder,
  CONTRACT_OUTPUTS,
  checkTree,
  EXPECTED_MODULES,
  isFormatted,
  listHclFiles,
  loadTree,
  parseFile,
  type Tree,
} from "./tree.ts";

const infraDir = path.resolve(import.meta.dirname, "..");

let tree: Tree;
beforeAll(async () => {
  tree = await loadTree(infraDir);
});

describe("the infrastructure tree as committed", () => {
  it("parses every .tf and .hcl file", async () => {
    const files = await listHclFiles(infraDir);
    // 10 modules x 4 files, root.hcl, env.hcl and 6 units.
    expect(files.length).toBeGreaterThanOrEqual(48);
    for (const file of files) {
      await expect(parseFile(file), file).resolves.toBeTypeOf("object");
    }
  });

  it("is formatted the way terraform fmt and terragrunt hcl fmt format it", async () => {
    const unformatted: string[] = [];
    for (const file of await listHclFiles(infraDir)) {
      if (!(await isFormatted(file))) unformatted.push(path.relative(infraDir, file));
    }
    expect(unformatted).toEqual([]);
  });

  it("has no lone interpolations, which terraform fmt unwraps beyond what hclwrite does", async () => {
    const offending: string[] = [];
    for (const file of await listHclFiles(infraDir)) {
      if (!file.endsWith(".tf")) continue;
      const lines = (await readFile(file, "utf8")).split("\n");
      lines.forEach((line, i) => {
        if (/=\s*"\$\{[^{}"]*\}"\s*$/.test(line)) {
          offending.push(`${path.relative(infraDir, file)}:${i + 1}`);
        }
      });
    }
    expect(offending).toEqual([]);
  });

  it("passes every static check (inputs, required variables, dependency outputs, mocks, contract)", () => {
    expect(checkTree(tree)).toEqual([]);
  });

  it("has one unit per deployed module, each using its own module", () => {
    expect([...tree.units.keys()].sort()).toEqual([...EXPECTED_MODULES].sort());
    for (const unit of tree.units.values()) expect(unit.moduleName).toBe(unit.name);
  });

  it("exposes the outputs the pipeline and the chart read", () => {
    for (const [unit, outputs] of Object.entries(CONTRACT_OUTPUTS)) {
      const mod = tree.modules.get(unit);
      expect(mod, unit).toBeDefined();
      for (const o of outputs) expect(mod?.outputs.has(o), `${unit}.${o}`).toBe(true);
    }
  });

  it("applies in dependency order: network and ci-access before the cluster, the cluster before the database, workload access last", () => {
    const order = applyOrder(tree);
    const at = (u: string) => order.indexOf(u);
    expect(order).toHaveLength(6);
    expect(at("network")).toBeLessThan(at("cluster"));
    expect(at("ci-access")).toBeLessThan(at("cluster"));
    expect(at("cluster")).toBeLessThan(at("database"));
    expect(at("database")).toBeLessThan(at("workload-access"));
    expect(at("cluster")).toBeLessThan(at("workload-access"));
  });

  it("derives the cluster name eks-<deployment> and defaults to infinity-pool-dev in eu-west-1", async () => {
    const env = await readFile(path.join(infraDir, "live/dev/env.hcl"), "utf8");
    expect(env).toContain('coalesce(trimspace(get_env("TG_DEPLOYMENT", "")), "infinity-pool-dev")');
    expect(env).toContain('coalesce(trimspace(get_env("AWS_REGION", "")), "eu-west-1")');
    const cluster = await readFile(path.join(infraDir, "modules/cluster/main.tf"), "utf8");
    expect(cluster).toContain(`cluster_name = "eks-\${var.deployment}"`);
  });

  it("grants cluster access through explicit access entries, never creator-admin", async () => {
    const main = await parseFile(path.join(infraDir, "modules/cluster/main.tf"));
    const eks = (main.module as Record<string, Record<string, unknown>[]>).eks?.[0];
    expect(eks?.enable_cluster_creator_admin_permissions).toBe(false);
    expect(eks?.authentication_mode).toBe("API");
    expect(eks?.access_entries).toBe(`\${module.access.access_entries}`);
    expect(eks?.compute_config).toMatchObject({ enabled: true });
  });

  it("runs Aurora Serverless v2 with a managed secret, encryption and TLS forced", async () => {
    const main = await readFile(path.join(infraDir, "modules/database/main.tf"), "utf8");
    expect(main).toContain('instance_class = "db.serverless"');
    expect(main).toContain("manage_master_user_password   = true");
    expect(main).toContain("storage_encrypted = true");
    expect(main).toMatch(/name\s+= "rds\.force_ssl"\s+value\s+= "1"/);
    expect(main).toContain("referenced_security_group_id = sg");
    expect(main).not.toMatch(/cidr_ipv4/);
  });

  it("lets the backend read only the database secret", async () => {
    const main = await readFile(path.join(infraDir, "modules/workload-access/main.tf"), "utf8");
    expect(main).toContain('actions   = ["secretsmanager:GetSecretValue"]');
    expect(main).toContain("resources = [var.database_secret_arn]");
    expect(main).not.toMatch(/secretsmanager:\*|resources\s*=\s*\["\*"\]/);
  });

  it("takes the deploy role's trust policy from the provider-free github-oidc-trust module", async () => {
    // What the policy accepts is evaluated with IAM semantics in trust-policy.test.ts.
    const main = await readFile(path.join(infraDir, "modules/ci-access/main.tf"), "utf8");
    expect(main).toContain("assume_role_policy   = module.trust.policy_json");
    expect(main).toContain('source = "../github-oidc-trust"');
    expect(main).not.toContain("aws_iam_policy_document");
  });
});

describe("the checks catch broken trees", () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), "infra-check-"));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  let counter = 0;
  /** A copy of the tree with one text replacement applied; fails if the text is not there. */
  async function brokenTree(file: string, from: string | RegExp, to: string): Promise<string> {
    counter += 1;
    const dir = path.join(work, `case-${counter}`);
    await cp(path.join(infraDir, "modules"), path.join(dir, "modules"), { recursive: true });
    await cp(path.join(infraDir, "live"), path.join(dir, "live"), { recursive: true });
    const target = path.join(dir, file);
    const text = await readFile(target, "utf8");
    const changed = text.replace(from, to);
    expect(changed, `fixture edit did not apply to ${file}`).not.toBe(text);
    await writeFile(target, changed);
    return dir;
  }

  async function problemsOf(dir: string): Promise<string[]> {
    return checkTree(await loadTree(dir));
  }

  it("an input that is not a variable of the module", async () => {
    const dir = await brokenTree(
      "live/dev/registry/terragrunt.hcl",
      "force_delete = true",
      "force_delete = true\n  forcedelete  = true",
    );
    expect(await problemsOf(dir)).toContain(
      "unit registry: input forcedelete is not a variable of module registry",
    );
  });

  it("a required variable that no input supplies", async () => {
    const dir = await brokenTree(
      "live/dev/cluster/terragrunt.hcl",
      /\n {2}vpc_id\s+= dependency\.network\.outputs\.vpc_id/,
      "",
    );
    expect(await problemsOf(dir)).toContain(
      "unit cluster: required variable vpc_id of module cluster is not supplied",
    );
  });

  it("a dependency output that the dependency's module does not have", async () => {
    const dir = await brokenTree(
      "live/dev/database/terragrunt.hcl",
      "dependency.network.outputs.database_subnet_group_name",
      "dependency.network.outputs.db_subnet_group",
    );
    const problems = await problemsOf(dir);
    expect(problems).toContain(
      "unit database: reads dependency.network.outputs.db_subnet_group, not an output of module network",
    );
  });

  it("a mock output that is not a real output", async () => {
    const dir = await brokenTree(
      "live/dev/cluster/terragrunt.hcl",
      'vpc_id             = "vpc-00000000000000000"',
      'vpc_id             = "vpc-00000000000000000"\n    vpc                = "vpc-1"',
    );
    expect(await problemsOf(dir)).toContain(
      "unit cluster: mock output vpc of dependency network is not an output of module network",
    );
  });

  it("mocks allowed for apply", async () => {
    const dir = await brokenTree(
      "live/dev/workload-access/terragrunt.hcl",
      'mock_outputs_allowed_terraform_commands = ["init", "validate", "plan", "destroy"]',
      'mock_outputs_allowed_terraform_commands = ["init", "validate", "plan", "apply"]',
    );
    expect(await problemsOf(dir)).toContain(
      'unit workload-access: dependency cluster allows mock outputs for "apply", which would apply fake values',
    );
  });

  it("a mock that the receiving variable's validation would reject", async () => {
    const dir = await brokenTree(
      "live/dev/cluster/terragrunt.hcl",
      '"vpc-00000000000000000"',
      '"mock-vpc"',
    );
    expect(await problemsOf(dir)).toContain(
      'unit cluster: mock network.vpc_id = "mock-vpc" fails the validation of vpc_id',
    );
  });

  it("a contract output removed from a module", async () => {
    const dir = await brokenTree(
      "modules/registry/outputs.tf",
      'output "repository_urls"',
      'output "repository_url_map"',
    );
    expect(await problemsOf(dir)).toContain(
      "unit registry: contract output repository_urls is missing from module registry",
    );
  });

  it("a variable without description or validation", async () => {
    const dir = await brokenTree(
      "modules/network/variables.tf",
      /variable "az_count" \{[\s\S]*?\n\}\n/,
      'variable "az_count" {\n  type    = number\n  default = 3\n}\n',
    );
    const problems = await problemsOf(dir);
    expect(problems).toContain("module network: variable az_count needs a description");
    expect(problems).toContain("module network: variable az_count needs a validation block");
  });

  it("a variable with a legacy quoted type", async () => {
    const dir = await brokenTree(
      "modules/registry/variables.tf",
      /(variable "force_delete" \{[\s\S]*?)type {8}= bool/,
      '$1type        = "bool"',
    );
    expect(await problemsOf(dir)).toContain(
      "module registry: variable force_delete has a quoted type",
    );
  });

  it("a fixed global name that ignores the deployment key", async () => {
    const dir = await brokenTree(
      "modules/ci-access/main.tf",
      `name                 = "\${var.deployment}-github-deploy"`,
      'name                 = "github-deploy"',
    );
    expect(await problemsOf(dir)).toContain(
      'module ci-access: aws_iam_role.deploy name "github-deploy" does not derive from the deployment key',
    );
  });

  it("an upstream module not pinned to the exact release", async () => {
    const dir = await brokenTree(
      "modules/cluster/main.tf",
      'version = "21.19.0"',
      'version = "~> 21.0"',
    );
    expect(await problemsOf(dir)).toContain(
      'module cluster: module.eks must pin terraform-aws-modules/eks/aws to "21.19.0", got ~> 21.0',
    );
  });

  it("a provider floor below what the pinned modules need", async () => {
    const dir = await brokenTree(
      "modules/database/versions.tf",
      'version = ">= 6.28, < 7.0"',
      'version = "~> 6.18"',
    );
    expect(await problemsOf(dir)).toContain(
      'module database: aws provider must be ">= 6.28, < 7.0", got ~> 6.18',
    );
  });

  it("a Terraform floor below rds-aurora's 1.11.1", async () => {
    const dir = await brokenTree(
      "modules/database/versions.tf",
      'required_version = ">= 1.11.1"',
      'required_version = ">= 1.11"',
    );
    expect(await problemsOf(dir)).toContain(
      'module database: required_version must be ">= 1.11.1", got >= 1.11',
    );
  });

  it("state locking through DynamoDB instead of the S3 lockfile", async () => {
    const dir = await brokenTree(
      "live/root.hcl",
      "use_lockfile = true",
      'dynamodb_table = "locks"',
    );
    const problems = await problemsOf(dir);
    expect(problems).toContain(
      "root.hcl: remote_state must use the native S3 lockfile (use_lockfile = true)",
    );
    expect(problems).toContain("root.hcl: DynamoDB locking is superseded by use_lockfile");
  });

  it("a dependency cycle", async () => {
    const dir = await brokenTree(
      "live/dev/network/terragrunt.hcl",
      "inputs = {",
      'dependency "cluster" {\n  config_path                             = "../cluster"\n  mock_outputs_allowed_terraform_commands = ["plan"]\n}\n\ninputs = {',
    );
    expect((await problemsOf(dir)).some((p) => p.startsWith("dependency cycle:"))).toBe(true);
  });

  it("a file with a syntax error", async () => {
    const dir = await brokenTree(
      "modules/registry/main.tf",
      "for_each = toset(var.services)",
      "for_each = toset(var.services",
    );
    await expect(loadTree(dir)).rejects.toThrow(/main\.tf/);
  });

  it("a file terraform fmt would rewrite", async () => {
    const dir = await brokenTree(
      "modules/registry/main.tf",
      "force_delete         = var.force_delete",
      "force_delete = var.force_delete",
    );
    expect(await isFormatted(path.join(dir, "modules/registry/main.tf"))).toBe(false);
  });
});
