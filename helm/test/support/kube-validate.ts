import { readFileSync } from "node:fs";
import path from "node:path";
import { Ajv } from "ajv";
import ts from "typescript";
import { chartDir, type Manifest, repoRoot } from "./helm.ts";

/**
 * Two layers of validation against the Kubernetes OpenAPI definitions shipped by kubernetes-models:
 * - the package's compiled JSON-schema validators catch wrong types, enums and required fields;
 * - its generated TypeScript interfaces, through the compiler's excess-property check, catch
 *   unknown fields at any depth, which the OpenAPI schemas allow but the API server's strict field
 *   validation (and Helm 4's server-side apply) rejects.
 * Custom resources are checked against the JSON schemas kept in helm/test/schemas.
 */

const customSchemas: Record<string, string> = {
  "eks.amazonaws.com/v1/IngressClassParams": "ingressclassparams.eks.amazonaws.com-v1.json",
  "monitoring.coreos.com/v1/ServiceMonitor": "servicemonitor.monitoring.coreos.com-v1.json",
};

const ajv = new Ajv({ allErrors: true, strict: true });
const customValidators = new Map(
  Object.entries(customSchemas).map(([key, file]) => [
    key,
    ajv.compile(JSON.parse(readFileSync(path.join(chartDir, "test/schemas", file), "utf8"))),
  ]),
);

const label = (m: Manifest) => `${m.kind}/${m.metadata.name}`;
const modelPath = (m: Manifest) => `kubernetes-models/${m.apiVersion}/${m.kind}`;

export function isCustomResource(m: Manifest): boolean {
  return customValidators.has(`${m.apiVersion}/${m.kind}`);
}

/** Errors from the OpenAPI JSON schemas (or the custom resource schema); empty when valid. */
export async function schemaErrors(manifests: Manifest[]): Promise<string[]> {
  const errors: string[] = [];
  for (const m of manifests) {
    const custom = customValidators.get(`${m.apiVersion}/${m.kind}`);
    if (custom) {
      if (!custom(m)) {
        for (const e of custom.errors ?? []) {
          errors.push(
            `${label(m)}: ${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`,
          );
        }
      }
      continue;
    }
    let Model: new (data: unknown) => { validate(): void };
    try {
      const mod = (await import(modelPath(m))) as Record<string, typeof Model>;
      const found = mod[m.kind];
      if (!found) throw new Error("no model export");
      Model = found;
    } catch {
      errors.push(`${label(m)}: no Kubernetes schema for ${m.apiVersion} ${m.kind}`);
      continue;
    }
    try {
      new Model(m).validate();
    } catch (error) {
      errors.push(`${label(m)}: ${(error as Error).message}`);
    }
  }
  return errors;
}

/** Unknown or mistyped fields found by type-checking each manifest against the model interfaces. */
export function fieldErrors(manifests: Manifest[]): string[] {
  const checked = manifests.filter((m) => !isCustomResource(m));
  const imports = new Map<string, string>();
  const lines: string[] = [];
  const lineOwner: string[] = [];
  for (const m of checked) {
    const source = modelPath(m);
    let alias = imports.get(source);
    if (!alias) {
      alias = `T${imports.size}`;
      imports.set(source, alias);
    }
    const body = JSON.stringify(m, null, 1).split("\n");
    body[0] = `export const m${lines.length}: ${alias} = ${body[0]}`;
    body[body.length - 1] += ";";
    for (const l of body) {
      lines.push(l);
      lineOwner.push(label(m));
    }
  }
  const header = [...imports].map(
    ([source, alias]) =>
      `import type { I${source.split("/").pop()} as ${alias} } from "${source}";`,
  );
  const text = [...header, ...lines].join("\n");
  const fileName = path.join(repoRoot, "helm/test/.rendered-manifests.ts");
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => f === fileName || fileExists.call(host, f);
  host.readFile = (f) => (f === fileName ? text : readFile.call(host, f));
  host.getSourceFile = (f, lang, ...rest) =>
    f === fileName
      ? ts.createSourceFile(f, text, lang, true)
      : getSourceFile.call(host, f, lang, ...rest);
  const program = ts.createProgram([fileName], options, host);
  const sourceFile = program.getSourceFile(fileName);
  return ts.getPreEmitDiagnostics(program, sourceFile).map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, "\n");
    if (d.file && d.start !== undefined) {
      const { line } = d.file.getLineAndCharacterOfPosition(d.start);
      const owner = line < header.length ? "imports" : lineOwner[line - header.length];
      return `${owner}: ${message}`;
    }
    return message;
  });
}
