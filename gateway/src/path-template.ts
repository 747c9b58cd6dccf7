/**
 * The google.api.http path template grammar:
 *
 *   Template = "/" Segments [ Verb ] ;   Segments = Segment { "/" Segment } ;
 *   Segment  = "*" | "**" | LITERAL | Variable ;
 *   Variable = "{" FieldPath [ "=" Segments ] "}" ;   Verb = ":" LITERAL ;
 *
 * "/" alone is the root. A variable without "=" stands for "{x=*}". "**" matches zero or more
 * segments and must be the last segment.
 */
export type Segment = { kind: "literal"; value: string } | { kind: "wildcard" } | { kind: "deep" };

/** A `{field.path=segments}` variable of a path template and the segments it covers. */
export interface TemplateVariable {
  /** Dotted field path split into names, e.g. ["book", "name"]. */
  fieldPath: string[];
  /** Index of the first segment the variable covers. */
  start: number;
  /** Number of segments it covers; for a trailing "**" the rest of the path. */
  length: number;
  /** True when the variable captures more than one segment, which changes how "%2F" decodes. */
  multiSegment: boolean;
}

/** A parsed path template: its source text, segments, variables and optional `:verb`. */
export interface PathTemplate {
  source: string;
  segments: Segment[];
  variables: TemplateVariable[];
  verb: string | undefined;
}

/** A google.api.http path template that does not follow the grammar above; names the template. */
export class TemplateError extends Error {
  override name = "TemplateError";
}

