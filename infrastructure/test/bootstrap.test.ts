// bootstrap-oidc.sh run end to end on this machine: the real settings gate (terraform), with the
// terragrunt and gh command lines recorded instead of reaching AWS and GitHub. What it stores as
// repository variables must be exactly the settings it applied the ci-access unit with, so the
// pipeline's next run re-applies the same configuration (same Region and deployment key, hence the
// same state bucket; same branches, environments and OIDC provider choice).
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { envHclSettings } from "./support/pipeline.ts";
import { findTerraform, repoRoot } from "./support/terraform.ts";

const terraform = findTerraform();
const jq = spawnSync("jq", ["--version"]).status === 0;
const reason = "missing" in terraform ? terraform.missing : jq ? "" : "(jq is not installed)";
let dir = "";
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs the script with recording terragrunt and gh first on PATH; returns their calls. */
function bootstrap(env: Record<string, string>, existingVariables: string[] = []) {
  dir = mkdtempSync(path.join(tmpdir(), "bootstrap-"));
  const log = path.join(dir, "calls");
  const record = (tool: string, body: string) => {
    const file = path.join(dir, tool);
    writeFileSync(
      file,
      `#!/usr/bin/env bash\nprintf '${tool}' >>"${log}"; printf ' %q' "$@" >>"${log}"; echo >>"${log}"\n${body}\n`,
    );
    chmodSync(file, 0o755);
  };
  record(
    "terragrunt",
    `for a in "$@"; do [[ $a == -raw ]] && { echo "arn:aws:iam::123456789012:role/$TG_DEPLOYMENT-github-deploy"; exit 0; }; done; env | grep -E '^(TG_|AWS_REGION|GITHUB_REPOSITORY)' | sort >"${dir}/terragrunt-env"`,
  );
  record(
    "gh",
    `case "$1 $2" in
  "auth status") exit 0 ;;
  "api repos/octo-org/vigilant-pancake") [[ $4 == .id ]] && echo 987654321 || echo 1234567 ;;
  "variable get") grep -qx "$3" "${dir}/existing" ;;
esac`,
  );
  writeFileSync(path.join(dir, "existing"), existingVariables.join("\n"));
  const result = spawnSync("bash", [path.join(repoRoot, ".github/scripts/bootstrap-oidc.sh")], {
    encoding: "utf8",
    env: {
      PATH: `${dir}:${process.env.PATH}`,
      HOME: process.env.HOME,
      GITHUB_REPOSITORY: "octo-org/vigilant-pancake",
      ...env,
    },
    timeout: 120_000,
  });
  const read = (file: string) => {
    try {
      return readFileSync(file, "utf8");
    } catch {
      return "";
    }
  };
  const calls = read(log).trim().split("\n");
  const applied = Object.fromEntries(
    read(path.join(dir, "terragrunt-env"))
      .trim()
      .split("\n")
      .filter((l) => l.includes("="))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
  const stored = Object.fromEntries(
    calls
      .filter((c) => c.startsWith("gh variable set"))
      .map((c) => {
        const m = /^gh variable set (\S+) --repo \S+ --body (.*)$/.exec(c);
        return [m?.[1] ?? "", (m?.[2] ?? "").replace(/\\(.)/g, "$1")];
      }),
  );
  const deleted = calls
    .filter((c) => c.startsWith("gh variable delete"))
    .map((c) => c.split(" ")[3]);
  return { status: result.status, out: result.stdout + result.stderr, applied, stored, deleted };
}

describe.skipIf(reason !== "")(`bootstrap-oidc.sh ${reason}`, () => {
  it("stores the role ARN and every setting it applied with", () => {
    const { status, out, applied, stored } = bootstrap({
      AWS_REGION: "eu-central-1",
      TG_DEPLOYMENT: "infinity-pool-alice",
      TG_DEPLOY_BRANCHES: "main,release",
      TG_DEPLOY_ENVIRONMENTS: "production",
      TG_CREATE_GITHUB_OIDC_PROVIDER: "false",
    });
    expect(status, out).toBe(0);
    expect(stored.AWS_ROLE_ARN).toBe(
      "arn:aws:iam::123456789012:role/infinity-pool-alice-github-deploy",
    );
    for (const name of envHclSettings().keys()) {
      if (name.startsWith("GITHUB_")) continue;
      expect(stored[name], name).toBe(applied[name]);
    }
    expect(applied.GITHUB_REPOSITORY_ID).toBe("987654321");
    expect(applied.GITHUB_REPOSITORY_OWNER_ID).toBe("1234567");
  });

  it("stores the Region and deployment key even when it used the defaults", () => {
    const { status, stored } = bootstrap({});
    expect(status).toBe(0);
    expect(stored.AWS_REGION).toBe("eu-west-1");
    expect(stored.TG_DEPLOYMENT).toBe("infinity-pool-dev");
  });

  it("deletes a leftover repository variable for a setting it ran without", () => {
    const { status, deleted, stored } = bootstrap({}, [
      "TG_DEPLOY_BRANCHES",
      "TG_API_ALLOWED_CIDRS",
    ]);
    expect(status).toBe(0);
    expect(deleted.sort()).toEqual(["TG_API_ALLOWED_CIDRS", "TG_DEPLOY_BRANCHES"]);
    expect(stored.TG_DEPLOY_BRANCHES).toBeUndefined();
  });

  it("creates nothing when a setting is invalid, and names it", () => {
    const { status, out, applied } = bootstrap({ TG_API_ALLOWED_CIDRS: "10.0.0.0/8" });
    expect(status).not.toBe(0);
    expect(out).toContain("TG_API_ALLOWED_CIDRS");
    expect(applied).toEqual({});
    expect(readFileSync(path.join(dir, "calls"), "utf8")).not.toMatch(/^terragrunt/m);
  });
});
