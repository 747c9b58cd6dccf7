// Everything outside the chart that starts a service or tells users how to configure one (the
// container smoke test, the docs' configuration tables and command lines, the workflows, npm start's
// banner and benchmark) names only environment variables the service's own configuration loader
// reads, and a service started on a shared host gets every listening port set explicitly. The
// chart's side of the same contract is helm/test/values-contract.test.ts; both use the loaders
// through test/support/service-env.ts.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { shellWords } from "../helm/test/support/values-files.ts";
import { writeTokensVariable } from "../tools/start/banner.ts";
import { repoDir } from "./support/node-dist.ts";
import {
  type Env,
  listenerVariables,
  loaders,
  outcome,
  readByLibraries,
  reads,
  readsSomeValue,
  refused,
  type Service,
  services,
} from "./support/service-env.ts";

const read = (file: string) => readFileSync(path.join(repoDir, file), "utf8");
const joinContinuations = (text: string) => text.replace(/\\\n\s*/g, " ");

/** Variables the `npm start` launcher itself reads (tools/start), beside the two services. */
const launcherReads = [
  ...new Set(
    readdirSync(path.join(repoDir, "tools/start"))
      .filter((f) => f.endsWith(".ts"))
      .flatMap((f) => [...read(`tools/start/${f}`).matchAll(/process\.env\.([A-Z][A-Z0-9_]*)/g)])
      .map((m) => m[1] as string),
  ),
];

const readBySome = (name: string) => services.some((s) => readsSomeValue(s, name));

describe("the check itself", () => {
  it("tells a variable a service reads from one it does not, and from a refused old name", () => {
    expect(readsSomeValue("gateway", "GATEWAY_ADMIN_PORT")).toBe(true);
    expect(readsSomeValue("backend", "DB_NAME")).toBe(true); // only beside DB_HOST
    expect(readsSomeValue("backend", "GATEWAY_PORT")).toBe(false);
    expect(readsSomeValue("gateway", "GATEWAY_WRITE_TOKENS")).toBe(false);
    expect(launcherReads).toEqual(expect.arrayContaining(["LOG_FORMAT", "NO_COLOR"]));
  });

  it("lists every port each service listens on", () => {
    for (const service of services) {
      const defaults = loaders[service]({}) as Record<string, unknown>;
      const ports = Object.keys(defaults).filter((k) => /port$/i.test(k));
      expect(ports.length, service).toBeGreaterThan(0);
      for (const key of ports) {
        const setBy = listenerVariables[service].filter(
          (v) => (loaders[service]({ [v]: "12345" }) as Record<string, unknown>)[key] === 12345,
        );
        expect(setBy, `${service} config.${key}`).toHaveLength(1);
      }
    }
  });
});

