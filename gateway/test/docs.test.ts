// GET /docs and /openapi.json at the HTTP level: the page, its assets from the swagger-ui-dist npm
// package, its Content-Security-Policy, and the document checked by an independent OpenAPI 3.1
// validator. What a browser does with them is in browser.test.ts.
import { GreetingService } from "@infinity-pool/proto/infinitypool/v1/greeting_pb.js";
import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docsContentSecurityPolicy } from "../src/docs.ts";
import { type InProcessGateway, startGateway } from "./support/gateway.ts";

describe("GET /docs", () => {
  let gateway: InProcessGateway;

  beforeAll(async () => {
    gateway = await startGateway([GreetingService], { BACKEND_ADDRESS: "dns:///127.0.0.1:9" });
  });

  afterAll(async () => {
    await gateway?.stop();
  });

  it("serves the page with a Content-Security-Policy that allows only its own origin", async () => {
    const res = await fetch(`${gateway.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("content-security-policy")).toBe(docsContentSecurityPolicy);
    expect(docsContentSecurityPolicy).toMatch(/^default-src 'self';/);
    // No source other than 'self' (and data: images) anywhere in the policy.
    const sources = docsContentSecurityPolicy.split("; ").flatMap((d) => d.split(" ").slice(1));
    expect(new Set(sources)).toEqual(new Set(["'self'", "data:", "'none'"]));
    const html = await res.text();
    for (const src of html.matchAll(/(?:src|href)="([^"]+)"/g)) {
      expect(src[1], "only same-origin, absolute paths").toMatch(/^\/docs\//);
    }
  });

  it("serves every asset the page names, from this origin, gzipped on request, with ETags", async () => {
    const html = await (await fetch(`${gateway.url}/docs`)).text();
    const paths = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
    expect(paths).toEqual(
      expect.arrayContaining([
        "/docs/swagger-ui.css",
        "/docs/swagger-ui-bundle.js",
        "/docs/init.js",
      ]),
    );
    for (const path of paths) {
      const res = await fetch(`${gateway.url}${path}`);
      expect(res.status, path).toBe(200);
      expect((await res.arrayBuffer()).byteLength, path).toBeGreaterThan(0);
      const etag = res.headers.get("etag") as string;
      const again = await fetch(`${gateway.url}${path}`, { headers: { "if-none-match": etag } });
      expect(again.status, path).toBe(304);
    }
    // fetch asks for gzip and unpacks it; the header says what came over the wire.
    const bundle = await fetch(`${gateway.url}/docs/swagger-ui-bundle.js`);
    expect(bundle.headers.get("content-encoding")).toBe("gzip");
    expect(await bundle.text()).toContain("SwaggerUIBundle");
  });

  it("answers other methods with 405 and /docs/ with a redirect to /docs", async () => {
    const post = await fetch(`${gateway.url}/docs`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    const slash = await fetch(`${gateway.url}/docs/`, { redirect: "manual" });
    expect(slash.status).toBe(308);
    expect(slash.headers.get("location")).toBe("/docs");
  });

  it("serves an /openapi.json that an independent OpenAPI 3.1 validator accepts", async () => {
    const doc = await (await fetch(`${gateway.url}/openapi.json`)).json();
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });
});
