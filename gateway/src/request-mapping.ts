import {
  type DescField,
  type DescMessage,
  fromJson,
  type JsonObject,
  type JsonValue,
  type Message,
  ScalarType,
} from "@bufbuild/protobuf";
import {
  ProtoJsonError,
  readEnumNumberString,
  readProtoJson,
  readScalarString,
  wrappedScalar,
} from "@infinity-pool/runtime/protojson";
import { badRequest } from "./http-error.ts";
import { decodeVariable } from "./path-template.ts";
import { type Route, scalarLikeMessages } from "./routes.ts";

/** Where a query parameter lands in the request message. */
interface QueryTarget {
  fields: DescField[];
  repeated: boolean;
}

const queryTargets = new WeakMap<Route, Map<string, QueryTarget>>();

function findField(message: DescMessage, name: string): DescField | undefined {
  return message.fields.find((f) => f.name === name || f.jsonName === name);
}

function resolveQueryTarget(route: Route, key: string): QueryTarget {
  let cache = queryTargets.get(route);
  if (!cache) {
    cache = new Map();
    queryTargets.set(route, cache);
  }
  const cached = cache.get(key);
  if (cached) return cached;

  if (route.body.kind === "all") {
    throw badRequest(
      `unknown query parameter "${key}": this route takes every field from the body`,
    );
  }
  const names = key.split(".");
  let message = route.method.input;
  const fields: DescField[] = [];
  let repeated = false;
  names.forEach((name, index) => {
    const field = findField(message, name);
    if (!field) throw badRequest(`unknown query parameter "${key}"`);
    if (index === 0 && route.boundFields.has(field)) {
      throw badRequest(`query parameter "${key}" sets a field already bound by the path or body`);
    }
    fields.push(field);
    const last = index === names.length - 1;
    if (field.fieldKind === "message" && !scalarLikeMessages.has(field.message.typeName)) {
      if (last) throw badRequest(`query parameter "${key}" names a message, not a value`);
      message = field.message;
      return;
    }
    if (!last) throw badRequest(`unknown query parameter "${key}"`);
    if (field.fieldKind === "map") {
      throw badRequest(`query parameter "${key}" is a map, which cannot be set from the query`);
    }
    if (field.fieldKind === "list") {
      if (field.listKind === "message" && !scalarLikeMessages.has(field.message.typeName)) {
        throw badRequest(`query parameter "${key}" is a list of messages`);
      }
      repeated = true;
    }
  });
  const target = { fields, repeated };
  // Only valid keys are cached, so arbitrary client input cannot grow the cache.
  cache.set(key, target);
  return target;
}

function scalarKind(field: DescField): ScalarType | "enum" | "message" {
  switch (field.fieldKind) {
    case "scalar":
      return field.scalar;
    case "enum":
      return "enum";
    case "list":
      return field.listKind === "scalar" ? field.scalar : field.listKind;
    default:
      return "message";
  }
}

/**
 * Converts one path or query string into the proto3 JSON value fromJson expects for the field.
 * Numbers follow ProtoJSON's rules exactly as in a body (runtime/protojson.ts), so "0x10", "+1",
 * "01" or " 1" name no value here either.
 */
function jsonFromString(field: DescField, raw: string, name: string): JsonValue {
  try {
    return stringValue(field, raw, name);
  } catch (e) {
    if (e instanceof ProtoJsonError) throw badRequest(e.message);
    throw e;
  }
}

function stringValue(field: DescField, raw: string, name: string): JsonValue {
  const kind = scalarKind(field);
  const asBool = (): boolean => {
    if (raw === "true") return true;
    if (raw === "false") return false;
    throw badRequest(`invalid value for "${name}": expected true or false`);
  };
  if (kind === ScalarType.BOOL) return asBool();
  if (kind === "enum") {
    const desc = field.fieldKind === "enum" || field.fieldKind === "list" ? field.enum : undefined;
    // Enum value names start with a letter or "_"; anything else is read as the enum's number.
    if (!/^[A-Za-z_]/.test(raw)) return readEnumNumberString(raw, name);
    if (desc && !desc.values.some((v) => v.name === raw)) {
      throw badRequest(`invalid value for "${name}": not a ${desc.typeName} name`);
    }
    return raw;
  }
  if (kind === "message" && (field.fieldKind === "message" || field.fieldKind === "list")) {
    const message = field.message;
    if (message === undefined) return raw;
    const scalar = wrappedScalar(message);
    const value: JsonValue =
      scalar === ScalarType.BOOL
        ? asBool()
        : scalar === undefined
          ? raw
          : readScalarString(scalar, raw, name);
    // Checked here so the error names the parameter, not just the well-known type.
    try {
      fromJson(message, value);
    } catch (e) {
      throw badRequest(`invalid value for "${name}": ${e instanceof Error ? e.message : ""}`);
    }
    return value;
  }
  return readScalarString(kind as ScalarType, raw, name);
}

