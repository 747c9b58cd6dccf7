import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, test } from "vitest";
import { helm, repoRoot } from "./support/helm.ts";

const script = path.join(repoRoot, "helm/scripts/fetch-helm.sh");
const scratch = mkdtempSync(path.join(tmpdir(), "fetch-helm-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const runScript = (env: Record<string, string>) =>
  spawnSync("bash", [script], { encoding: "utf8", env: { ...process.env, ...env } });

test("fetch-helm.sh hands back a Helm 4 given through HELM_BIN without downloading", () => {
  const result = runScript({ HELM_BIN: helm().bin, HELM_TOOLS_DIR: path.join(scratch, "unused") });
  expect(result.status).toBe(0);
  expect(result.stdout.trim()).toBe(helm().bin);
  expect(result.stderr).not.toContain("downloading");
});

test("fetch-helm.sh refuses a HELM_BIN that is not Helm 4", () => {
  const fake = path.join(scratch, "helm3");
  writeFileSync(fake, "#!/bin/sh\necho v3.19.0\n");
  chmodSync(fake, 0o755);
  const result = runScript({ HELM_BIN: fake });
  expect(result.status).toBe(1);
  expect(result.stderr).toContain("is not a working Helm 4 binary");
  expect(result.stdout).toBe("");
});
