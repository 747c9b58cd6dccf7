import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { chartDir, type RenderOptions, render, templateRaw } from "./support/helm.ts";
import { missingValuesMessage } from "./support/values-files.ts";

const schema = JSON.parse(readFileSync(path.join(chartDir, "values.schema.json"), "utf8"));

const minimal = ["ci/minimal-values.yaml"];

/** Renders over ci/minimal-values.yaml, so only the value under test is wrong. */
const failure = (options: RenderOptions) => {
  const result = templateRaw({ valuesFiles: minimal, ...options });
  expect(result.status, "helm template should have failed").not.toBe(0);
  expect(result.stdout).toBe("");
  return result.stderr;
};

describe("values.schema.json", () => {
  test("is self-contained: every $ref points inside the file and resolves", () => {
    const refs: string[] = [];
    const walk = (node: unknown) => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === "object") {
        for (const [key, value] of Object.entries(node)) {
          if (key === "$ref") refs.push(String(value));
          else walk(value);
        }
      }
    };
    walk(schema);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      expect(ref).toMatch(/^#\/definitions\/[A-Za-z0-9]+$/);
      expect(schema.definitions[ref.split("/").pop() ?? ""], ref).toBeDefined();
    }
  });

  test("closes every object with properties against unknown keys", () => {
    const open: string[] = [];
    const walk = (node: unknown, at: string) => {
      if (Array.isArray(node)) {
        for (const [i, n] of node.entries()) walk(n, `${at}[${i}]`);
      } else if (node && typeof node === "object") {
        const o = node as Record<string, unknown>;
        if (o.properties && o.additionalProperties !== false) open.push(at);
        for (const [key, value] of Object.entries(o)) walk(value, `${at}/${key}`);
      }
    };
    walk(schema, "#");
    expect(open).toEqual([]);
  });

  test("documents every key of values.yaml: the defaults pass it, and stop only at what has no default", () => {
    const result = templateRaw();
    expect(result.stderr).not.toContain("schema");
    // One line (Helm adds its own "Use --debug" hint after it).
    const [line] = result.stderr.split("\n");
    expect(line).toBe(
      `Error: execution error at (infinity-pool/templates/gateway-deployment.yaml:1:4): ${missingValuesMessage}`,
    );
  });
});

