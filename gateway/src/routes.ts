import {
  type DescField,
  type DescMethod,
  type DescService,
  getOption,
  hasOption,
} from "@bufbuild/protobuf";
import { http } from "@infinity-pool/proto/google/api/annotations_pb.js";
import type { HttpRule } from "@infinity-pool/proto/google/api/http_pb.js";
import { stream_resumption } from "@infinity-pool/proto/infinitypool/api/v1/streaming_pb.js";
import { type PathTemplate, parseTemplate } from "./path-template.ts";

/** What the HTTP body fills (google/api/http.proto `body`): nothing, the whole request ("*"), or one field. */
export type BodyMapping = { kind: "none" } | { kind: "all" } | { kind: "field"; field: DescField };

/** The request field a path variable sets. */
export interface PathBinding {
  /** Fields from the request message down to the bound leaf. */
  fields: DescField[];
  multiSegment: boolean;
}

/** One HTTP binding of one RPC: a rule or one of its additional_bindings. */
export interface Route {
  /** Unique, stable name, e.g. "infinitypool.v1.GreetingService.SayHello" or "...SayHello_1". */
  operationId: string;
  httpMethod: string;
  template: PathTemplate;
  service: DescService;
  method: DescMethod;
  pathBindings: PathBinding[];
  body: BodyMapping;
  /** The response field sent instead of the whole response message (response_body). */
  responseField: DescField | undefined;
  /** Top-level request fields set by the path or the body; query parameters may not touch them. */
  boundFields: Set<DescField>;
  /** Anything but GET is a write and needs a token. */
  write: boolean;
  /** A server-streaming RPC: answered as NDJSON or Server-Sent Events (stream-response.ts). */
  streaming: boolean;
  /** From the RPC's infinitypool.api.v1.stream_resumption option, when it has one. */
  resumption: Resumption | undefined;
}

/** How a Server-Sent Events client resumes a stream (proto/infinitypool/api/v1/streaming.proto). */
export interface Resumption {
  /** Fields from the response message down to the scalar that is each event's `id:`. */
  eventId: DescField[];
  /** The top-level request field Last-Event-ID sets. */
  resumeField: DescField;
}

/** An http annotation that cannot be served (unknown field, body on GET, streaming RPC, …). */
export class RouteError extends Error {
  override name = "RouteError";
}

/** Message fields that proto3 JSON writes as one string or scalar, so a path or query can set them. */
export const scalarLikeMessages = new Set([
  "google.protobuf.Timestamp",
  "google.protobuf.Duration",
  "google.protobuf.FieldMask",
  "google.protobuf.DoubleValue",
  "google.protobuf.FloatValue",
  "google.protobuf.Int64Value",
  "google.protobuf.UInt64Value",
  "google.protobuf.Int32Value",
  "google.protobuf.UInt32Value",
  "google.protobuf.BoolValue",
  "google.protobuf.StringValue",
  "google.protobuf.BytesValue",
]);

function ruleBinding(rule: HttpRule): { httpMethod: string; path: string } | undefined {
  switch (rule.pattern.case) {
    case "get":
      return { httpMethod: "GET", path: rule.pattern.value };
    case "put":
      return { httpMethod: "PUT", path: rule.pattern.value };
    case "post":
      return { httpMethod: "POST", path: rule.pattern.value };
    case "delete":
      return { httpMethod: "DELETE", path: rule.pattern.value };
    case "patch":
      return { httpMethod: "PATCH", path: rule.pattern.value };
    case "custom":
      return { httpMethod: rule.pattern.value.kind.toUpperCase(), path: rule.pattern.value.path };
    default:
      return undefined;
  }
}

function topLevelField(
  method: DescMethod,
  fields: readonly DescField[],
  name: string,
  what: string,
): DescField {
  const field = fields.find((f) => f.name === name);
  if (!field) throw new RouteError(`${method.toString()}: ${what} "${name}" is not a field`);
  return field;
}

