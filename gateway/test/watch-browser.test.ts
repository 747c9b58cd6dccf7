// New greetings in a browser tab the moment anyone creates one: real headless Chromium with an
// EventSource on a page, the gateway, a backend and PostgreSQL. A TCP proxy in front of the gateway
// lets the test drop the connection as a network or load balancer would.
import { GreetingService } from "@infinity-pool/proto/infinitypool/v1/greeting_pb.js";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, openPage, saveScreenshot, skipWithoutBrowser } from "./support/browser.ts";
import { type InProcessGateway, startGateway } from "./support/gateway.ts";
import {
  type BackendProcess,
  backendOn,
  type PostgresServer,
  skipWithoutPostgres,
  startPostgres,
  writeToken,
} from "./support/system.ts";
import { startTcpProxy, type TcpProxy } from "./support/tcp-proxy.ts";

/** What the page recorded: each message event's lastEventId and greeting text. */
interface Seen {
  id: string;
  text: string;
}

// The page a user would write: an EventSource on the watch route, each greeting shown as it comes.
const page = (sinceId: bigint) => `<!doctype html>
<meta charset="utf-8">
<title>Greetings, live</title>
<ul id="greetings"></ul>
<script>
  window.seen = [];
  window.opened = 0;
  const source = new EventSource("/v1/greetings:watch?since_id=${sinceId}");
  source.onopen = () => { window.opened++; };
  source.onmessage = (event) => {
    const greeting = JSON.parse(event.data);
    window.seen.push({ id: event.lastEventId, text: greeting.text });
    const item = document.createElement("li");
    item.textContent = greeting.text;
    document.getElementById("greetings").append(item);
  };
</script>`;

describe.skipIf(skipWithoutBrowser || skipWithoutPostgres)("WatchGreetings in a browser", () => {
  let pg: PostgresServer;
  let backend: BackendProcess;
  let gateway: InProcessGateway;
  let proxy: TcpProxy;
  let browser: Browser;

  beforeAll(async () => {
    pg = await startPostgres();
    [backend, browser] = await Promise.all([backendOn(pg), launchChromium()]);
    gateway = await startGateway([GreetingService], {
      BACKEND_ADDRESS: `dns:///${backend.address}`,
      WRITE_TOKENS: writeToken,
    });
    proxy = await startTcpProxy(Number(new URL(gateway.url).port));
  });
  afterAll(async () => {
    await browser?.close();
    await proxy?.close();
    await gateway?.stop();
    backend?.kill("SIGKILL");
    await pg?.destroy();
  });

  async function create(text: string): Promise<string> {
    const res = await fetch(`${gateway.url}/v1/greetings`, {
      method: "POST",
      headers: { authorization: `Bearer ${writeToken}`, "content-type": "application/json" },
      body: JSON.stringify({ text }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { id: string }).id;
  }

  it("shows greetings live, and after a dropped connection resumes with Last-Event-ID and misses nothing", async () => {
    const { rows } = await pg.query("SELECT max(id)::text AS id FROM greetings");
    const since = BigInt(rows[0].id);
    const watch = await openPage(browser);
    // The page is served from the proxy's origin, so its EventSource is same-origin; only this
    // one URL is answered by the test, the stream itself goes to the real gateway.
    const pageUrl = `${proxy.url}/watch.html`;
    await watch.context.route(pageUrl, (route) =>
      route.fulfill({ status: 200, contentType: "text/html", body: page(since) }),
    );
    await watch.page.goto(pageUrl);
    const seen = () => watch.page.evaluate(() => (window as unknown as { seen: Seen[] }).seen);
    await expect
      .poll(() => watch.page.evaluate(() => (window as unknown as { opened: number }).opened), {
        timeout: 20_000,
      })
      .toBe(1);

    // Live: created after the page opened, shown without a reload.
    const live = [await create("live one"), await create("live two")];
    await expect.poll(seen, { timeout: 10_000 }).toEqual([
      { id: live[0], text: "live one" },
      { id: live[1], text: "live two" },
    ]);
    await expect
      .poll(() => watch.page.locator("#greetings li").allInnerTexts())
      .toEqual(["live one", "live two"]);

    // The connection goes; greetings are created before the browser is back.
    proxy.dropAll();
    const missed = [await create("while away 1"), await create("while away 2")];
    await expect.poll(seen, { timeout: 20_000 }).toHaveLength(4);
    const after = await create("after the reconnect");
    await expect.poll(seen, { timeout: 10_000 }).toHaveLength(5);
    expect((await seen()).map((s) => s.id)).toEqual([...live, ...missed, after]);
    // The browser itself asked to resume after the last event it had.
    const reconnect = proxy.openings.find(
      (o) => o.includes("/v1/greetings:watch") && /last-event-id/i.test(o),
    );
    expect(reconnect).toMatch(new RegExp(`last-event-id: ${live[1]}\\r\\n`, "i"));
    await saveScreenshot(watch.page, "watch-greetings");
    expect(watch.pageErrors).toEqual([]);
    expect(watch.outsideRequests).toEqual([]);
    await watch.close();
  });
});
