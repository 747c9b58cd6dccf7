import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { type Env, loaders, readByLibraries, reads } from "../../test/support/service-env.ts";
import { find, type Manifest, render, repoRoot, templateRaw } from "./support/helm.ts";
import { mergedValues, shippedValues } from "./support/values-files.ts";

/**
 * The chart and the services meet in environment variables. For every values file the chart ships
 * or documents, the environment each container would see (the image's ENV, then the ConfigMap, then
 * the pod's env) is handed to the services' own configuration loaders, the code that runs at
 * start-up; a values file that cannot work must instead fail to render with its promised message.
 * And every variable the chart sets must be one a service reads: a variable nothing reads is a
 * setting that silently does nothing. The loaders and the "is it read" check are shared with
 * test/service-env.test.ts (workflows, scripts and docs), in test/support/service-env.ts.
 */

/** A stand-in for the content of Secrets the chart references but does not render. */
const secretValues: Record<string, string> = {
  DATABASE_URL: "postgres://infinitypool:example@db.example.internal:5432/infinitypool",
};

/** The ENV of the runtime stage (the last FROM) of a Dockerfile. */
function imageEnv(dockerfile: string): Env {
  const text = readFileSync(path.join(repoRoot, dockerfile), "utf8").replace(/\\\n/g, " ");
  const runtime = text.slice(text.lastIndexOf("\nFROM "));
  const env: Env = {};
  for (const line of runtime.split("\n")) {
    const m = /^ENV\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    for (const pair of (m[1] ?? "").matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)/g)) {
      env[pair[1] as string] = (pair[2] as string).replace(/^"(.*)"$/, "$1");
    }
  }
  return env;
}

const scratch = mkdtempSync(path.join(tmpdir(), "helm-contract-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface ContainerEnv {
  /** What the container sees. */
  env: Env;
  /** The names the chart sets (ConfigMap and pod env), not the image. */
  chartSet: string[];
}

/**
 * The environment of the first container of a workload, as the kubelet assembles it, with files the
 * container would find (mounted Secret keys, files of the image) materialised under a scratch
 * directory so the loaders' file checks see them.
 */
function containerEnv(manifests: Manifest[], workload: Manifest, dockerfile: string): ContainerEnv {
  const template = workload.spec.template;
  const container = template.spec.containers[0];
  const env: Env = { ...imageEnv(dockerfile) };
  const chartSet: string[] = [];
  for (const from of container.envFrom ?? []) {
    const data = find(manifests, "ConfigMap", from.configMapRef.name).data ?? {};
    Object.assign(env, data);
    chartSet.push(...Object.keys(data));
  }
  for (const e of container.env ?? []) {
    chartSet.push(e.name);
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.secretKeyRef) {
      const stand = secretValues[e.name];
      if (!stand) throw new Error(`no stand-in for Secret-sourced ${e.name}`);
      env[e.name] = stand;
    } else throw new Error(`${e.name}: unsupported env source`);
  }
  const mounts: { mountPath: string; projected: boolean; files: string[] }[] = (
    container.volumeMounts ?? []
  ).map((m: { name: string; mountPath: string }) => {
    const volume = template.spec.volumes.find((v: { name: string }) => v.name === m.name);
    const items: { path: string }[] = volume?.secret?.items ?? volume?.configMap?.items ?? [];
    return {
      mountPath: m.mountPath,
      projected: Boolean(volume?.secret ?? volume?.configMap),
      files: items.map((i) => path.posix.join(m.mountPath, i.path)),
    };
  });
  for (const [name, value] of Object.entries(env)) {
    if (!value.startsWith("/")) continue;
    const mount = mounts.find((m) => value.startsWith(`${m.mountPath}/`));
    if (mount && !mount.projected) {
      continue; // A scratch directory (PGLITE_DATA_DIR under the /tmp emptyDir), not a file read.
    } else if (mount) {
      // A path into a volume must name a file the volume projects, or the service finds nothing.
      expect(mount.files, `${name}=${value}`).toContain(value);
    } else if (!value.startsWith("/app/")) {
      throw new Error(`${name}=${value}: neither a mounted file nor a file of the image (/app)`);
    }
    const local = path.join(scratch, value);
    mkdirSync(path.dirname(local), { recursive: true });
    writeFileSync(local, "placeholder\n");
    env[name] = local;
  }
  return { env, chartSet: [...new Set(chartSet)] };
}

