import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { TestingService } from "@infinity-pool/proto/infinitypool/testing/v1/testing_pb.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type InProcessGateway, startGateway } from "./support/gateway.ts";
import { startTestingBackend, type TestingBackend } from "./support/testing-backend.ts";

/**
 * The Helm chart mounts the write-token Secret as a file (WRITE_TOKENS_FILE); kubelet updates a
 * mounted Secret in place by swapping a `..data` symlink. A running gateway must follow that: a
 * new token works and a removed one stops working, without a restart, and no token is logged.
 */
describe("write tokens from WRITE_TOKENS_FILE", () => {
  let dir: string;
  let backend: TestingBackend;
  let gateway: InProcessGateway;
  let generation = 0;

  /** Writes a new version of the Secret volume the way kubelet's AtomicWriter does. */
  function publish(content: string) {
    const version = `..2026_11_29_00_00_0${++generation}`;
    mkdirSync(path.join(dir, version));
    writeFileSync(path.join(dir, version, "tokens"), content);
    symlinkSync(version, path.join(dir, "..data_tmp"));
    renameSync(path.join(dir, "..data_tmp"), path.join(dir, "..data"));
  }

  const post = (token: string) =>
    fetch(`${gateway.url}/testing/v1/echo`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ text: "hi" }),
    }).then(async (res) => ({ status: res.status, body: await res.json() }));

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "gateway-tokens-"));
    publish("first-token-8d2e\n");
    symlinkSync("..data/tokens", path.join(dir, "tokens"));
    backend = await startTestingBackend();
    gateway = await startGateway([TestingService], {
      BACKEND_ADDRESS: backend.target,
      WRITE_TOKENS_FILE: path.join(dir, "tokens"),
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await backend?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("accepts the file's token at start", async () => {
    expect((await post("first-token-8d2e")).status).toBe(200);
    expect((await post("unknown-token")).status).toBe(401);
  });

  it("takes a rotated Secret without a restart: the new token works, the old one stops", async () => {
    publish("second-token-41ac,third-token-77b0");
    await expect
      .poll(async () => (await post("second-token-41ac")).status, { timeout: 10_000 })
      .toBe(200);
    expect((await post("third-token-77b0")).status).toBe(200);
    expect(await post("first-token-8d2e")).toEqual({
      status: 401,
      body: { code: 16, message: "the bearer token is not valid", details: [] },
    });
  });

  it("refuses every write once the Secret's key is gone, and logs counts, never tokens", async () => {
    publish("");
    await expect
      .poll(async () => (await post("second-token-41ac")).status, { timeout: 10_000 })
      .toBe(403);
    const logs = gateway.rawLogs();
    expect(logs).toContain("write tokens changed");
    for (const token of ["first-token-8d2e", "second-token-41ac", "third-token-77b0"]) {
      expect(logs).not.toContain(token);
    }
  });
});
