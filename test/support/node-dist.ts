// Node.js and npm releases as a user's machine has them, taken from the npm registry (the one
// registry CI reaches): `node-<platform>-<arch>@<major>` holds the official binary, `npm@<major>`
// the npm that ships with it. Unpacked once under .tools/node-dist and reused.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

export const repoDir = fileURLToPath(new URL("../..", import.meta.url));
const distDir = join(repoDir, ".tools", "node-dist");

/** A `node` and an `npm` as a user's shell finds them. */
export interface Toolchain {
  label: string;
  /** `PATH` for the user's shell: `node`, `npm` and `npx` are the first found on it. */
  path: string;
}

/**
 * `PATH` as the user's shell has it: without the `node_modules/.bin` folders and npm's
 * node-gyp-bin that `npm test` put in front of it.
 */
export function userPath(path = process.env.PATH ?? ""): string {
  return path
    .split(delimiter)
    .filter(
      (dir) => dir !== "" && !/node_modules[\\/]\.bin$/.test(dir) && !dir.includes("node-gyp-bin"),
    )
    .join(delimiter);
}

/** The first `name` on the user's PATH, or undefined. */
export function onUserPath(name: string): string | undefined {
  for (const dir of userPath().split(delimiter)) {
    if (existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** The machine's own `node` and `npm`: what the user's PATH finds first. */
export function machineToolchain(): Toolchain {
  return { label: "the machine's own Node.js and npm", path: userPath() };
}

/** `node -v` and `npm -v` as the toolchain's shell answers them. */
export async function versions(toolchain: Toolchain): Promise<{ node: string; npm: string }> {
  const env = { ...process.env, PATH: toolchain.path };
  const node = await run("node", ["-v"], { env });
  const npm = await run("npm", ["-v"], { env });
  return { node: node.stdout.trim(), npm: npm.stdout.trim() };
}

/** The npm registry package with the official Node.js binary for this machine, if there is one. */
export function nodePackageName(): string | undefined {
  if (process.platform === "linux" && (process.arch === "x64" || process.arch === "arm64")) {
    return `node-linux-${process.arch}`;
  }
  return undefined;
}

/** Unpacks `spec` from the registry into .tools/node-dist/<spec> (once) and returns that folder. */
async function unpack(spec: string): Promise<string> {
  const target = join(distDir, spec);
  if (existsSync(join(target, "package.json"))) return target;
  mkdirSync(distDir, { recursive: true });
  // Unpacked beside the target and renamed into place, so a concurrent or interrupted run never
  // sees half a package.
  const work = mkdtempSync(join(distDir, ".unpack-"));
  try {
    const { stdout } = await run("npm", ["pack", "--silent", "--pack-destination", work, spec], {
      env: { ...process.env, PATH: userPath() },
    });
    const tarball = join(work, stdout.trim().split("\n").pop() ?? "");
    mkdirSync(join(work, "package"));
    await run("tar", ["-xzf", tarball, "-C", join(work, "package"), "--strip-components=1"]);
    if (!existsSync(join(target, "package.json"))) renameSync(join(work, "package"), target);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return target;
}

/** The Node.js binary of a major release, e.g. 18 or 20; undefined where none is published. */
export async function nodeBinary(major: number): Promise<string | undefined> {
  const name = nodePackageName();
  if (!name) return undefined;
  return join(await unpack(`${name}@${major}`), "bin", "node");
}

/** Node.js `nodeMajor` with npm `npmMajor`, as that Node.js release ships it. */
export async function toolchain(
  nodeMajor: number,
  npmMajor: number,
): Promise<Toolchain | undefined> {
  const node = await nodeBinary(nodeMajor);
  if (!node) return undefined;
  const npm = await unpack(`npm@${npmMajor}`);
  const binDir = join(distDir, `node${nodeMajor}-npm${npmMajor}`, "bin");
  if (!existsSync(join(binDir, "npx"))) {
    const work = mkdtempSync(join(distDir, ".bin-"));
    symlinkSync(node, join(work, "node"));
    symlinkSync(join(npm, "bin", "npm-cli.js"), join(work, "npm"));
    symlinkSync(join(npm, "bin", "npx-cli.js"), join(work, "npx"));
    mkdirSync(join(binDir, ".."), { recursive: true });
    try {
      renameSync(work, binDir);
    } catch {
      rmSync(work, { recursive: true, force: true });
    }
  }
  return {
    label: `Node.js ${nodeMajor} with npm ${npmMajor}`,
    path: `${binDir}${delimiter}${userPath()}`,
  };
}
