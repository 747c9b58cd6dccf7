// Each Terragrunt unit commits its .terraform.lock.hcl (Terragrunt copies it into its working copy
// and back), so every run installs the same provider builds. The hashes were transcribed from
// lock files that `terraform init` wrote against registry.terraform.io (zh: is the SHA-256 of each
// platform's release zip, h1: of a package's contents); this checks their form and that each unit
// locks every provider its pinned modules need, at a version those modules accept.
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "@cdktf/hcl2json";
import { describe, expect, it } from "vitest";
import { infraDir } from "./support/terraform.ts";
import { EXPECTED_MODULES, REQUIRED_AWS_PROVIDER } from "./tree.ts";

/**
 * Providers each unit's configuration needs: its own versions.tf (aws) plus every module it calls,
 * read from the pinned tags' versions.tf. terraform-aws-modules/eks 21.19.0 requires tls and time
 * and its node-group submodules (in the configuration even when unused) cloudinit and null.
 */
const NEEDED: Record<string, string[]> = {
  network: ["aws"],
  cluster: ["aws", "cloudinit", "null", "time", "tls"],
  database: ["aws"],
  registry: ["aws"],
  "workload-access": ["aws"],
  "ci-access": ["aws"],
};

type Locked = { version: string; hashes: string[] };

async function lockOf(unit: string): Promise<Map<string, Locked>> {
  const file = path.join(infraDir, "live/dev", unit, ".terraform.lock.hcl");
  const doc = (await parse(".terraform.lock.hcl", readFileSync(file, "utf8"))) as {
    provider: Record<string, { version: string; hashes: string[] }[]>;
  };
  return new Map(
    Object.entries(doc.provider).map(([addr, [body]]) => [
      addr.replace("registry.terraform.io/hashicorp/", ""),
      { version: body?.version ?? "", hashes: body?.hashes ?? [] },
    ]),
  );
}

const versionAtLeast = (v: string, floor: string) => {
  const a = v.split(".").map(Number);
  const b = floor.split(".").map(Number);
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
};

describe("provider lock files", () => {
  it("the table of needed providers covers every unit", () => {
    expect(Object.keys(NEEDED).sort()).toEqual([...EXPECTED_MODULES].sort());
  });

  for (const unit of EXPECTED_MODULES) {
    it(`${unit}: locks exactly the providers it needs, with real-looking hashes`, async () => {
      const lock = await lockOf(unit);
      expect([...lock.keys()].sort()).toEqual(NEEDED[unit]);
      for (const [name, entry] of lock) {
        expect(entry.version, name).toMatch(/^\d+\.\d+\.\d+$/);
        const zh = entry.hashes.filter((h) => h.startsWith("zh:"));
        // One zh: per platform zip in the release's SHA256SUMS (a dozen or more for HashiCorp's).
        expect(zh.length, `${unit} ${name} zh: hashes`).toBeGreaterThanOrEqual(10);
        for (const h of entry.hashes)
          expect(h, name).toMatch(/^(zh:[0-9a-f]{64}|h1:[A-Za-z0-9+/]{43}=)$/);
        expect(new Set(entry.hashes).size).toBe(entry.hashes.length);
      }
    });
  }

  it("locks hashicorp/aws at a version the pinned modules accept (>= 6.28, < 7)", async () => {
    expect(REQUIRED_AWS_PROVIDER).toBe(">= 6.28, < 7.0");
    for (const unit of EXPECTED_MODULES) {
      const aws = (await lockOf(unit)).get("aws");
      expect(versionAtLeast(aws?.version ?? "0.0.0", "6.28.0"), unit).toBe(true);
      expect(aws?.version.startsWith("6."), unit).toBe(true);
    }
  });

  it("every unit locks the same build of a provider", async () => {
    const seen = new Map<string, string>();
    for (const unit of EXPECTED_MODULES) {
      for (const [name, entry] of await lockOf(unit)) {
        const key = `${entry.version} ${[...entry.hashes].sort().join(",")}`;
        expect(seen.get(name) ?? key, `${unit} ${name}`).toBe(key);
        seen.set(name, key);
      }
    }
  });
});
