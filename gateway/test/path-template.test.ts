import { describe, expect, it } from "vitest";
import {
  compareSpecificity,
  decodeVariable,
  matchSegments,
  openApiPath,
  parseTemplate,
  TemplateError,
} from "../src/path-template.ts";

const split = (path: string) => (path === "/" ? [] : path.slice(1).split("/"));

describe("path templates", () => {
  it("parse literals, variables, wildcards and verbs", () => {
    const t = parseTemplate("/v1/{name=shelves/*/books/*}:read");
    expect(t.verb).toBe("read");
    expect(t.segments.map((s) => s.kind)).toEqual([
      "literal",
      "literal",
      "wildcard",
      "literal",
      "wildcard",
    ]);
    expect(t.variables).toEqual([{ fieldPath: ["name"], start: 1, length: 4, multiSegment: true }]);
    expect(parseTemplate("/").segments).toEqual([]);
    expect(parseTemplate("/v1/{book.id}").variables[0]).toMatchObject({
      fieldPath: ["book", "id"],
      multiSegment: false,
    });
  });

  it.each([
    ["v1/x", "start with"],
    ["/v1//x", "empty segment"],
    ["/v1/{id", "unclosed"],
    ["/v1/{a={b}}", "nested"],
    ["/v1/**/x", "last segment"],
    ["/v1/x{id}", "whole segment"],
    ["/v1/{1id}", "bad field path"],
    ["/v1/{id}/{id}", "bound twice"],
    ["/v1/a*b", "bad segment"],
    ["/v1/x}", "unexpected"],
  ])("reject %s", (source, why) => {
    expect(() => parseTemplate(source)).toThrow(why);
  });

  it("match segments and capture raw variable text", () => {
    const t = parseTemplate("/v1/{name=shelves/*}/books/{book}");
    expect(matchSegments(t, split("/v1/shelves/s1/books/b%2F1"))).toEqual(["shelves/s1", "b%2F1"]);
    expect(matchSegments(t, split("/v1/shelves/s1/books/"))).toBeUndefined();
    expect(matchSegments(t, split("/v1/shelves/s1/books"))).toBeUndefined();
    expect(matchSegments(t, split("/v1/boxes/s1/books/b"))).toBeUndefined();
    const deep = parseTemplate("/files/{path=**}");
    expect(matchSegments(deep, split("/files/a/b/c"))).toEqual(["a/b/c"]);
    expect(matchSegments(deep, split("/files"))).toEqual([""]);
    expect(matchSegments(parseTemplate("/"), [])).toEqual([]);
  });

  it("decode single segments fully and keep %2F in multi-segment values", () => {
    expect(decodeVariable("a%2Fb%20c", false)).toBe("a/b c");
    expect(decodeVariable("a/b%2fc%20d", true)).toBe("a/b%2Fc d");
    expect(() => decodeVariable("%FF", false)).toThrow(URIError);
    expect(() => decodeVariable("%E0%A4%A", true)).toThrow(URIError);
  });

  it("order literal before wildcard before deep wildcard", () => {
    const sorted = ["/v1/{x=**}", "/v1/{id}", "/v1/items", "/v1/{id}:run"]
      .map(parseTemplate)
      .sort(compareSpecificity)
      .map((t) => t.source);
    expect(sorted).toEqual(["/v1/items", "/v1/{id}:run", "/v1/{id}", "/v1/{x=**}"]);
  });

  it("order an exact path before a sibling ** that also matches it", () => {
    const sorted = ["/v1/files/{path=**}", "/v1/files", "/v1/files/{id}"]
      .map(parseTemplate)
      .sort(compareSpecificity)
      .map((t) => t.source);
    expect(sorted).toEqual(["/v1/files/{id}", "/v1/files", "/v1/files/{path=**}"]);
  });

  it("render OpenAPI paths", () => {
    const path = (s: string) => openApiPath(parseTemplate(s)).path;
    expect(path("/v1/{name=shelves/*}:archive")).toBe("/v1/shelves/{shelvesId}:archive");
    expect(path("/v1/{name=shelves/*/books/*}")).toBe("/v1/shelves/{shelvesId}/books/{booksId}");
    expect(path("/v1/files/{path=**}")).toBe("/v1/files/{path}");
    expect(path("/v1/greetings/{id}")).toBe("/v1/greetings/{id}");
    expect(path("/")).toBe("/");
  });

  it.each([
    ["/v1/{id=}", "empty segment"],
    ["/v1/x:", "bad verb"],
    ["/v1/x:a/b", "bad segment"],
  ])("reject %s as a TemplateError that quotes the template", (source, why) => {
    let thrown: unknown;
    try {
      parseTemplate(source);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(TemplateError);
    expect(thrown).toMatchObject({ name: "TemplateError" });
    expect((thrown as Error).message).toContain(`"${source}"`);
    expect((thrown as Error).message).toContain(why);
  });

  it("treat a verb-less template as not matching a verb path", () => {
    const t = parseTemplate("/v1/{name=shelves/*}:archive");
    expect(t.verb).toBe("archive");
    expect(matchSegments(t, split("/v1/shelves/s1"))).toEqual(["shelves/s1"]);
  });
});
