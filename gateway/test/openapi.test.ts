// The OpenAPI document and the router come from the same descriptors; this holds them together.
import { TestingService } from "@infinity-pool/proto/infinitypool/testing/v1/testing_pb.js";
import { GreetingService } from "@infinity-pool/proto/infinitypool/v1/greeting_pb.js";
import { describe, expect, it } from "vitest";
import { buildOpenApi } from "../src/openapi.ts";
import { operationalPaths } from "../src/operational.ts";
import { openApiPath } from "../src/path-template.ts";
import { Router } from "../src/router.ts";
import { buildRoutes, type Route } from "../src/routes.ts";

type Doc = {
  paths: Record<string, Record<string, { operationId: string; security?: unknown }>>;
  components: { schemas: Record<string, unknown> };
};

/** A concrete request path for a route: each variable filled with a value its pattern accepts. */
function samplePath(route: Route): string {
  const t = route.template;
  const parts: string[] = [];
  for (const seg of t.segments) {
    parts.push(seg.kind === "literal" ? seg.value : seg.kind === "wildcard" ? "7" : "a/b");
  }
  return `/${parts.join("/")}${t.verb === undefined ? "" : `:${t.verb}`}`;
}

describe.each([
  ["GreetingService", [GreetingService]],
  ["TestingService", [TestingService]],
])("OpenAPI for %s", (_name, services) => {
  const router = new Router(buildRoutes(services));
  const doc = buildOpenApi(router.routes, "test", "v1") as unknown as Doc;

  it("lists exactly the operations the router serves, plus the gateway's own endpoints", () => {
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    const served = [
      ...router.routes.map((r) => `${r.httpMethod} ${openApiPath(r.template).path}`),
      ...operationalPaths.map((p) => `GET ${p.path}`),
    ];
    expect(documented.sort()).toEqual(served.sort());
  });

  it("documents paths that the router really answers, with the documented operation", () => {
    for (const route of router.routes) {
      const op = doc.paths[openApiPath(route.template).path]?.[route.httpMethod.toLowerCase()];
      expect(op?.operationId).toBe(route.operationId);
      const match = router.match(route.httpMethod, samplePath(route));
      expect(match.kind, samplePath(route)).toBe("found");
      if (match.kind === "found") expect(match.route.operationId).toBe(route.operationId);
      expect(op?.security !== undefined).toBe(route.write);
    }
  });

  it("has a schema for every referenced message", () => {
    const refs = JSON.stringify(doc).match(/#\/components\/schemas\/[\w.]+/g) ?? [];
    for (const ref of refs) {
      expect(doc.components.schemas).toHaveProperty([ref.split("/").pop() as string]);
    }
  });
});

describe("routes from descriptors", () => {
  it("expose every annotated GreetingService binding with no hand-written route", () => {
    const routes = buildRoutes([GreetingService]).map(
      (r) => `${r.httpMethod} ${r.template.source} -> ${r.method.name}`,
    );
    expect(routes.sort()).toEqual([
      "GET / -> SayHello",
      "GET /v1/greeting -> SayHello",
      "GET /v1/greetings -> ListGreetings",
      "GET /v1/greetings/{id} -> GetGreeting",
      "GET /v1/greetings:watch -> WatchGreetings",
      "POST /v1/greetings -> CreateGreeting",
    ]);
    expect(GreetingService.methods.length).toBe(5);
  });

  it("refuse an API route that would shadow an operational endpoint", () => {
    const routes = buildRoutes([TestingService]);
    expect(() => new Router(routes, ["/testing/v1/shelves/healthz"])).toThrow("shadows");
  });
});