const literalPattern = /^[A-Za-z0-9._~!$&'()+,;=@%-]+$/;
const identPattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parses a google.api.http path template (grammar above, google/api/http.proto). Throws
 * TemplateError naming the template and what is wrong with it.
 */
export function parseTemplate(source: string): PathTemplate {
  const fail = (why: string): never => {
    throw new TemplateError(`invalid path template "${source}": ${why}`);
  };
  if (!source.startsWith("/")) fail('it must start with "/"');
  if (source === "/") return { source, segments: [], variables: [], verb: undefined };

  let body = source.slice(1);
  let verb: string | undefined;
  // The verb is a ":" outside any variable in the last segment.
  const lastSlash = body.lastIndexOf("/");
  const lastClose = body.lastIndexOf("}");
  const colon = body.lastIndexOf(":");
  if (colon > lastSlash && colon > lastClose) {
    verb = body.slice(colon + 1);
    if (!literalPattern.test(verb)) fail(`bad verb "${verb}"`);
    body = body.slice(0, colon);
  }

  const segments: Segment[] = [];
  const variables: TemplateVariable[] = [];
  let i = 0;
  const readSegments = (insideVariable: boolean): void => {
    for (;;) {
      let end = i;
      while (end < body.length && body[end] !== "/" && body[end] !== "}") {
        if (body[end] === "{") {
          if (insideVariable) fail("nested variables are not allowed");
          break;
        }
        end++;
      }
      if (body[end] === "{") {
        if (end !== i) fail("a variable must be a whole segment");
        readVariable();
      } else {
        const text = body.slice(i, end);
        if (text === "*") segments.push({ kind: "wildcard" });
        else if (text === "**") segments.push({ kind: "deep" });
        else if (literalPattern.test(text) && !text.includes("*"))
          segments.push({ kind: "literal", value: text });
        else fail(text === "" ? "empty segment" : `bad segment "${text}"`);
        i = end;
      }
      if (body[i] === "/") {
        i++;
        continue;
      }
      return;
    }
  };
  const readVariable = (): void => {
    const close = body.indexOf("}", i);
    if (close < 0) fail("unclosed variable");
    const inner = body.slice(i + 1, close);
    const eq = inner.indexOf("=");
    const path = eq < 0 ? inner : inner.slice(0, eq);
    const fieldPath = path.split(".");
    if (!fieldPath.every((p) => identPattern.test(p))) fail(`bad field path "${path}"`);
    if (variables.some((v) => v.fieldPath.join(".") === path)) fail(`"${path}" bound twice`);
    const start = segments.length;
    if (eq < 0) {
      segments.push({ kind: "wildcard" });
      i = close + 1;
    } else {
      i += 1 + eq + 1;
      readSegments(true);
      if (body[i] !== "}") fail("unclosed variable");
      i++;
    }
    const covered = segments.slice(start);
    if (covered.length === 0) fail(`variable "${path}" is empty`);
    variables.push({
      fieldPath,
      start,
      length: covered.length,
      multiSegment: covered.length > 1 || covered[0]?.kind === "deep",
    });
  };
  readSegments(false);
  if (i !== body.length) fail(`unexpected "${body[i]}"`);
  const deep = segments.findIndex((s) => s.kind === "deep");
  if (deep >= 0 && deep !== segments.length - 1) fail('"**" must be the last segment');
  return { source, segments, variables, verb };
}

/**
 * Matches raw (still percent-encoded) path segments against a template. Returns the raw text of
 * each variable, or undefined. The verb, when the template has one, must already be split off.
 */
export function matchSegments(template: PathTemplate, raw: string[]): string[] | undefined {
  const segs = template.segments;
  const deep = segs.length > 0 && segs[segs.length - 1]?.kind === "deep";
  if (deep ? raw.length < segs.length - 1 : raw.length !== segs.length) return undefined;
  for (let k = 0; k < segs.length; k++) {
    const seg = segs[k] as Segment;
    if (seg.kind === "deep") break;
    const value = raw[k] as string;
    if (seg.kind === "literal") {
      if (value !== seg.value) return undefined;
    } else if (value === "") {
      return undefined;
    }
  }
  const values: string[] = [];
  for (const v of template.variables) {
    const end = v.start + v.length;
    const isDeepTail = segs[end - 1]?.kind === "deep";
    values.push(raw.slice(v.start, isDeepTail ? raw.length : end).join("/"));
  }
  return values;
}

/**
 * Decodes a captured variable. One segment decodes fully; several segments decode everything but
 * "%2F", which stays encoded so the value's own slashes remain distinguishable (the rule in
 * google/api/http.proto). Throws URIError on malformed escapes or invalid UTF-8.
 */
export function decodeVariable(raw: string, multiSegment: boolean): string {
  if (!multiSegment) return decodeURIComponent(raw);
  return raw
    .split(/%2F/i)
    .map((part) => decodeURIComponent(part))
    .join("%2F");
}

/**
 * Orders templates so the most specific one is tried first: literals before "*" before the end of
 * the template before "**". The end ranks above "**" because "**" also matches zero segments:
 * "/v1/files" must win over "/v1/files/{path=**}" for the path "/v1/files", as in grpc-gateway.
 */
export function compareSpecificity(a: PathTemplate, b: PathTemplate): number {
  const rank = (s: Segment | undefined): number =>
    s === undefined ? 2 : s.kind === "literal" ? 0 : s.kind === "wildcard" ? 1 : 3;
  const n = Math.max(a.segments.length, b.segments.length);
  for (let k = 0; k < n; k++) {
    const d = rank(a.segments[k]) - rank(b.segments[k]);
    if (d !== 0) return d;
  }
  if ((a.verb === undefined) !== (b.verb === undefined)) return a.verb === undefined ? 1 : -1;
  return 0;
}

/** One `{name}` parameter of an OpenAPI path made from a template (see openApiPath). */
export interface OpenApiPathParameter {
  name: string;
  /** The variable the segment belongs to, if any. */
  variable: TemplateVariable | undefined;
  /** True for a "**" segment, which may span several segments. */
  deep: boolean;
}

/**
 * The template as an OpenAPI path. A single-segment variable becomes "{field.path}". A variable
 * spanning several segments ("{name=shelves/*}") cannot be one OpenAPI parameter, because its
 * value contains "/": its literal segments stay in the path and each wildcard becomes a parameter
 * named after the literal before it ("/shelves/{shelvesId}"), so operations on the same resource
 * shape share one OpenAPI path whatever their field names.
 */
export function openApiPath(template: PathTemplate): {
  path: string;
  parameters: OpenApiPathParameter[];
} {
  const parts: string[] = [];
  const parameters: OpenApiPathParameter[] = [];
  template.segments.forEach((seg, k) => {
    const variable = template.variables.find((v) => k >= v.start && k < v.start + v.length);
    if (seg.kind === "literal") {
      parts.push(seg.value);
      return;
    }
    let name: string;
    if (variable && !variable.multiSegment) {
      name = variable.fieldPath.join(".");
    } else {
      const before = template.segments[k - 1];
      name =
        variable && seg.kind === "deep"
          ? variable.fieldPath.join(".")
          : before?.kind === "literal"
            ? `${before.value}Id`
            : `segment${k + 1}`;
    }
    parts.push(`{${name}}`);
    parameters.push({ name, variable, deep: seg.kind === "deep" });
  });
  const verb = template.verb === undefined ? "" : `:${template.verb}`;
  return { path: `/${parts.join("/")}${verb}`, parameters };
}
