import { describe, expect, it } from "vitest";
import { parseTemplate } from "../src/path-template.ts";
import { Router, RouterError } from "../src/router.ts";
import type { Route } from "../src/routes.ts";

// The router reads only the method, the template and the operation id of a route.
const route = (httpMethod: string, source: string, operationId = `${httpMethod} ${source}`) =>
  ({ httpMethod, template: parseTemplate(source), operationId }) as Route;

describe("router", () => {
  it("sends an exact path to its own route, not to a sibling ** route", () => {
    const router = new Router([route("GET", "/v1/files/{path=**}"), route("GET", "/v1/files")]);
    const exact = router.match("GET", "/v1/files");
    expect(exact.kind === "found" && exact.route.template.source).toBe("/v1/files");
    const deep = router.match("GET", "/v1/files/a/b");
    expect(deep.kind === "found" && deep.route.template.source).toBe("/v1/files/{path=**}");
  });

  it("refuses at start two templates that differ only in variable names", () => {
    expect(
      () => new Router([route("GET", "/v1/{id}", "A"), route("GET", "/v1/{name}", "B")]),
    ).toThrow(RouterError);
    expect(
      () =>
        new Router([
          route("GET", "/v1/{a=x/*}/{b=**}", "A"),
          route("GET", "/v1/x/{c}/{d=**}", "B"),
        ]),
    ).toThrow("GET /v1/x/{c}/{d=**} (B) matches the same requests as GET /v1/{a=x/*}/{b=**} (A)");
    // Different kinds, verbs or methods do not collide.
    expect(
      () =>
        new Router([
          route("GET", "/v1/{id}"),
          route("GET", "/v1/{id=**}"),
          route("GET", "/v1/{id}:run"),
          route("POST", "/v1/{name}"),
          route("GET", "/v1/items"),
        ]),
    ).not.toThrow();
  });

  it("serves HEAD with the GET route and lists HEAD in Allow", () => {
    const router = new Router([route("GET", "/v1/items"), route("POST", "/v1/items")]);
    const head = router.match("HEAD", "/v1/items");
    expect(head.kind === "found" && head.route.httpMethod).toBe("GET");
    expect(router.match("PUT", "/v1/items")).toEqual({
      kind: "method-not-allowed",
      allow: ["GET", "HEAD", "POST"],
    });
    const postOnly = new Router([route("POST", "/v1/items")]);
    expect(postOnly.match("HEAD", "/v1/items")).toEqual({
      kind: "method-not-allowed",
      allow: ["POST"],
    });
  });
});
