import { compareSpecificity, matchSegments, type PathTemplate } from "./path-template.ts";
import type { Route } from "./routes.ts";

/**
 * The router's answer: the route with the raw (still percent-encoded) text of each path
 * variable, the methods the path does serve (for 405 and `Allow`, RFC 9110 §15.5.6), or nothing.
 */
export type RouteMatch =
  | { kind: "found"; route: Route; rawValues: string[] }
  | { kind: "method-not-allowed"; allow: string[] }
  | { kind: "not-found" };

/** Two routes that match the same requests, or a route that shadows an operational path. */
export class RouterError extends Error {
  override name = "RouterError";
}

/**
 * Matches a method and a raw path against the routes. Templates are tried from the most specific
 * to the least, so "/v1/shelves/featured" beats "/v1/shelves/{id}" whatever the proto order.
 */
export class Router {
  /** The routes, most specific template first (the order `match` tries them in). */
  readonly routes: readonly Route[];

  /**
   * Throws RouterError when two routes match the same requests or a route would shadow one of
   * `reservedPaths` (the operational endpoints).
   */
  constructor(routes: readonly Route[], reservedPaths: readonly string[] = []) {
    const sorted = [...routes].sort((a, b) => compareSpecificity(a.template, b.template));
    const seen = new Map<string, Route>();
    for (const route of sorted) {
      const key = `${route.httpMethod} ${route.template.source}`;
      // Variable names do not change what a template matches: "/v1/{id}" and "/v1/{name}" collide.
      const shape = `${route.httpMethod} ${conflictKey(route.template)}`;
      const other = seen.get(shape);
      if (other) {
        throw new RouterError(
          `${key} (${route.operationId}) matches the same requests as ` +
            `${other.httpMethod} ${other.template.source} (${other.operationId})`,
        );
      }
      seen.set(shape, route);
      for (const reserved of reservedPaths) {
        const raw = reserved.slice(1).split("/");
        if (route.template.verb === undefined && matchSegments(route.template, raw)) {
          throw new RouterError(`${key} (${route.operationId}) shadows the gateway's ${reserved}`);
        }
      }
    }
    this.routes = sorted;
  }

  /** HEAD is served by the GET route of the path (the response goes without its body). */
  match(method: string, rawPath: string): RouteMatch {
    const wanted = method === "HEAD" ? "GET" : method;
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
      if (route.httpMethod === wanted) return { kind: "found", route, rawValues };
      allow ??= [];
      if (!allow.includes(route.httpMethod)) allow.push(route.httpMethod);
      if (route.httpMethod === "GET" && !allow.includes("HEAD")) allow.push("HEAD");
    }
    return allow ? { kind: "method-not-allowed", allow: allow.sort() } : { kind: "not-found" };
  }
}

/** What a template matches, without its variable names: literals, "*" and "**", and the verb. */
function conflictKey(template: PathTemplate): string {
  const segments = template.segments.map((s) =>
    s.kind === "literal" ? s.value : s.kind === "wildcard" ? "{*}" : "{**}",
  );
  const verb = template.verb === undefined ? "" : `:${template.verb}`;
  return `/${segments.join("/")}${verb}`;
}
