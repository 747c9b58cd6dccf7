import { compareSpecificity, matchSegments } from "./path-template.ts";
import type { Route } from "./routes.ts";

export type RouteMatch =
  | { kind: "found"; route: Route; rawValues: string[] }
  | { kind: "method-not-allowed"; allow: string[] }
  | { kind: "not-found" };

export class RouterError extends Error {}

/**
 * Matches a method and a raw path against the routes. Templates are tried from the most specific
 * to the least, so "/v1/shelves/featured" beats "/v1/shelves/{id}" whatever the proto order.
 */
export class Router {
  readonly routes: readonly Route[];

  constructor(routes: readonly Route[], reservedPaths: readonly string[] = []) {
    const sorted = [...routes].sort((a, b) => compareSpecificity(a.template, b.template));
    const seen = new Map<string, Route>();
    for (const route of sorted) {
      const key = `${route.httpMethod} ${route.template.source}`;
      const other = seen.get(key);
      if (other) {
        throw new RouterError(
          `${key} is bound by both ${other.operationId} and ${route.operationId}`,
        );
      }
      seen.set(key, route);
      for (const reserved of reservedPaths) {
        const raw = reserved.slice(1).split("/");
        if (route.template.verb === undefined && matchSegments(route.template, raw)) {
          throw new RouterError(`${key} (${route.operationId}) shadows the gateway's ${reserved}`);
        }
      }
    }
    this.routes = sorted;
  }

  match(method: string, rawPath: string): RouteMatch {
    // "/" is the root template with no segments; "/a/b" gives ["a", "b"]; "/a/" gives ["a", ""].
    const raw = rawPath === "/" ? [] : rawPath.slice(1).split("/");
    const last = raw.length > 0 ? (raw[raw.length - 1] as string) : "";
    let allow: string[] | undefined;
    for (const route of this.routes) {
      let segments = raw;
      const verb = route.template.verb;
      if (verb !== undefined) {
        if (!last.endsWith(`:${verb}`)) continue;
        segments = [...raw.slice(0, -1), last.slice(0, -verb.length - 1)];
      }
      const rawValues = matchSegments(route.template, segments);
      if (!rawValues) continue;
      if (route.httpMethod === method) return { kind: "found", route, rawValues };
      allow ??= [];
      if (!allow.includes(route.httpMethod)) allow.push(route.httpMethod);
    }
    return allow ? { kind: "method-not-allowed", allow: allow.sort() } : { kind: "not-found" };
  }
}
