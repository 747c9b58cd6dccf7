// Write tokens cross three places: the operator's WRITE_TOKENS / WRITE_TOKENS_FILE, the two
// services' configuration loaders, and the Authorization header a client sends. A token that
// one place accepts and another can never match leaves writes "enabled" yet impossible; these
// tests hold every configured token to what a client can present.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ConfigError } from "@infinity-pool/runtime/config";
import {
  bearerToken,
  isPresentable,
  parseTokens,
  TokenSource,
} from "@infinity-pool/runtime/tokens";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadConfig as loadBackendConfig } from "../backend/src/config.ts";
import { loadConfig as loadGatewayConfig } from "../gateway/src/config.ts";

const loaders = { backend: loadBackendConfig, gateway: loadGatewayConfig } as const;

function refusal(
  load: (env: NodeJS.ProcessEnv) => unknown,
  value: string,
): ConfigError | undefined {
  try {
    load({ WRITE_TOKENS: value });
    return undefined;
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
}

describe.each(Object.entries(loaders))("%s WRITE_TOKENS", (_service, load) => {
  it.each(["my token", "tök", "a\tb", "valid-1,bad token"])(
    "refuses %j, naming the variable and never the token",
    (value) => {
      const error = refusal(load, value);
      expect(error?.message).toMatch(/WRITE_TOKENS holds a token no client can send/);
      for (const token of parseTokens(value)) expect(error?.message).not.toContain(token);
    },
  );

  it("accepts exactly the tokens a client can send as `Authorization: Bearer <token>`", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 12, unit: "binary" }), (raw) => {
        const tokens = parseTokens(raw);
        const error = refusal(load, raw);
        const sendable = tokens.every((t) => bearerToken(`Bearer ${t}`) === t);
        expect(error === undefined).toBe(sendable);
      }),
      { numRuns: 300 },
    );
  });
});

describe("WRITE_TOKENS_FILE", () => {
  it("ignores entries no client can send, reporting how many and not what they are", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "write-tokens-"));
    const file = path.join(dir, "tokens");
    writeFileSync(file, "good-token\nmy token\ntök\n");
    const ignored: number[] = [];
    const source = new TokenSource({ file, events: { unpresentable: (n) => ignored.push(n) } });
    try {
      expect(source.tokens()).toEqual(["good-token"]);
      expect(ignored).toEqual([2]);
      expect(source.tokens().every(isPresentable)).toBe(true);
    } finally {
      source.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
