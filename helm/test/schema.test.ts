import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { chartDir, type RenderOptions, templateRaw } from "./support/helm.ts";

const schema = JSON.parse(readFileSync(path.join(chartDir, "values.schema.json"), "utf8"));

const failure = (options: RenderOptions) => {
  const result = templateRaw(options);
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

  test("documents every key of values.yaml: the defaults themselves validate", () => {
    expect(templateRaw().status).toBe(0);
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
      "extraEnv shadowing the write tokens",
      { set: { "gateway.extraEnv.GATEWAY_WRITE_TOKENS": "t" } },
      "gateway.extraEnv.GATEWAY_WRITE_TOKENS: this variable is set by the chart",
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
