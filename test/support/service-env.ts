// Which environment variables each service really reads, decided by calling its own configuration
// loader (the code that runs at start-up) rather than by a list kept by hand. Shared by the chart's
// contract test (helm/test/values-contract.test.ts) and the one for everything else that starts a
// service: workflows, scripts, docs (test/service-env.test.ts).
import { fileURLToPath } from "node:url";
import { loadConfig as loadBackendConfig } from "../../backend/src/config.ts";
import { loadConfig as loadGatewayConfig } from "../../gateway/src/config.ts";

export type Env = Record<string, string>;
export type Loader = (env: Env) => unknown;
export type Service = "gateway" | "backend";

export const services: readonly Service[] = ["gateway", "backend"];

export const loaders: Record<Service, Loader> = {
  gateway: (env) => loadGatewayConfig(env),
  backend: (env) => loadBackendConfig(env),
};

/**
 * Read by a library rather than the loader, with the source of the rule. A variable may only be
 * listed here when no loader could reasonably own it.
 */
export const readByLibraries: Record<Service, string[]> = {
  // The AWS SDK for JavaScript v3 (AWS SDKs and Tools reference guide: "AWS Region" and
  // "Service-specific endpoints"): the Secrets Manager client the backend builds.
  backend: ["AWS_REGION", "AWS_ENDPOINT_URL_SECRETS_MANAGER"],
  gateway: [],
};

/**
 * The variables that choose a service's listening ports. Anything that starts a service on a
 * shared host must set every one of them (a default port taken by another process fails the start).
 */
export const listenerVariables: Record<Service, string[]> = {
  gateway: ["GATEWAY_PORT", "GATEWAY_ADMIN_PORT"],
  backend: ["BACKEND_PORT"],
};

/** What a loader makes of an environment: its result as JSON, or `error: <its one-line refusal>`. */
export function outcome(loader: Loader, env: Env): string {
  try {
    return JSON.stringify(loader(env));
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}

export const refused = (result: string) => result.startsWith("error: ");

const mutate = (value: string): string =>
  /^\d+$/.test(value)
    ? String(Number(value) + 1)
    : value === "true"
      ? "false"
      : value === "false"
        ? "true"
        : `${value}x`;

/**
 * A variable of an environment is read when removing or changing it changes what the loader makes
 * of that environment.
 */
export function reads(loader: Loader, env: Env, name: string): boolean {
  const base = outcome(loader, env);
  const { [name]: value, ...without } = env;
  if (outcome(loader, without) !== base) return true;
  return outcome(loader, { ...env, [name]: mutate(value ?? "") }) !== base;
}

/**
 * Environments a variable may matter in: some variables count only beside others (DB_NAME with
 * DB_HOST, DB_SSL_MODE with a database URL).
 */
const contexts: Record<Service, Env[]> = {
  gateway: [{}],
  backend: [
    {},
    {
      DB_HOST: "db.example.internal",
      DB_NAME: "infinitypool",
      DB_SECRET_ID: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!cluster-x-AbCdEf",
    },
    { DATABASE_URL: "postgres://u:p@db.example.internal:5432/infinitypool" },
  ],
};

/** Values to try for a variable whose value is not known (a table row, a doc's placeholder). */
const trialValues = [
  "1",
  "3",
  "1234",
  "60000",
  "true",
  "false",
  "debug",
  "disable",
  "a,b",
  "https://app.example.com",
  "grpc-js",
  "dns:///backend.example.internal:50051",
  "postgres://u:p@db.example.internal:5432/other",
  fileURLToPath(import.meta.url),
  "x",
];

/**
 * True when some value of `name`, in some environment the service runs with, is accepted by the
 * service's loader and changes what it makes of that environment. A variable the loader refuses
 * whatever its value (a renamed one, such as the gateway's old GATEWAY_WRITE_TOKENS) is not read.
 */
export function readsSomeValue(service: Service, name: string): boolean {
  if (readByLibraries[service].includes(name)) return true;
  const loader = loaders[service];
  for (const context of contexts[service]) {
    const reference = outcome(loader, context);
    if (refused(reference)) throw new Error(`${service}: refused ${JSON.stringify(context)}`);
    for (const value of trialValues) {
      const result = outcome(loader, { ...context, [name]: value });
      if (!refused(result) && result !== reference) return true;
    }
  }
  return false;
}
