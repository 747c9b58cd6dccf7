// The backend authorises writes itself (issue #11 kind 8, CONTRACTS.md "Write tokens"): the same
// token set as the gateway, from WRITE_TOKENS and WRITE_TOKENS_FILE (re-read while running, as a
// rotated Kubernetes Secret is), UNAUTHENTICATED without a valid bearer token, reads open, no token
// in any log line.
import { mkdtempSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConnectError } from "@connectrpc/connect";
import { GreetingService } from "@infinity-pool/proto/infinitypool/v1/greeting_pb.js";
import { Code, codeName } from "@infinity-pool/runtime/status";
import { afterEach, describe, expect, it } from "vitest";
import { requiresWriteToken } from "../src/auth/write-methods.ts";
import { type BackendProcess, startBackend } from "./support/backend-process.ts";
import { clients } from "./support/clients.ts";

async function codeOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return "OK";
  } catch (e) {
    return codeName(ConnectError.from(e).code);
  }
}

/** Polls until `check` passes; the file is re-read every second. */
async function eventually(check: () => Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

describe("write authorisation in the backend", () => {
  let backend: BackendProcess | undefined;
  afterEach(async () => {
    backend?.kill("SIGKILL");
    await backend?.exited;
    backend = undefined;
  });

  it("writes are the RPCs without an all-GET http binding; health and reflection are reads", () => {
    const writes = GreetingService.methods.filter(requiresWriteToken).map((m) => m.name);
    expect(writes).toEqual(["CreateGreeting"]);
  });

  it("WRITE_TOKENS: the right token writes, none or a wrong one is UNAUTHENTICATED, reads are open", async () => {
    backend = await startBackend({
      env: { WRITE_TOKENS: "alpha-token,beta-token" },
    });
    const text = { text: "authorised" };
    expect(
      await codeOf(clients(backend.url, { token: "beta-token" }).greetings.createGreeting(text)),
    ).toBe("OK");
    for (const token of [null, "gamma-token", ""]) {
      const api = clients(backend.url, { token }).greetings;
      expect(await codeOf(api.createGreeting(text)), String(token)).toBe("UNAUTHENTICATED");
      expect(await codeOf(api.getGreeting({ id: 1n }))).toBe("OK");
      expect(await codeOf(api.sayHello({}))).toBe("OK");
    }
    expect(await codeOf(clients(backend.url, { token: null }).health.check({ service: "" }))).toBe(
      "OK",
    );
    const logs = backend.logs().join("\n");
    for (const secret of ["alpha-token", "beta-token", "gamma-token"])
      expect(logs).not.toContain(secret);
    expect(logs).toContain('"code":"UNAUTHENTICATED"');
  }, 150_000);

  it("WRITE_TOKENS_FILE: no token yet is PERMISSION_DENIED; a file that appears, then changes, is followed without a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "write-tokens-"));
    const file = join(dir, "tokens");
    backend = await startBackend({
      env: { WRITE_TOKENS: "", WRITE_TOKENS_FILE: file },
    });
    const write = (token: string) =>
      clients((backend as BackendProcess).url, { token }).greetings.createGreeting({
        text: "from a file",
      });
    // The Secret does not exist yet: no token at all, so writes are refused, the backend up.
    expect(await codeOf(write("first-token"))).toBe(codeName(Code.PERMISSION_DENIED));
    // Written the way kubelet swaps a Secret's files: a new file renamed into place.
    const replace = (content: string) => {
      writeFileSync(`${file}.new`, content);
      renameSync(`${file}.new`, file);
    };
    replace("first-token\n");
    expect(await eventually(async () => (await codeOf(write("first-token"))) === "OK")).toBe(true);
    replace("second-token, third-token\n");
    expect(await eventually(async () => (await codeOf(write("second-token"))) === "OK")).toBe(true);
    expect(await codeOf(write("first-token"))).toBe("UNAUTHENTICATED");
    const logs = backend.logs().join("\n");
    for (const secret of ["first-token", "second-token", "third-token"])
      expect(logs).not.toContain(secret);
  }, 150_000);
});
