import { type DescEnum, type DescField, type DescMessage, ScalarType } from "@bufbuild/protobuf";
import { operationalPaths } from "./operational.ts";
import { openApiPath } from "./path-template.ts";
import type { Route } from "./routes.ts";

type Schema = Record<string, unknown>;

const wellKnown: Record<string, Schema> = {
  "google.protobuf.Timestamp": { type: "string", format: "date-time" },
  "google.protobuf.Duration": { type: "string", pattern: "^-?[0-9]+(\\.[0-9]{1,9})?s$" },
  "google.protobuf.FieldMask": { type: "string" },
  "google.protobuf.Empty": { type: "object", additionalProperties: false },
  "google.protobuf.Struct": { type: "object" },
  "google.protobuf.Value": {},
  "google.protobuf.ListValue": { type: "array" },
  "google.protobuf.Any": { type: "object", properties: { "@type": { type: "string" } } },
  "google.protobuf.DoubleValue": { type: ["number", "string", "null"] },
  "google.protobuf.FloatValue": { type: ["number", "string", "null"] },
  "google.protobuf.Int64Value": { type: ["string", "null"], format: "int64" },
  "google.protobuf.UInt64Value": { type: ["string", "null"], format: "uint64" },
  "google.protobuf.Int32Value": { type: ["integer", "null"], format: "int32" },
  "google.protobuf.UInt32Value": { type: ["integer", "null"], format: "uint32" },
  "google.protobuf.BoolValue": { type: ["boolean", "null"] },
  "google.protobuf.StringValue": { type: ["string", "null"] },
  "google.protobuf.BytesValue": { type: ["string", "null"], format: "byte" },
};

function scalarSchema(type: ScalarType): Schema {
  switch (type) {
    case ScalarType.BOOL:
      return { type: "boolean" };
    case ScalarType.STRING:
      return { type: "string" };
    case ScalarType.BYTES:
      return { type: "string", format: "byte" };
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return { type: "number" };
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      // proto3 JSON writes 64-bit integers as strings so JavaScript clients lose no precision.
      return { type: "string", format: "int64" };
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return { type: "string", format: "uint64" };
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return { type: "integer", format: "uint32" };
    default:
      return { type: "integer", format: "int32" };
  }
}

class SchemaBuilder {
  readonly components: Record<string, Schema> = {};

  message(desc: DescMessage): Schema {
    const known = wellKnown[desc.typeName];
    if (known) return known;
    if (!(desc.typeName in this.components)) {
      this.components[desc.typeName] = {};
      const properties: Record<string, Schema> = {};
      for (const field of desc.fields) properties[field.jsonName] = this.field(field);
      this.components[desc.typeName] = {
        type: "object",
        properties,
        additionalProperties: false,
      };
    }
    return { $ref: `#/components/schemas/${desc.typeName}` };
  }

  enumeration(desc: DescEnum): Schema {
    if (!(desc.typeName in this.components)) {
      this.components[desc.typeName] = {
        type: "string",
        enum: desc.values.map((v) => v.name),
      };
    }
    return { $ref: `#/components/schemas/${desc.typeName}` };
  }

  field(field: DescField): Schema {
    switch (field.fieldKind) {
      case "scalar":
        return scalarSchema(field.scalar);
      case "enum":
        return this.enumeration(field.enum);
      case "message":
        return this.message(field.message);
      case "list": {
        const items =
          field.listKind === "scalar"
            ? scalarSchema(field.scalar)
            : field.listKind === "enum"
              ? this.enumeration(field.enum)
              : this.message(field.message);
        return { type: "array", items };
      }
      case "map": {
        const values =
          field.mapKind === "scalar"
            ? scalarSchema(field.scalar)
            : field.mapKind === "enum"
              ? this.enumeration(field.enum)
              : this.message(field.message);
        return { type: "object", additionalProperties: values };
      }
    }
  }
}

/** Query parameters: every field reachable by a dot path that no path variable or body binds. */
function queryParameters(route: Route, builder: SchemaBuilder): Schema[] {
  if (route.body.kind === "all") return [];
  const out: Schema[] = [];
  const walk = (message: DescMessage, prefix: string, seen: Set<string>, top: boolean) => {
    for (const field of message.fields) {
      if (top && route.boundFields.has(field)) continue;
      const name = `${prefix}${field.name}`;
      if (field.fieldKind === "map") continue;
      if (field.fieldKind === "message" && !(field.message.typeName in wellKnown)) {
        if (seen.has(field.message.typeName)) continue;
        walk(field.message, `${name}.`, new Set([...seen, field.message.typeName]), false);
        continue;
      }
      if (field.fieldKind === "list" && field.listKind === "message") {
        if (!(field.message.typeName in wellKnown)) continue;
      }
      out.push({ name, in: "query", required: false, schema: builder.field(field) });
    }
  };
  walk(route.method.input, "", new Set([route.method.input.typeName]), true);
  return out;
}

const errorResponse = { $ref: "#/components/responses/Error" };

