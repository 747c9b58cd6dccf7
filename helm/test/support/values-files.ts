import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse } from "yaml";
import { chartDir, type RenderOptions } from "./helm.ts";

/**
 * Every set of values the chart ships or documents: the defaults, each file in helm/ci/, each
 * `helm install`/`helm upgrade --install` command in helm/README.md (its --set flags, placeholders
 * filled in with realistic values), and each YAML block in helm/README.md (a values example,
 * rendered on top of ci/minimal-values.yaml). Tests that must hold "for every values file" iterate
 * over this list, so a new example in the README is tested the moment it is written.
 */
export interface ValuesScenario {
  name: string;
  options: RenderOptions;
  /** Rendering must fail with exactly this one-line message (the defaults do). */
  expectedFailure?: string;
  /** The helm command, for README examples. */
  command?: HelmCommand;
}

/** The one line the chart prints when the values that have no default are missing. */
export const missingValuesMessage =
  "values missing: set gateway.image.repository, backend.image.repository, backend.database.host and backend.database.secretId (or backend.database.urlSecret.name) (helm/ci/minimal-values.yaml shows the least that installs)";

/** What the README's placeholders stand for. A placeholder not listed here fails the tests. */
export const readmePlaceholders: Record<string, string> = {
  "<ecr>": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/infinity-pool-dev",
  "<tag>": "3f9c2e1",
  "<aurora endpoint>": "infinity-pool-dev.cluster-c9akciq32d5l.eu-west-1.rds.amazonaws.com",
  "<secret arn>":
    "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!cluster-5f1c2a8e-7b3d-4e9a-8c61-2d0f4b7a9e13-Xk3P9q",
};

export interface HelmCommand {
  text: string;
  subcommand: string;
  release: string;
  chart: string;
  namespace: string | undefined;
  flags: Map<string, string[]>;
  options: RenderOptions;
}