describe("helm template rejects bad values with a message naming the key", () => {
  test.each([
    [
      "a mistyped top-level key",
      { set: { ingres: "true" } },
      "additional properties 'ingres' not allowed",
    ],
    [
      "a mistyped nested key",
      { set: { "gateway.replicaCont": "3" } },
      "at '/gateway': additional properties 'replicaCont' not allowed",
    ],
    [
      "a deep typo",
      { set: { "ingress.healthCheck.pathh": "/x" } },
      "at '/ingress/healthCheck': additional properties 'pathh' not allowed",
    ],
    [
      "a string for a number",
      { setString: { "gateway.replicaCount": "two" } },
      "at '/gateway/replicaCount': got string, want integer",
    ],
    [
      "a number for a boolean",
      { set: { "ingress.enabled": "1" } },
      "at '/ingress/enabled': got number, want boolean",
    ],
    [
      "an unknown ALB scheme",
      { set: { "ingress.scheme": "public" } },
      "at '/ingress/scheme': value must be one of 'internal', 'internet-facing'",
    ],
    ["a root user", { set: { "podSecurity.runAsUser": "0" } }, "at '/podSecurity/runAsUser'"],
    ["a privileged port", { set: { "gateway.port": "80" } }, "at '/gateway/port'"],
    [
      "a malformed certificate ARN",
      { set: { "ingress.certificateArns[0]": "my-cert" } },
      "at '/ingress/certificateArns/0'",
    ],
    [
      "a malformed IRSA role ARN",
      { set: { "backend.serviceAccount.roleArn": "backend-role" } },
      "at '/backend/serviceAccount/roleArn'",
    ],
    [
      "a non-string extra env value",
      { set: { "backend.extraEnv.FEATURE_X": "true" } },
      "at '/backend/extraEnv/FEATURE_X': got boolean, want string",
    ],
    [
      "an invalid env name",
      { setString: { "gateway.extraEnv.bad-name": "x" } },
      "at '/gateway/extraEnv': additional properties 'bad-name' not allowed",
    ],
    [
      "an unknown SSL mode",
      { set: { "backend.database.sslMode": "prefer" } },
      "at '/backend/database/sslMode'",
    ],
    [
      "an upper-case ALB group name (the load balancer controller refuses it)",
      { set: { "ingress.groupName": "Infinity-Pool" } },
      "at '/ingress/groupName'",
    ],
    [
      "a memory autoscaling target (V8 never gives the memory back, so it cannot scale down)",
      { set: { "gateway.autoscaling.targetMemoryUtilizationPercentage": "80" } },
      "at '/gateway/autoscaling': additional properties 'targetMemoryUtilizationPercentage' not allowed",
    ],
    [
      "a database endpoint given as a URL",
      { set: { "backend.database.host": "postgres://db.example.com:5432" } },
      "at '/backend/database/host'",
    ],
    [
      "a database secret that is neither a Secrets Manager ARN nor a name",
      { set: { "backend.database.secretId": "arn:aws:s3:::bucket/key" } },
      "at '/backend/database/secretId'",
    ],
    [
      "a CORS origin with a path (browsers send scheme://host[:port] only)",
      { set: { "gateway.cors.allowedOrigins[0]": "https://app.example.com/" } },
      "at '/gateway/cors/allowedOrigins/0'",
    ],
    [
      "an AWS tag key in the reserved aws: prefix",
      { set: { "ingress.tags.aws:team": "x" } },
      "invalid propertyName 'aws:team'",
    ],
    [
      "an image repository with a tag in it",
      { set: { "gateway.image.repository": "example/gateway:v1" } },
      "at '/gateway/image/repository'",
    ],
  ] as [string, RenderOptions, string][])("%s", (_name, options, message) => {
    const stderr = failure(options);
    expect(stderr).toContain("values don't meet the specifications of the schema");
    expect(stderr).toContain(message);
  });

  test.each([
    [
      "extraEnv shadowing a chart-managed variable",
      { set: { "backend.extraEnv.DB_HOST": "x" } },
      "backend.extraEnv.DB_HOST: this variable is set by the chart",
    ],
    [
      "write tokens put into the pod spec through extraEnv",
      { setString: { "gateway.extraEnv.GATEWAY_WRITE_TOKENS": "t" } },
      "gateway.extraEnv.GATEWAY_WRITE_TOKENS: this variable is set by the chart",
    ],
    [
      "write tokens put into the backend's pod spec through extraEnv",
      { setString: { "backend.extraEnv.WRITE_TOKENS": "t" } },
      "backend.extraEnv.WRITE_TOKENS: this variable is set by the chart",
    ],
    [
      "a health-check timeout as long as its interval (the ALB refuses it)",
      {
        set: {
          "ingress.healthCheck.timeoutSeconds": "10",
          "ingress.healthCheck.intervalSeconds": "10",
        },
      },
      "ingress.healthCheck.timeoutSeconds (10) must be less than intervalSeconds (10)",
    ],
    [
      "the admin port on the public port",
      { set: { "gateway.adminPort": "8080" } },
      "gateway.adminPort (8080) must differ from gateway.port",
    ],
    [
      "a database URL Secret and an Aurora endpoint at once",
      { set: { "backend.database.urlSecret.name": "db-url" } },
      "backend.database: set either urlSecret.name (a DATABASE_URL Secret) or host and secretId",
    ],
    [
      "a fullnameOverride the Pod Identity association does not know",
      { set: { fullnameOverride: "pool" } },
      "backend.podIdentityAssociation: the EKS Pod Identity association is for ServiceAccount infinity-pool/infinity-pool-backend, but this release runs the backend as infinity-pool/pool-backend",
    ],
    [
      "a ServiceAccount name the Pod Identity association does not know",
      { set: { "backend.serviceAccount.name": "backend" } },
      "but this release runs the backend as infinity-pool/backend",
    ],
    [
      "a release name the Pod Identity association does not know",
      { releaseName: "pool" },
      "but this release runs the backend as infinity-pool/pool-infinity-pool-backend",
    ],
    [
      "a namespace the Pod Identity association does not know",
      { namespace: "pool" },
      "but this release runs the backend as pool/infinity-pool-backend",
    ],
    [
      "autoscaling bounds the wrong way round",
      {
        set: {
          "gateway.autoscaling.enabled": "true",
          "gateway.autoscaling.minReplicas": "5",
          "gateway.autoscaling.maxReplicas": "2",
        },
      },
      "gateway.autoscaling.minReplicas (5) must not exceed maxReplicas (2)",
    ],
    [
      "reusing an IngressClass without naming it",
      { set: { "ingress.ingressClass.create": "false" } },
      "ingress.ingressClass.name: required",
    ],
  ] as [string, RenderOptions, string][])("%s", (_name, options, message) => {
    expect(failure(options)).toContain(message);
  });
});

describe("the Pod Identity association is an input", () => {
  test("a release renamed together with its association renders", () => {
    const manifests = render({
      valuesFiles: minimal,
      releaseName: "pool",
      namespace: "apps",
      set: {
        "backend.podIdentityAssociation.namespace": "apps",
        "backend.podIdentityAssociation.serviceAccount": "pool-infinity-pool-backend",
      },
    });
    expect(
      manifests.find((m) => m.kind === "Deployment" && m.metadata.name.endsWith("-backend"))?.spec
        .template.spec.serviceAccountName,
    ).toBe("pool-infinity-pool-backend");
  });

  test("IRSA (a role ARN) is not bound to the association, so any name renders", () => {
    expect(
      templateRaw({
        valuesFiles: minimal,
        set: {
          fullnameOverride: "pool",
          "backend.serviceAccount.roleArn": "arn:aws:iam::123456789012:role/pool-backend",
        },
      }).status,
    ).toBe(0);
  });
});