describe(".github/scripts/container-smoke.sh", () => {
  const text = joinContinuations(read(".github/scripts/container-smoke.sh"));

  /** The script's own variables: `name=value` and `name=${SETTING:-default}` (the default). */
  const variables = new Map<string, string>();
  for (const m of text.matchAll(/^(\w+)=(?:\$\{\w+:-([^}]*)\}|([^\s$"'(]+))$/gm)) {
    variables.set(m[1] as string, m[2] ?? m[3] ?? "");
  }
  const expand = (word: string, strict = true) =>
    word.replace(/\$\{?(\w+)\}?/g, (whole, name: string) => {
      const value = variables.get(name);
      if (value === undefined && strict)
        throw new Error(`container-smoke.sh: unknown variable $${name}`);
      return value ?? whole;
    });
  /** `-e NAME=VALUE` pairs of a list of words. */
  const envOf = (words: string[]): Env => {
    const env: Env = {};
    for (let i = 0; i < words.length; i++) {
      if (words[i] !== "-e") continue;
      const pair = expand(words[++i] ?? "");
      env[pair.slice(0, pair.indexOf("="))] = pair.slice(pair.indexOf("=") + 1);
    }
    return env;
  };
  const arrays = new Map<string, Env>();
  for (const m of text.matchAll(/^(\w+)_env=\(([\s\S]*?)\)$/gm)) {
    arrays.set(m[1] as string, envOf(shellWords((m[2] ?? "").replace(/\n/g, " "))));
  }

  interface Run {
    line: string;
    service: Service | undefined;
    name: string | undefined;
    detached: boolean;
    env: Env;
  }
  const runs: Run[] = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => /^"\$engine" run /.test(l))
    .map((line) => {
      const words = shellWords(line);
      const image = /"\$(backend|gateway)_image"/.exec(line)?.[1] as Service | undefined;
      const env: Env = {};
      for (const m of line.matchAll(/"\$\{(\w+)_env\[@\]\}"/g)) {
        expect(m[1], `${line}: the env of another service`).toBe(image);
        Object.assign(env, arrays.get(m[1] as string));
      }
      Object.assign(env, envOf(words));
      const nameAt = words.indexOf("--name");
      return {
        line,
        service: image,
        name: nameAt >= 0 ? expand(words[nameAt + 1] ?? "", false) : undefined,
        detached: words.includes("-d"),
        env,
      };
    });

  it("starts each service from its own image", () => {
    expect([...arrays.keys()].sort()).toEqual(["backend", "gateway"]);
    expect(runs.filter((r) => r.detached).length).toBeGreaterThanOrEqual(4);
    for (const run of runs) {
      if (Object.keys(run.env).length > 0 || run.detached) {
        expect(run.service, `${run.line}: which service?`).toBeDefined();
      }
    }
  });

  it("gives each container only variables its service reads, in a form it accepts", () => {
    for (const run of runs.filter((r) => r.service !== undefined)) {
      const service = run.service as Service;
      const result = outcome(loaders[service], run.env);
      expect(refused(result), `${run.line}: ${result}`).toBe(false);
      const unread = Object.keys(run.env).filter(
        (name) =>
          !reads(loaders[service], run.env, name) && !readByLibraries[service].includes(name),
      );
      expect(unread, run.line).toEqual([]);
    }
  });

  it("sets every listening port of each started service, on ports of its own", () => {
    for (const run of runs.filter((r) => r.detached)) {
      const service = run.service as Service;
      const ports = listenerVariables[service].map((v) => run.env[v]);
      expect(ports.every(Boolean), `${run.line}: ${listenerVariables[service]}`).toBe(true);
      expect(new Set(ports).size).toBe(ports.length);
    }
    const all = [
      ...listenerVariables.gateway.map((v) => arrays.get("gateway")?.[v]),
      ...listenerVariables.backend.map((v) => arrays.get("backend")?.[v]),
    ];
    expect(new Set(all).size).toBe(all.length);
  });

  it("gives the gateway and the backend the same write tokens", () => {
    const tokens = (name: string) =>
      runs.find((r) => r.name === name && r.detached)?.env.WRITE_TOKENS;
    const gateway = tokens(expand("$gateway_name"));
    expect(gateway).toBeTruthy();
    expect(tokens(expand("$backend_name"))).toBe(gateway);
  });

  it("reads every SMOKE_* setting .ci/run passes", () => {
    const passed = [...read(".ci/run").matchAll(/\b(SMOKE_[A-Z_]+)=/g)].map((m) => m[1]);
    expect(passed).toEqual(
      expect.arrayContaining(["SMOKE_GATEWAY_PORT", "SMOKE_ADMIN_PORT", "SMOKE_BACKEND_PORT"]),
    );
    for (const name of passed) expect(text, name).toContain(`\${${name}:-`);
  });
});

/** A Markdown file's tables under `heading` (or the whole file), as rows of cells. */
function tables(markdown: string, heading?: string): string[][] {
  let text = markdown;
  if (heading) {
    const start = markdown.indexOf(`\n${heading}\n`);
    if (start < 0) throw new Error(`no heading ${heading}`);
    const level = heading.indexOf(" ");
    const rest = markdown.slice(start + heading.length + 2);
    const next = rest.search(new RegExp(`^#{1,${level}} `, "m"));
    text = next < 0 ? rest : rest.slice(0, next);
  }
  return text
    .split("\n")
    .filter((l) => l.startsWith("|") && !/^\|[\s|:-]+\|$/.test(l))
    .map((l) =>
      l
        .slice(1, -1)
        .split("|")
        .map((c) => c.trim()),
    );
}

describe("configuration tables in the docs", () => {
  const documented: { file: string; heading?: string; service: Service }[] = [
    { file: "README.md", heading: "### Backend", service: "backend" },
    { file: "README.md", heading: "### Gateway", service: "gateway" },
    { file: "gateway/README.md", heading: "## Configuration", service: "gateway" },
  ];
  it.each(documented)("$file $heading: every variable listed is read by the $service", (doc) => {
    const rows = tables(read(doc.file), doc.heading).filter((r) => r[0] !== "Variable");
    const names = rows.flatMap((r) => [...(r[0] ?? "").matchAll(/`([A-Z][A-Z0-9_]+)`/g)]);
    expect(names.length).toBeGreaterThan(5);
    const unread = names.map((m) => m[1] as string).filter((n) => !readsSomeValue(doc.service, n));
    expect(unread).toEqual([]);
  });
});

describe("command lines that start the services", () => {
  const docs = ["README.md", "gateway/README.md", "helm/README.md", "infrastructure/README.md"];
  const scripts = readdirSync(path.join(repoDir, ".github/scripts"))
    .filter((f) => f.endsWith(".sh"))
    .map((f) => `.github/scripts/${f}`)
    .concat(["tools/start/bench.sh", ".ci/run"]);
  const starts =
    /(npm start|tools\/start\/main\.ts|node (?:\S*\/)?(gateway|backend)\/src\/main\.ts)/;

  it("set, in docs and scripts, only variables a service (or npm start's launcher) reads", () => {
    const seen: string[] = [];
    for (const file of [...docs, ...scripts]) {
      for (const raw of joinContinuations(read(file)).split("\n")) {
        const line = raw.replace(/^[\s#]*/, "");
        const m = new RegExp(`^((?:[A-Z][A-Z0-9_]*=\\S*\\s+)+)${starts.source}`).exec(line);
        if (!m) continue;
        const only = m[3] as Service | undefined;
        for (const pair of (m[1] ?? "").trim().split(/\s+/)) {
          const name = pair.slice(0, pair.indexOf("="));
          seen.push(name);
          const ok = only ? readsSomeValue(only, name) : readBySome(name);
          expect(ok || (!only && launcherReads.includes(name)), `${file}: ${line}`).toBe(true);
        }
      }
    }
    expect(seen).toContain("WRITE_TOKENS");
  });

  it("export, in scripts that start the services, only variables they read, every port included", () => {
    for (const file of scripts) {
      const text = joinContinuations(read(file))
        .split("\n")
        .filter((l) => !l.trim().startsWith("#"))
        .join("\n");
      if (!starts.test(text)) continue;
      const exported = [...text.matchAll(/^export ((?:[A-Z][A-Z0-9_]*=\S+\s*)+)$/gm)].flatMap((m) =>
        (m[1] ?? "").trim().split(/\s+/),
      );
      const names = exported.map((p) => p.slice(0, p.indexOf("=")));
      for (const name of names) {
        expect(readBySome(name) || launcherReads.includes(name), `${file}: ${name}`).toBe(true);
      }
      expect(names, file).toEqual(
        expect.arrayContaining([...listenerVariables.gateway, ...listenerVariables.backend]),
      );
    }
  });

  it("the workflows set no chart extraEnv variable that its service does not read", () => {
    const texts = readdirSync(path.join(repoDir, ".github/workflows"))
      .map((f) => read(`.github/workflows/${f}`))
      .concat(scripts.map(read));
    for (const text of texts) {
      for (const m of text.matchAll(/\b(gateway|backend)\.extraEnv\.([A-Z][A-Z0-9_]*)/g)) {
        expect(readsSomeValue(m[1] as Service, m[2] as string), m[0]).toBe(true);
      }
    }
  });

  it("npm start's banner names the write-token variable both services read", () => {
    for (const service of services) expect(readsSomeValue(service, writeTokensVariable)).toBe(true);
  });
});
