import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { parseTokens, TokenSource, TokenVerifier } from "../src/tokens.ts";

describe("parseTokens", () => {
  test("splits on commas and line breaks, trims, drops empty entries", () => {
    expect(parseTokens(" a, b ,,\nc\r\n\n d \n")).toEqual(["a", "b", "c", "d"]);
    expect(parseTokens("")).toEqual([]);
    expect(parseTokens("only\n")).toEqual(["only"]);
  });
});

describe("TokenSource", () => {
  let dir: string;
  const sources: TokenSource[] = [];
  const open = (options: ConstructorParameters<typeof TokenSource>[0]) => {
    const source = new TokenSource(options);
    sources.push(source);
    return source;
  };
  const fresh = () => {
    dir = mkdtempSync(path.join(tmpdir(), "tokens-"));
    return dir;
  };
  afterEach(() => {
    for (const s of sources.splice(0)) s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("without a file, the inline tokens are the set", () => {
    fresh();
    expect(open({ inline: ["a", "b"] }).tokens()).toEqual(["a", "b"]);
  });

  test("reads the file at once, and again when it changes", async () => {
    const file = path.join(fresh(), "tokens");
    writeFileSync(file, "one,two\n");
    const changes: number[] = [];
    const source = open({ inline: ["inline"], file, events: { changed: (n) => changes.push(n) } });
    expect(source.tokens()).toEqual(["inline", "one", "two"]);
    const before = source.tokens();
    await source.reload();
    expect(source.tokens()).toBe(before);
    writeFileSync(file, "three\n");
    await source.reload();
    expect(source.tokens()).toEqual(["inline", "three"]);
    expect(changes).toEqual([1]);
  });

  test("follows a Kubernetes Secret volume's atomic update (..data symlink swap)", async () => {
    // kubelet's AtomicWriter: <dir>/tokens -> ..data/tokens, ..data -> ..<timestamp>/; an update
    // writes a new timestamped directory and renames a new ..data symlink over the old one.
    const volume = fresh();
    const version = (name: string, content: string) => {
      mkdirSync(path.join(volume, name));
      writeFileSync(path.join(volume, name, "tokens"), content);
    };
    version("..2026_11_29_10_00_00.1", "old-token");
    symlinkSync("..2026_11_29_10_00_00.1", path.join(volume, "..data"));
    symlinkSync("..data/tokens", path.join(volume, "tokens"));
    const source = open({ file: path.join(volume, "tokens"), refreshMs: 20 });
    expect(source.tokens()).toEqual(["old-token"]);

    version("..2026_11_29_10_01_00.2", "new-token\nsecond-token");
    symlinkSync("..2026_11_29_10_01_00.2", path.join(volume, "..data_tmp"));
    renameSync(path.join(volume, "..data_tmp"), path.join(volume, "..data"));
    rmSync(path.join(volume, "..2026_11_29_10_00_00.1"), { recursive: true });
    // Picked up by the timer alone, without a reload() call.
    await expect
      .poll(() => source.tokens(), { timeout: 5_000 })
      .toEqual(["new-token", "second-token"]);
  });

  test("a file that does not exist yet adds nothing, and counts once it appears", async () => {
    const file = path.join(fresh(), "tokens");
    const source = open({ file });
    expect(source.tokens()).toEqual([]);
    writeFileSync(file, "late");
    await source.reload();
    expect(source.tokens()).toEqual(["late"]);
    rmSync(file);
    await source.reload();
    expect(source.tokens()).toEqual([]);
  });

  test("a file that cannot be read keeps the tokens in force, and says so without them", async () => {
    const file = path.join(fresh(), "tokens");
    writeFileSync(file, "kept");
    const problems: string[] = [];
    const source = open({ file, events: { unreadable: (e) => problems.push(e.code ?? "") } });
    rmSync(file);
    mkdirSync(file); // reading a directory fails with EISDIR
    await source.reload();
    expect(source.tokens()).toEqual(["kept"]);
    expect(problems).toEqual(["EISDIR"]);
  });
});

describe("TokenVerifier", () => {
  test("accepts exactly the tokens in force, whatever their length", () => {
    const verifier = new TokenVerifier(["short", "a-much-longer-token-0123456789"]);
    expect(verifier.size).toBe(2);
    expect(verifier.verify("short")).toBe(true);
    expect(verifier.verify("a-much-longer-token-0123456789")).toBe(true);
    for (const wrong of ["", "shor", "short ", "SHORT", "a-much-longer-token-012345678"]) {
      expect(verifier.verify(wrong), JSON.stringify(wrong)).toBe(false);
    }
  });

  test("follows a TokenSource as its file changes", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "verifier-"));
    try {
      const file = path.join(dir, "tokens");
      writeFileSync(file, "first");
      const source = new TokenSource({ file });
      const verifier = new TokenVerifier(source);
      expect(verifier.verify("first")).toBe(true);
      writeFileSync(file, "second");
      await source.reload();
      expect(verifier.verify("first")).toBe(false);
      expect(verifier.verify("second")).toBe(true);
      writeFileSync(file, "");
      await source.reload();
      expect(verifier.size).toBe(0);
      source.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
