// A local Secrets Manager endpoint speaking the service's JSON 1.1 protocol, so the backend's real
// AWS SDK client is exercised end to end (AWS_ENDPOINT_URL_SECRETS_MANAGER points here).
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeSecretsManager {
  url: string;
  /** GetSecretValue calls received so far. */
  requests: number;
  setSecret(id: string, value: { username: string; password: string } | string): void;
  close(): Promise<void>;
}

export async function startSecretsManager(): Promise<FakeSecretsManager> {
  const secrets = new Map<string, string>();
  const state = { requests: 0 };
  const server: Server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => {
      body += c;
    });
    req.on("end", () => {
      const target = req.headers["x-amz-target"];
      const reply = (status: number, payload: unknown) => {
        res.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
        res.end(JSON.stringify(payload));
      };
      if (target !== "secretsmanager.GetSecretValue") {
        reply(400, { __type: "UnknownOperationException", message: String(target) });
        return;
      }
      if (!req.headers.authorization?.startsWith("AWS4-HMAC-SHA256")) {
        reply(400, { __type: "MissingAuthenticationToken", message: "request is not signed" });
        return;
      }
      state.requests++;
      const { SecretId } = JSON.parse(body) as { SecretId: string };
      const value = secrets.get(SecretId);
      if (value === undefined) {
        reply(400, {
          __type: "ResourceNotFoundException",
          message: "Secrets Manager can't find the specified secret.",
        });
        return;
      }
      reply(200, {
        ARN: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${SecretId}`,
        Name: SecretId,
        SecretString: value,
        VersionId: `v${state.requests}`,
        VersionStages: ["AWSCURRENT"],
        CreatedDate: Date.now() / 1000,
      });
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    set requests(n) {
      state.requests = n;
    },
    setSecret(id, value) {
      secrets.set(id, typeof value === "string" ? value : JSON.stringify(value));
    },
    async close() {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** Environment for a backend that takes its database credentials from the local endpoint. */
export function secretsManagerEnv(sm: FakeSecretsManager, secretId: string) {
  return {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.url,
    AWS_REGION: "eu-west-1",
    AWS_ACCESS_KEY_ID: "AKIDLOCALTEST",
    AWS_SECRET_ACCESS_KEY: "local-test-signing-key",
    DB_SECRET_ID: secretId,
  };
}
