// Root `postinstall`: makes sure node_modules/.bin/node is the Node.js binary that npm installed
// from this folder's optionalDependencies, and that it runs here. npm 11 links it itself; npm 8 to
// 10 (the npm of Node 16 to 22) link it and then delete the link again while rolling back the
// packages for the other platforms, which declare the same `node` bin. The packages say nothing of
// libc, so on musl (Alpine) npm installs a glibc binary that cannot start: the link is removed and
// npm scripts fall back to the machine's Node.js (require-node.cjs then says if that is too old).
// Runs on the Node.js that runs npm, so it keeps to syntax and modules that Node 12 has; it never
// fails the install.
"use strict";

// biome-ignore lint/style/useNodejsImportProtocol: runs on Node.js releases without "node:" in require
const fs = require("fs");
// biome-ignore lint/style/useNodejsImportProtocol: as above
const path = require("path");
// biome-ignore lint/style/useNodejsImportProtocol: as above
const { spawnSync } = require("child_process");

const root = path.resolve(__dirname, "..", "..");
const binDir = path.join(root, "node_modules", ".bin");
const link = path.join(binDir, "node");
const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, "package.json"), "utf8"));

function matches(field, value) {
  if (!field) return true;
  return (Array.isArray(field) ? field : [field]).indexOf(value) !== -1;
}

/** `../<package>/bin/node` of the package installed for this os/cpu, or null. */
function installedRuntime() {
  for (const name of Object.keys(manifest.optionalDependencies || {})) {
    const dir = path.join(root, "node_modules", name);
    let pkg;
    try {
      pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
    } catch (_) {
      continue;
    }
    // biome-ignore lint/complexity/useOptionalChain: Node 12 has no optional chaining
    const bin = (pkg.bin || {}).node;
    const here = matches(pkg.os, process.platform) && matches(pkg.cpu, process.arch);
    if (bin && here && fs.existsSync(path.join(dir, bin))) return path.join("..", name, bin);
  }
  return null;
}

function currentLink() {
  try {
    return fs.readlinkSync(link);
  } catch (_) {
    return null;
  }
}

/** Why `binary` cannot run here, or null when it prints its version. */
function cannotRun(binary) {
  const result = spawnSync(binary, ["--version"], { encoding: "utf8", timeout: 30000 });
  if (result.error) return result.error.message;
  if (result.status === 0) return null;
  return (result.stderr || "").trim().split("\n")[0] || `exit status ${result.status}`;
}

const target = process.platform === "win32" ? null : installedRuntime();
try {
  if (target && currentLink() !== target) {
    fs.mkdirSync(binDir, { recursive: true });
    if (currentLink() !== null) fs.unlinkSync(link);
    fs.symlinkSync(target, link);
  }
  const linked = currentLink();
  const reason = linked === null ? null : cannotRun(path.resolve(binDir, linked));
  if (reason !== null) {
    fs.unlinkSync(link);
    process.stderr.write(
      `infinity-pool: ${linked} does not run on this machine (${reason}); npm scripts use the machine's Node.js\n`,
    );
  }
} catch (error) {
  process.stderr.write(`infinity-pool: could not link node_modules/.bin/node: ${error.message}\n`);
}
