// The provider-free modules (trust policy, Availability Zone choice, access entries, settings) run
// their `terraform test` files with the real terraform binary, and the whole tree must be formatted
// the way `terraform fmt` formats it. Skipped, with the reason, on machines without terraform.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { findTerraform, infraDir, run, testModule } from "./support/terraform.ts";
import { PROVIDER_FREE_MODULES } from "./tree.ts";

const terraform = findTerraform();
const reason = "missing" in terraform ? terraform.missing : "";

describe.skipIf(reason !== "")(`provider-free modules under terraform test ${reason}`, () => {
  const bin = "bin" in terraform ? terraform.bin : "terraform";

  for (const name of PROVIDER_FREE_MODULES) {
    it(`${name}: every run in tests/*.tftest.hcl passes`, () => {
      const result = testModule(bin, path.join(infraDir, "modules", name));
      const out = result.stdout + result.stderr;
      expect(out, out).toMatch(/Success! \d+ passed, 0 failed/);
      expect(result.status).toBe(0);
    });
  }

  it("terraform fmt -check -recursive finds nothing to rewrite", () => {
    const data = mkdtempSync(path.join(tmpdir(), "tf-fmt-"));
    try {
      const result = run(
        bin,
        ["fmt", "-check", "-recursive", "-diff", "-no-color"],
        infraDir,
        data,
      );
      expect(result.stdout + result.stderr).not.toMatch(/\.tf|\.hcl/);
      expect(result.status).toBe(0);
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });

  it("terraform test notices a broken rule (the runner can fail)", () => {
    // A module copy whose zone choice ignores the refused-zone list must fail its own test file.
    const copy = mkdtempSync(path.join(tmpdir(), "tf-broken-"));
    try {
      const src = path.join(infraDir, "modules", "availability-zones");
      spawnSync("cp", ["-r", `${src}/.`, copy]);
      spawnSync("sed", [
        "-i",
        "s/if !contains(var.excluded_zone_ids, var.zone_ids\\[i\\])/if true/",
        path.join(copy, "main.tf"),
      ]);
      const result = testModule(bin, copy);
      expect(result.stdout + result.stderr).toMatch(
        /run "the_zone_eks_refuses_is_skipped"\.\.\. fail/,
      );
      expect(result.status).not.toBe(0);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