const scenarios = shippedValues();
const workloads = [
  {
    service: "gateway",
    kind: "Deployment",
    name: "infinity-pool-gateway",
    dockerfile: "gateway/Dockerfile",
  },
  {
    service: "backend",
    kind: "Deployment",
    name: "infinity-pool-backend",
    dockerfile: "backend/Dockerfile",
  },
  {
    service: "backend",
    kind: "Job",
    name: "infinity-pool-migrate",
    dockerfile: "backend/Dockerfile",
  },
] as const;

describe.each(scenarios.map((s) => [s.name, s] as const))("%s", (_name, scenario) => {
  if (scenario.expectedFailure) {
    test("fails to render at once, with the promised one-line message", () => {
      const result = templateRaw(scenario.options);
      expect(result.status).not.toBe(0);
      expect(result.stdout).toBe("");
      const [line] = result.stderr.split("\n");
      expect(line?.startsWith("Error: execution error at (")).toBe(true);
      expect(line?.endsWith(`): ${scenario.expectedFailure}`)).toBe(true);
    });
    return;
  }

  const manifests = render(scenario.options);
  const values = mergedValues(scenario.options) as {
    gateway: { port: number };
    backend: {
      port: number;
      database: { host: string; secretId: string; urlSecret: { name: string } };
    };
  };

  test.each(
    workloads.filter((w) => manifests.some((m) => m.kind === w.kind && m.metadata.name === w.name)),
  )("$kind/$name: the $service's own loader accepts the environment", (w) => {
    const { env } = containerEnv(manifests, find(manifests, w.kind, w.name), w.dockerfile);
    const loaded = loaders[w.service](env);
    if (w.service === "gateway") {
      expect(loaded).toMatchObject({
        port: values.gateway.port,
        backendAddress: `dns:///infinity-pool-backend-headless.infinity-pool.svc.cluster.local:${values.backend.port}`,
      });
    } else {
      // Never the embedded PGlite in a cluster: each pod would get a private, vanishing database.
      const db = values.backend.database;
      expect(loaded).toMatchObject(
        db.urlSecret.name
          ? { port: values.backend.port, database: { kind: "url" } }
          : {
              port: values.backend.port,
              database: { kind: "secrets-manager", host: db.host, secretId: db.secretId },
            },
      );
    }
  });

  test.each(
    workloads.filter((w) => manifests.some((m) => m.kind === w.kind && m.metadata.name === w.name)),
  )("$kind/$name: every variable the chart sets is read by the $service", (w) => {
    const { env, chartSet } = containerEnv(
      manifests,
      find(manifests, w.kind, w.name),
      w.dockerfile,
    );
    const loader = loaders[w.service];
    const unread = chartSet.filter(
      (name) => !reads(loader, env, name) && !readByLibraries[w.service].includes(name),
    );
    expect(unread).toEqual([]);
  });
});

describe("the contract check itself", () => {
  test("sees a variable the gateway reads, and one nothing reads", () => {
    const env = { GATEWAY_PORT: "8080", BACKEND_ADDRESS: "dns:///backend:50051" };
    expect(reads(loaders.gateway, env, "GATEWAY_PORT")).toBe(true);
    expect(reads(loaders.gateway, { ...env, GATEWAY_PROT: "8081" }, "GATEWAY_PROT")).toBe(false);
  });

  test("reads the image's environment", () => {
    expect(imageEnv("backend/Dockerfile")).toMatchObject({
      BACKEND_PORT: "50051",
      DB_SSL_CA_FILE: "/app/certs/rds-global-bundle.pem",
    });
  });
});