function resolvePathFields(method: DescMethod, fieldPath: string[]): DescField[] {
  let message = method.input;
  const fields: DescField[] = [];
  fieldPath.forEach((name, index) => {
    const field = message.fields.find((f) => f.name === name);
    const where = `${method.toString()}: path variable "${fieldPath.join(".")}"`;
    if (!field) throw new RouteError(`${where} names no field`);
    fields.push(field);
    const last = index === fieldPath.length - 1;
    if (!last) {
      if (field.fieldKind !== "message") throw new RouteError(`${where} crosses a non-message`);
      message = field.message;
    } else if (
      field.fieldKind !== "scalar" &&
      field.fieldKind !== "enum" &&
      !(field.fieldKind === "message" && scalarLikeMessages.has(field.message.typeName))
    ) {
      throw new RouteError(`${where} must name a singular scalar field`);
    }
  });
  return fields;
}

function buildRoute(
  service: DescService,
  method: DescMethod,
  rule: HttpRule,
  index: number,
): Route | undefined {
  const binding = ruleBinding(rule);
  if (!binding) return undefined;
  if (method.methodKind !== "unary" && method.methodKind !== "server_streaming") {
    throw new RouteError(
      `${method.toString()}: only unary and server-streaming RPCs can be transcoded`,
    );
  }
  const template = parseTemplate(binding.path);
  const pathBindings = template.variables.map((v) => ({
    fields: resolvePathFields(method, v.fieldPath),
    multiSegment: v.multiSegment,
  }));
  const boundFields = new Set<DescField>(pathBindings.map((b) => b.fields[0] as DescField));
  let body: BodyMapping = { kind: "none" };
  if (rule.body === "*") {
    body = { kind: "all" };
  } else if (rule.body !== "") {
    const field = topLevelField(method, method.input.fields, rule.body, "body");
    body = { kind: "field", field };
    boundFields.add(field);
  }
  if (body.kind !== "none" && binding.httpMethod === "GET") {
    throw new RouteError(`${method.toString()}: a GET binding cannot have a body`);
  }
  const responseField =
    rule.responseBody === ""
      ? undefined
      : topLevelField(method, method.output.fields, rule.responseBody, "response_body");
  return {
    operationId: `${service.typeName}.${method.name}${index === 0 ? "" : `_${index}`}`,
    httpMethod: binding.httpMethod,
    template,
    service,
    method,
    pathBindings,
    body,
    responseField,
    boundFields,
    write: binding.httpMethod !== "GET",
    streaming: method.methodKind === "server_streaming",
    resumption: resumptionOf(method),
  };
}

/** The RPC's stream_resumption option, checked against its messages. */
function resumptionOf(method: DescMethod): Resumption | undefined {
  if (!hasOption(method, stream_resumption)) return undefined;
  const option = getOption(method, stream_resumption);
  const where = `${method.toString()}: stream_resumption`;
  if (method.methodKind !== "server_streaming") {
    throw new RouteError(`${where} is for server-streaming RPCs`);
  }
  let message = method.output;
  const eventId = option.eventIdField.split(".").map((name, index, names) => {
    const field = message.fields.find((f) => f.name === name);
    if (!field)
      throw new RouteError(`${where}: event_id_field "${option.eventIdField}" names no field`);
    if (index < names.length - 1) {
      if (field.fieldKind !== "message") {
        throw new RouteError(
          `${where}: event_id_field "${option.eventIdField}" crosses a non-message`,
        );
      }
      message = field.message;
    } else if (field.fieldKind !== "scalar") {
      throw new RouteError(
        `${where}: event_id_field "${option.eventIdField}" must end at a scalar`,
      );
    }
    return field;
  });
  const resumeField = topLevelField(
    method,
    method.input.fields,
    option.resumeField,
    "resume_field",
  );
  return { eventId, resumeField };
}

/**
 * Builds one route per google.api.http binding of every RPC of the given services, straight from
 * the generated descriptors. An RPC without the annotation is simply not exposed.
 */
export function buildRoutes(services: readonly DescService[]): Route[] {
  const routes: Route[] = [];
  for (const service of services) {
    for (const method of service.methods) {
      if (!hasOption(method, http)) continue;
      const rule = getOption(method, http);
      const rules = [rule, ...rule.additionalBindings];
      rules.forEach((r, index) => {
        if (index > 0 && r.additionalBindings.length > 0) {
          throw new RouteError(`${method.toString()}: additional_bindings cannot nest`);
        }
        const route = buildRoute(service, method, r, index);
        if (route) routes.push(route);
      });
    }
  }
  return routes;
}
