// What a user sees who opens the gateway in a browser, as the deployment guide tells them to (the
// ALB's address, then /): the greeting, with no error and no request leaving this machine. Real
// headless Chromium against the real gateway and backend.
import { GreetingService } from "@infinity-pool/proto/infinitypool/v1/greeting_pb.js";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BackendProcess, startBackend } from "../../backend/test/support/backend-process.ts";
import { launchChromium, openPage, saveScreenshot, skipWithoutBrowser } from "./support/browser.ts";
import { type InProcessGateway, startGateway } from "./support/gateway.ts";

describe.skipIf(skipWithoutBrowser)("the gateway in a browser", () => {
  let backend: BackendProcess;
  let gateway: InProcessGateway;
  let browser: Browser;

  beforeAll(async () => {
    [backend, browser] = await Promise.all([startBackend({ timeoutMs: 90_000 }), launchChromium()]);
    gateway = await startGateway([GreetingService], {
      BACKEND_ADDRESS: `dns:///${backend.address}`,
    });
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
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
    expect(JSON.parse(shown)).toEqual({
      data: { greeting: "Hello World" },
      message: "Response from infinity-pool database",
    });
    await saveScreenshot(watch.page, "gateway-root");
    // Chromium asks every site for /favicon.ico, in the background; the gateway has none.
    const favicon = `${gateway.url}/favicon.ico`;
    expect(watch.consoleErrors.filter((e) => !e.endsWith(`(${favicon})`))).toEqual([]);
    expect(watch.failures.filter((f) => !f.endsWith(` ${favicon}`))).toEqual([]);
    expect(watch.pageErrors).toEqual([]);
    expect(watch.outsideRequests).toEqual([]);
    await watch.close();
  });
});
