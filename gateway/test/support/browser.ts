// Real headless Chromium for browser tests: Debian's `chromium` driven by playwright-core, never a
// browser that Playwright downloads (`npx playwright install` cannot work where only the npm
// registry and Debian's packages are reachable).
//
//   const browser = await launchChromium();
//   const watch = await openPage(browser);
//   await watch.page.goto(`${gateway.url}/docs`);
//   await saveScreenshot(watch.page, "docs-page");
//   expect(watch.consoleErrors).toEqual([]);
//   expect(watch.outsideRequests).toEqual([]);
//   await watch.close();
//   await browser.close();
//
// Without Chromium the tests that use this are skipped with the reason printed (`skipWithoutBrowser`);
// with REQUIRE_BROWSER=1 (CI) its absence is an error instead.
import { existsSync, mkdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  chromium,
  type Page,
} from "playwright-core";
import { repoDir } from "./gateway.ts";

/** Debian's package installs it here; CHROMIUM_PATH points elsewhere (e.g. google-chrome). */
export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * Headless, no sandbox (tests run as root in containers), no GPU, and none of Chromium's own
 * connections (component updates, safe browsing, metrics): a closed network refuses them, and a
 * test must see only the requests its page makes.
 */
export const chromiumFlags = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--no-first-run",
];

export const browserRequired = process.env.REQUIRE_BROWSER === "1";
export const browserSkipReason = existsSync(chromiumPath)
  ? undefined
  : `Chromium not found at ${chromiumPath}; install Debian's chromium or set CHROMIUM_PATH`;

if (browserSkipReason !== undefined) {
  if (browserRequired) throw new Error(`REQUIRE_BROWSER=1 but ${browserSkipReason}`);
  console.warn(`skipping browser tests: ${browserSkipReason}`);
}

/** True when browser tests must be skipped (no Chromium, and not required). */
export const skipWithoutBrowser = browserSkipReason !== undefined;

/** Screenshots and other artifacts of a test run (git-ignored; CI keeps them). */
export const artifactsDir = process.env.ARTIFACTS_DIR ?? join(repoDir, ".artifacts");

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: chromiumFlags,
    headless: true,
    timeout: 60_000,
  });
}

/** A page with everything it did recorded, for assertions after the fact. */
export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /**
   * Console messages of type "error" (failed loads, CSP violations, script errors) as
   * `<text> (<url of the resource or script>)`.
   */
  consoleErrors: string[];
  /** Uncaught exceptions in the page. */
  pageErrors: string[];
  /** Every URL the page, its frames and workers requested, in order. */
  requests: string[];
  /** `<status> <url>` of every response with status >= 400, and `failed <url>` of every request
   * that got no response (refused, blocked by CSP or CORS, aborted). */
  failures: string[];
  /** The subset of `requests` whose host is not loopback (localhost, 127.0.0.0/8, [::1]). */
  readonly outsideRequests: string[];
  close(): Promise<void>;
}

/** True for a URL that does not leave this machine: loopback hosts and non-network schemes. */
export function isLocal(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (!["http:", "https:", "ws:", "wss:"].includes(protocol)) return true;
  return (
    hostname === "localhost" ||
    hostname.endsWith(".localhost") ||
    /^127\.\d+\.\d+\.\d+$/.test(hostname) ||
    hostname === "[::1]"
  );
}

/**
 * Opens a page in a fresh context (own cookies and storage). Requests are observed, not
 * intercepted, so CORS preflights and caching behave as in a user's browser.
 */
export async function openPage(
  browser: Browser,
  options: BrowserContextOptions = {},
): Promise<WatchedPage> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  const pageErrors: string[] = [];
  const requests: string[] = [];
  const failures: string[] = [];
  context.on("request", (request) => requests.push(request.url()));
  context.on("response", (response) => {
    if (response.status() >= 400) failures.push(`${response.status()} ${response.url()}`);
  });
  context.on("requestfailed", (request) => failures.push(`failed ${request.url()}`));
  context.on("console", (message) => {
    if (message.type() !== "error") return;
    const { url } = message.location();
    consoleErrors.push(url ? `${message.text()} (${url})` : message.text());
  });
  page.on("pageerror", (error) => pageErrors.push(error.message));
  return {
    page,
    context,
    consoleErrors,
    pageErrors,
    requests,
    failures,
    get outsideRequests() {
      return requests.filter((url) => !isLocal(url));
    },
    close: () => context.close(),
  };
}

/** Writes a full-page PNG to `<artifactsDir>/browser/<name>.png` and returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  const dir = join(artifactsDir, "browser");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name.replace(/[^\w.-]+/g, "-")}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** An HTTP server on loopback answering every GET with `html`: a page on another origin. */
export interface OriginPage {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  /** `http://127.0.0.1:<port>`, as a browser sends it in `Origin`. */
  origin: string;
  close(): Promise<void>;
}

export async function serveOriginPage(html: string): Promise<OriginPage> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