function setJson(
  root: JsonObject,
  fields: DescField[],
  value: JsonValue,
  mode: "set" | "append" | "override",
  name: string,
): void {
  let object = root;
  fields.forEach((field, index) => {
    // A body may spell a field by its proto name; the path must replace that spelling, too.
    const aliases = field.name === field.jsonName ? [] : [field.name];
    const last = index === fields.length - 1;
    if (!last) {
      let child: JsonValue | undefined = object[field.jsonName];
      for (const alias of aliases) {
        if (child === undefined && Object.hasOwn(object, alias)) {
          child = object[alias];
          delete object[alias];
        }
      }
      if (child === undefined || child === null) child = {};
      if (typeof child !== "object" || Array.isArray(child)) {
        throw badRequest(`field "${field.name}" must be an object`);
      }
      object[field.jsonName] = child;
      object = child;
      return;
    }
    if (mode === "override") {
      for (const alias of aliases) delete object[alias];
      object[field.jsonName] = value;
    } else if (mode === "append") {
      const list = object[field.jsonName];
      if (Array.isArray(list)) list.push(value);
      else object[field.jsonName] = [value];
    } else {
      if (Object.hasOwn(object, field.jsonName)) {
        throw badRequest(`query parameter "${name}" is given more than once`);
      }
      object[field.jsonName] = value;
    }
  });
}

/** Splits a raw query string strictly: malformed escapes or invalid UTF-8 are errors, not "?". */
export function parseQuery(query: string): [string, string][] {
  const pairs: [string, string][] = [];
  if (query === "") return pairs;
  for (const part of query.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    const rawValue = eq < 0 ? "" : part.slice(eq + 1);
    try {
      pairs.push([
        decodeURIComponent(rawKey.replaceAll("+", " ")),
        decodeURIComponent(rawValue.replaceAll("+", " ")),
      ]);
    } catch {
      throw badRequest("the query string is not valid percent-encoded UTF-8");
    }
  }
  return pairs;
}

/** The body read as the backend reads JSON (duplicate keys, number forms, Unicode: protojson.ts). */
function readBody(target: DescMessage | DescField, text: string): JsonValue {
  try {
    return readProtoJson(target, text);
  } catch (e) {
    if (e instanceof ProtoJsonError) throw badRequest(e.message);
    throw e;
  }
}

/**
 * Builds the request message of a route: the body (whole or one field), then the path variables
 * (which win over the body), then the query parameters. Everything goes through protobuf-es'
 * proto3 JSON reader with unknown fields rejected, so typing and errors follow the JSON mapping.
 */
export function buildRequest(
  route: Route,
  rawValues: readonly string[],
  query: string,
  bodyText: string | undefined,
): Message {
  let json: JsonObject = {};
  if (route.body.kind === "all" && bodyText !== undefined) {
    const body = readBody(route.method.input, bodyText);
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      throw badRequest("the request body must be a JSON object");
    }
    json = body;
  } else if (route.body.kind === "field" && bodyText !== undefined) {
    json[route.body.field.jsonName] = readBody(route.body.field, bodyText);
  }

  route.pathBindings.forEach((binding, index) => {
    const name = binding.fields.map((f) => f.name).join(".");
    let decoded: string;
    try {
      decoded = decodeVariable(rawValues[index] as string, binding.multiSegment);
    } catch {
      throw badRequest(`path variable "${name}" is not valid percent-encoded UTF-8`);
    }
    const leaf = binding.fields[binding.fields.length - 1] as DescField;
    setJson(json, binding.fields, jsonFromString(leaf, decoded, name), "override", name);
  });

  for (const [key, value] of parseQuery(query)) {
    const target = resolveQueryTarget(route, key);
    const leaf = target.fields[target.fields.length - 1] as DescField;
    setJson(
      json,
      target.fields,
      jsonFromString(leaf, value, key),
      target.repeated ? "append" : "set",
      key,
    );
  }

  try {
    return fromJson(route.method.input, json, { ignoreUnknownFields: false });
  } catch (e) {
    throw badRequest(e instanceof Error ? e.message : "invalid request");
  }
}
