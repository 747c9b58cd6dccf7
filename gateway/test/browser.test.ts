// What a user sees in a browser: the gateway's root as the deployment guide tells them to open it,
// the API docs page (/docs) with "try it", and a browser app on another origin calling the API
// (CORS). Real headless Chromium against the real gateway and backend; screenshots are kept in
// .artifacts/browser.
import { GreetingService } from "@infinity-pool/proto/infinitypool/v1/greeting_pb.js";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BackendProcess, startBackend } from "../../backend/test/support/backend-process.ts";
import {
  launchChromium,
  type OriginPage,
  openPage,
  saveScreenshot,
  serveOriginPage,
  skipWithoutBrowser,
} from "./support/browser.ts";
import { type InProcessGateway, startGateway } from "./support/gateway.ts";

const greeting = {
  data: { greeting: "Hello World" },
  message: "Response from infinity-pool database",
};
const token = "browser-test-token-7d2a";

describe.skipIf(skipWithoutBrowser)("the gateway in a browser", () => {
  let backend: BackendProcess;
  let gateway: InProcessGateway;
  let browser: Browser;
  let allowedApp: OriginPage;
  let otherApp: OriginPage;

  beforeAll(async () => {
    const page = "<!doctype html><title>app</title><p>a browser app on another origin</p>";
    [backend, browser, allowedApp, otherApp] = await Promise.all([
      startBackend({ env: { WRITE_TOKENS: token } }),
      launchChromium(),
      serveOriginPage(page),
      serveOriginPage(page),
    ]);
    gateway = await startGateway([GreetingService], {
      BACKEND_ADDRESS: `dns:///${backend.address}`,
      WRITE_TOKENS: token,
      GATEWAY_CORS_ALLOWED_ORIGINS: allowedApp.origin,
    });
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
    await allowedApp?.close();
    await otherApp?.close();
    backend?.kill();
    await backend?.exited;
  });

  it("GET / shows the greeting JSON", async () => {
    const watch = await openPage(browser);
    const response = await watch.page.goto(`${gateway.url}/`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()["content-type"]).toMatch(/^application\/json/);
    // What is on screen, not the DOM text: innerText is the rendered text.
    // biome-ignore lint/performance/useDomNodeTextContent: the test is about what the user sees
    const shown = await watch.page.locator("body").innerText();
    expect(JSON.parse(shown)).toEqual(greeting);
    await saveScreenshot(watch.page, "gateway-root");
    // Chromium asks every site for /favicon.ico, in the background; the gateway has none.
    const favicon = `${gateway.url}/favicon.ico`;
    expect(watch.consoleErrors.filter((e) => !e.endsWith(`(${favicon})`))).toEqual([]);
    expect(watch.failures.filter((f) => !f.endsWith(` ${favicon}`))).toEqual([]);
    expect(watch.outsideRequests).toEqual([]);
    await watch.close();
  });

  describe("/docs", () => {
    it("loads with no console error and no request outside this machine, and lists every operation", async () => {
      const watch = await openPage(browser);
      await watch.page.goto(`${gateway.url}/docs`);
      const summaries = watch.page.locator(".opblock-summary");
      await summaries.first().waitFor();
      const doc = (await (await fetch(`${gateway.url}/openapi.json`)).json()) as {
        paths: Record<string, Record<string, unknown>>;
      };
      const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
      );
      const listed = await summaries.evaluateAll((nodes) =>
        nodes.map((n) => {
          const method = n.querySelector(".opblock-summary-method")?.textContent ?? "";
          const path = n.querySelector(".opblock-summary-path")?.getAttribute("data-path") ?? "";
          return `${method} ${path}`;
        }),
      );
      expect(listed.sort()).toEqual(documented.sort());
      await saveScreenshot(watch.page, "docs");
      expect(watch.consoleErrors).toEqual([]);
      expect(watch.pageErrors).toEqual([]);
      expect(watch.failures).toEqual([]);
      expect(watch.outsideRequests).toEqual([]);
      expect(watch.requests.length).toBeGreaterThan(0);
      await watch.close();
    });

    it('"try it" on GET / shows the greeting JSON', async () => {
      const watch = await openPage(browser);
      await watch.page.goto(`${gateway.url}/docs`);
      const operation = watch.page.locator(".opblock-get", {
        has: watch.page.locator('.opblock-summary-path[data-path="/"]'),
      });
      await operation.locator(".opblock-summary").click();
      await operation.locator(".try-out__btn").click();
      await operation.locator(".execute").click();
      const body = operation.locator(".live-responses-table .response-col_description pre").first();
      await body.waitFor();
      // biome-ignore lint/performance/useDomNodeTextContent: what the user sees
      expect(JSON.parse(await body.innerText())).toEqual(greeting);
      await saveScreenshot(watch.page, "docs-try-it");
      expect(watch.consoleErrors).toEqual([]);
      expect(watch.outsideRequests).toEqual([]);
      await watch.close();
    });

    it("creates a greeting with a pasted bearer token", async () => {
      const watch = await openPage(browser);
      const page = watch.page;
      await page.goto(`${gateway.url}/docs`);
      await page.locator(".btn.authorize").first().click();
      await page.locator(".auth-container input").first().fill(token);
      await page.locator(".auth-btn-wrapper .authorize").first().click();
      await page.locator(".auth-btn-wrapper .btn-done").first().click();
      const operation = page.locator(".opblock-post", {
        has: page.locator('.opblock-summary-path[data-path="/v1/greetings"]'),
      });
      await operation.locator(".opblock-summary").click();
      await operation.locator(".try-out__btn").click();
      await operation
        .locator("textarea.body-param__text")
        .fill(JSON.stringify({ text: "Hallo aus dem Browser", requestId: "browser-docs-1" }));
      await operation.locator(".execute").click();
      const body = operation.locator(".live-responses-table .response-col_description pre").first();
      await body.waitFor();
      // biome-ignore lint/performance/useDomNodeTextContent: what the user sees
      const created = JSON.parse(await body.innerText()) as { text?: string; id?: string };
      expect(created.text).toBe("Hallo aus dem Browser");
      expect(created.id).toBeTruthy();
      await saveScreenshot(page, "docs-create-greeting");
      expect(watch.consoleErrors).toEqual([]);
      await watch.close();
    });
  });

  describe("a page on another origin calling the API with fetch", () => {
    /** Runs fetch in the page: GET / with a header that needs a preflight, then a write. */
    async function callFromPage(app: OriginPage) {
      const watch = await openPage(browser);
      await watch.page.goto(app.url);
      const result = await watch.page.evaluate(
        async ({ api, token }) => {
          try {
            const read = await fetch(`${api}/`, { headers: { "x-request-id": "cors-read-1" } });
            const write = await fetch(`${api}/v1/greetings`, {
              method: "POST",
              headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
              body: JSON.stringify({ text: "Hello across origins", requestId: "cors-write-1" }),
            });
            return {
              read: {
                status: read.status,
                body: await read.json(),
                requestId: read.headers.get("x-request-id"),
              },
              write: { status: write.status, body: await write.json() },
            };
          } catch (error) {
            return { error: String(error) };
          }
        },
        { api: gateway.url, token },
      );
      return { watch, result };
    }

    it("succeeds from an allowed origin, preflight included", async () => {
      const { watch, result } = await callFromPage(allowedApp);
      expect(result).toMatchObject({
        read: { status: 200, body: greeting, requestId: "cors-read-1" },
        write: { status: 200, body: { text: "Hello across origins" } },
      });
      expect(watch.consoleErrors).toEqual([]);
      await watch.close();
    });

    it("fails from any other origin: the browser refuses to hand over the answers", async () => {
      const { watch, result } = await callFromPage(otherApp);
      expect(result).toEqual({ error: "TypeError: Failed to fetch" });
      expect(watch.consoleErrors.join("\n")).toMatch(/blocked by CORS policy/);
      await watch.close();
    });
  });
});