/** Splits one shell command line into words: single and double quotes, backslash escapes. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === "\\" && quote === '"' && i + 1 < line.length) word = `${word}${line[++i]}`;
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= "";
    } else if (c === "\\" && i + 1 < line.length) {
      word = (word ?? "") + line[++i];
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === "#" && word === undefined) {
      break;
    } else {
      word = (word ?? "") + c;
    }
  }
  if (quote) throw new Error(`unterminated quote in: ${line}`);
  if (word !== undefined) words.push(word);
  return words;
}

const flagsWithValue = new Set([
  "--namespace",
  "-n",
  "--set",
  "--set-string",
  "--set-json",
  "--set-file",
  "-f",
  "--values",
  "--timeout",
  "--version",
]);

/** Parses `helm install|upgrade --install|template RELEASE CHART [flags]`. */
export function parseHelmCommand(text: string): HelmCommand {
  let filled = text;
  for (const placeholder of filled.match(/<[^<>]+>/g) ?? []) {
    const value = readmePlaceholders[placeholder];
    if (value === undefined) throw new Error(`unknown README placeholder ${placeholder}`);
    filled = filled.replaceAll(placeholder, value);
  }
  const words = shellWords(filled);
  if (words[0] !== "helm") throw new Error(`not a helm command: ${text}`);
  const subcommand = words[1] as string;
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  for (let i = 2; i < words.length; i++) {
    const word = words[i] as string;
    if (!word.startsWith("-")) {
      positional.push(word);
      continue;
    }
    const eq = word.indexOf("=");
    const name = eq > 0 && word.startsWith("--") ? word.slice(0, eq) : word;
    let value = eq > 0 && word.startsWith("--") ? word.slice(eq + 1) : "";
    if (eq < 0 && flagsWithValue.has(name)) value = words[++i] ?? "";
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  const [release, chart] = positional;
  if (!release || !chart) throw new Error(`no release and chart in: ${text}`);
  const pairs = (flag: string) =>
    Object.fromEntries(
      (flags.get(flag) ?? []).flatMap((s) => {
        const eq = s.indexOf("=");
        return [[s.slice(0, eq), s.slice(eq + 1)]];
      }),
    );
  const namespace = (flags.get("--namespace") ?? flags.get("-n"))?.at(-1);
  const options: RenderOptions = {
    valuesFiles: [...(flags.get("-f") ?? []), ...(flags.get("--values") ?? [])].map((f) =>
      path.resolve(chartDir, "..", f),
    ),
    set: pairs("--set"),
    setString: pairs("--set-string"),
    setJson: pairs("--set-json"),
    releaseName: release,
  };
  if (namespace) options.namespace = namespace;
  return { text, subcommand, release, chart, namespace, flags, options };
}

/** The fenced code blocks of a Markdown file, with their info string. */
export function codeBlocks(markdown: string): { lang: string; body: string }[] {
  const blocks: { lang: string; body: string }[] = [];
  const re = /^```(\w*)\n([\s\S]*?)^```$/gm;
  for (const m of markdown.matchAll(re)) blocks.push({ lang: m[1] ?? "", body: m[2] ?? "" });
  return blocks;
}

/** Shell blocks → commands, continuation lines joined. */
export function shellCommands(body: string): string[] {
  return body
    .replace(/\\\n\s*/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}

export const readmePath = path.join(chartDir, "README.md");

/** The helm install/upgrade commands the README shows. */
export function readmeHelmCommands(): HelmCommand[] {
  const markdown = readFileSync(readmePath, "utf8");
  return codeBlocks(markdown)
    .filter((b) => b.lang === "sh" || b.lang === "bash")
    .flatMap((b) => shellCommands(b.body))
    .filter((c) => /^helm (install|upgrade)\b/.test(c))
    .map(parseHelmCommand);
}

let scratch: string | undefined;

export function shippedValues(): ValuesScenario[] {
  const scenarios: ValuesScenario[] = [
    { name: "defaults", options: {}, expectedFailure: missingValuesMessage },
  ];
  for (const file of readdirSync(path.join(chartDir, "ci")).sort()) {
    if (file.endsWith(".yaml"))
      scenarios.push({ name: `ci/${file}`, options: { valuesFiles: [`ci/${file}`] } });
  }
  for (const [i, command] of readmeHelmCommands().entries()) {
    scenarios.push({ name: `README command ${i + 1}`, options: command.options, command });
  }
  const markdown = readFileSync(readmePath, "utf8");
  scratch ??= mkdtempSync(path.join(tmpdir(), "helm-readme-values-"));
  for (const [i, block] of codeBlocks(markdown)
    .filter((b) => b.lang === "yaml")
    .entries()) {
    const file = path.join(scratch, `readme-example-${i + 1}.yaml`);
    writeFileSync(file, block.body);
    scenarios.push({
      name: `README values example ${i + 1}`,
      options: { valuesFiles: ["ci/minimal-values.yaml", file] },
    });
  }
  return scenarios;
}

/** The scenarios that are meant to render. */
export const renderable = (all: ValuesScenario[]) => all.filter((s) => !s.expectedFailure);

type Tree = Record<string, unknown>;
const isTree = (v: unknown): v is Tree => typeof v === "object" && v !== null && !Array.isArray(v);

function mergeInto(target: Tree, source: Tree): Tree {
  for (const [k, v] of Object.entries(source)) {
    const existing = target[k];
    target[k] = isTree(existing) && isTree(v) ? mergeInto({ ...existing }, v) : v;
  }
  return target;
}

/** Helm's --set typing for the simple scalars the tests use. */
const setValue = (raw: string): unknown =>
  raw === "true" ? true : raw === "false" ? false : /^-?\d+$/.test(raw) ? Number(raw) : raw;

function setPath(tree: Tree, dotted: string, value: unknown): void {
  const parts = dotted.split(".");
  let node: Tree = tree;
  for (const [i, part] of parts.entries()) {
    const last = i === parts.length - 1;
    const index = /^(.+)\[(\d+)\]$/.exec(part);
    if (index) {
      const list = Array.isArray(node[index[1] as string])
        ? [...(node[index[1] as string] as unknown[])]
        : [];
      if (last) list[Number(index[2])] = value;
      node[index[1] as string] = list;
      if (!last) throw new Error(`nested list paths are not supported: ${dotted}`);
    } else if (last) {
      node[part] = value;
    } else {
      node[part] = isTree(node[part]) ? { ...(node[part] as Tree) } : {};
      node = node[part] as Tree;
    }
  }
}

/**
 * The values a render sees, merged as Helm merges them: values.yaml, then each -f file, then
 * --set, --set-string and --set-json (scalars and one-level lists only, all the tests need).
 */
export function mergedValues(options: RenderOptions): Tree {
  let values = parse(readFileSync(path.join(chartDir, "values.yaml"), "utf8")) as Tree;
  for (const file of options.valuesFiles ?? []) {
    values = mergeInto(
      values,
      (parse(readFileSync(path.resolve(chartDir, file), "utf8")) ?? {}) as Tree,
    );
  }
  for (const [k, v] of Object.entries(options.set ?? {})) setPath(values, k, setValue(v));
  for (const [k, v] of Object.entries(options.setString ?? {})) setPath(values, k, v);
  for (const [k, v] of Object.entries(options.setJson ?? {})) setPath(values, k, JSON.parse(v));
  return values;
}