/**
 * The response of a server-streaming route: NDJSON by default, Server-Sent Events for
 * `Accept: text/event-stream` (stream-framing.ts). OpenAPI 3.1 describes a whole body, so the
 * schema of one NDJSON line is given with the sequence explained in the description.
 */
function streamingResponse(result: Schema, resumable: boolean): Schema {
  return {
    description:
      "A stream, flushed message by message. application/x-ndjson (the default): one JSON object " +
      'per line, {"result": …} per message and a last {"error": Status} line if the stream fails ' +
      "or the gateway ends it (lifetime, shutdown: code 14, reconnect to resume). " +
      "text/event-stream (Accept: text/event-stream): one event per message whose data is the " +
      `result${resumable ? " and whose id resumes the stream through Last-Event-ID" : ""}, an ` +
      '"error" event carrying the Status, and ": heartbeat" comments while idle.',
    content: {
      "application/x-ndjson": {
        schema: {
          oneOf: [
            {
              type: "object",
              properties: { result },
              required: ["result"],
              additionalProperties: false,
            },
            {
              type: "object",
              properties: { error: { $ref: "#/components/schemas/Status" } },
              required: ["error"],
              additionalProperties: false,
            },
          ],
        },
      },
      "text/event-stream": { schema: { type: "string" } },
    },
  };
}

/**
 * Builds an OpenAPI 3.1 document from the same routes the router serves, so the two cannot drift.
 */
export function buildOpenApi(routes: readonly Route[], title: string, version: string): Schema {
  const builder = new SchemaBuilder();
  const paths: Record<string, Record<string, Schema>> = {};
  for (const route of routes) {
    const { path, parameters: pathParameters } = openApiPath(route.template);
    paths[path] ??= {};
    const parameters: Schema[] = pathParameters.map((p) => {
      const index = p.variable ? route.template.variables.indexOf(p.variable) : -1;
      const binding = route.pathBindings[index];
      const leaf = binding?.fields[binding.fields.length - 1];
      const field = p.variable?.fieldPath.join(".");
      const description = !p.variable
        ? "Any single path segment (not bound to a field)."
        : p.variable.multiSegment
          ? `Part of the field "${field}", which the gateway sets to the text matched by ` +
            `"${route.template.source}"${p.deep ? "; may span several segments" : ""}.`
          : undefined;
      return {
        name: p.name,
        in: "path",
        required: true,
        ...(description ? { description } : {}),
        schema: leaf && !p.variable?.multiSegment ? builder.field(leaf) : { type: "string" },
      };
    });
    parameters.push(...queryParameters(route, builder));
    parameters.push({
      name: "x-request-id",
      in: "header",
      required: false,
      schema: { type: "string" },
      description: "Echoed in the response and forwarded to the backend; generated when absent.",
    });
    const result = route.responseField
      ? builder.field(route.responseField)
      : builder.message(route.method.output);
    if (route.resumption) {
      parameters.push({
        name: "Last-Event-ID",
        in: "header",
        required: false,
        schema: { type: "string" },
        description:
          `Sent by a reconnecting EventSource: the stream resumes after that event, as if ` +
          `"${route.resumption.resumeField.name}" were given (it replaces the query's value).`,
      });
    }
    const operation: Schema = {
      operationId: route.operationId,
      summary: `${route.service.name}.${route.method.name}`,
      tags: [route.service.typeName],
      parameters,
      responses: {
        "200": route.streaming
          ? streamingResponse(result, route.resumption !== undefined)
          : { description: "OK", content: { "application/json": { schema: result } } },
        default: errorResponse,
      },
    };
    if (route.body.kind !== "none") {
      operation.requestBody = {
        required: false,
        content: {
          "application/json": {
            schema:
              route.body.kind === "all"
                ? builder.message(route.method.input)
                : builder.field(route.body.field),
          },
        },
      };
    }
    if (route.write) operation.security = [{ bearer: [] }];
    paths[path][route.httpMethod.toLowerCase()] = operation;
  }
  for (const op of operationalPaths) {
    paths[op.path] = {
      get: {
        operationId: `gateway${op.path.replace(/[^a-z]/g, "_")}`,
        summary: op.summary,
        tags: ["gateway"],
        responses: { "200": { description: "OK", content: { [op.contentType]: {} } } },
      },
    };
  }
  return {
    openapi: "3.1.0",
    info: { title, version },
    paths,
    components: {
      schemas: {
        ...builder.components,
        Status: {
          type: "object",
          description: "A google.rpc.Status-style error.",
          properties: {
            code: { type: "integer", description: "The gRPC status code." },
            message: { type: "string" },
            details: { type: "array", items: { type: "object" } },
          },
          required: ["code", "message", "details"],
        },
      },
      responses: {
        Error: {
          description: "An error, mapped from the gRPC status to the HTTP status.",
          content: { "application/json": { schema: { $ref: "#/components/schemas/Status" } } },
        },
      },
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
    },
  };
}
