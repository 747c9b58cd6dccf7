// What a contributor without PostgreSQL installed sees, and what CI (REQUIRE_POSTGRES=1) enforces.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const vitest = fileURLToPath(new URL("../../node_modules/.bin/vitest", import.meta.url));

function runOutageSuite(env: Record<string, string>) {
  return new Promise<{ code: number; output: string }>((resolve) => {
    execFile(
      vitest,
      ["run", "backend/test/outage.test.ts", "--reporter=verbose", "--no-color"],
      { cwd: root, env: { ...process.env, POSTGRES_BIN_DIR: "/nonexistent", ...env } },
      (err, stdout, stderr) => {
        resolve({ code: err ? Number(err.code ?? 1) : 0, output: stdout + stderr });
      },
    );
  });
}

describe("without PostgreSQL server binaries", () => {
  it("real-server tests are skipped, with the reason printed", async () => {
    const { code, output } = await runOutageSuite({ REQUIRE_POSTGRES: "0" });
    expect(code).toBe(0);
    expect(output).toContain("skipping real-PostgreSQL tests: PostgreSQL server binaries");
    expect(output).toMatch(/1 skipped/);
  });

  it("REQUIRE_POSTGRES=1 turns the skip into a failure", async () => {
    const { code, output } = await runOutageSuite({ REQUIRE_POSTGRES: "1" });
    expect(code).not.toBe(0);
    expect(output).toContain("REQUIRE_POSTGRES=1 but PostgreSQL server binaries");
  });
});
