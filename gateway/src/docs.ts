import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { methodNotAllowed } from "./http-error.ts";

/**
 * The page's Content-Security-Policy (CSP Level 3): every script, style, image, font and request
 * from this origin only, no plugins, no framing, no <base> rewriting. `data:` images are Swagger
 * UI's icons, embedded in its own stylesheet.
 */
export const docsContentSecurityPolicy = [
  "default-src 'self'",
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

interface Asset {
  /** Where the bytes come from. */
  file: string;
  type: string;
  /** Seconds a browser may reuse it without asking (the page itself is always revalidated). */
  maxAge: number;
}

const swaggerUi = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
const pageDir = fileURLToPath(new URL("./docs/", import.meta.url));

/** The docs page and its assets; Swagger UI's come from its npm package (swagger-ui-dist). */
const assets: Record<string, Asset> = {
  "/docs": { file: join(pageDir, "index.html"), type: "text/html; charset=utf-8", maxAge: 0 },
  "/docs/init.js": {
    file: join(pageDir, "init.js"),
    type: "text/javascript; charset=utf-8",
    maxAge: 300,
  },
  "/docs/swagger-ui.css": {
    file: join(swaggerUi, "swagger-ui.css"),
    type: "text/css; charset=utf-8",
    maxAge: 3600,
  },
  "/docs/swagger-ui-bundle.js": {
    file: join(swaggerUi, "swagger-ui-bundle.js"),
    type: "text/javascript; charset=utf-8",
    maxAge: 3600,
  },
  "/docs/favicon.png": {
    file: join(swaggerUi, "favicon-32x32.png"),
    type: "image/png",
    maxAge: 3600,
  },
};

/** Paths the docs page owns; the router refuses API routes that would shadow them. */
export const docsPaths: readonly string[] = ["/docs/", ...Object.keys(assets)];

interface Loaded {
  body: Buffer;
  gzip: Buffer | undefined;
  etag: string;
}

/**
 * `GET /docs`: an interactive page for /openapi.json (Swagger UI), served from the gateway itself,
 * so it works offline and behind the load balancer with no CDN. Files are read and compressed on
 * first use and kept in memory; answers carry an ETag, gzip when the client accepts it, and the
 * page its Content-Security-Policy.
 */
export class DocsPage {
  readonly #loaded = new Map<string, Loaded>();

  /** True when `path` (without its query) belongs to the docs page. */
  serves(path: string): boolean {
    return path === "/docs/" || Object.hasOwn(assets, path);
  }

  /** Answers GET and HEAD; throws HttpError 405 for other methods. */
  answer(req: IncomingMessage, res: ServerResponse, path: string): void {
    const method = req.method ?? "";
    if (method !== "GET" && method !== "HEAD") throw methodNotAllowed(method, "GET, HEAD");
    const asset = assets[path];
    if (!asset) {
      res.writeHead(308, { location: "/docs" });
      res.end();
      return;
    }
    const loaded = this.#load(path, asset);
    const headers: Record<string, string> = {
      "content-type": asset.type,
      "cache-control": asset.maxAge > 0 ? `public, max-age=${asset.maxAge}` : "no-cache",
      etag: loaded.etag,
      vary: "accept-encoding",
      "x-content-type-options": "nosniff",
    };
    if (asset.type.startsWith("text/html")) {
      headers["content-security-policy"] = docsContentSecurityPolicy;
      headers["referrer-policy"] = "no-referrer";
    }
    if (req.headers["if-none-match"] === loaded.etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    const gzip = loaded.gzip !== undefined && /\bgzip\b/.test(req.headers["accept-encoding"] ?? "");
    const body = gzip ? (loaded.gzip as Buffer) : loaded.body;
    if (gzip) headers["content-encoding"] = "gzip";
    headers["content-length"] = String(body.length);
    res.writeHead(200, headers);
    res.end(method === "HEAD" ? undefined : body);
  }

  #load(path: string, asset: Asset): Loaded {
    let loaded = this.#loaded.get(path);
    if (!loaded) {
      const body = readFileSync(asset.file);
      const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
      loaded = { body, etag, gzip: asset.type.startsWith("image/") ? undefined : gzipSync(body) };
      this.#loaded.set(path, loaded);
    }
    return loaded;
  }
}
