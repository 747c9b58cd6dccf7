import {
  type DescField,
  type DescMessage,
  type JsonObject,
  type JsonValue,
  ScalarType,
} from "@bufbuild/protobuf";

/**
 * One reading of ProtoJSON (https://protobuf.dev/programming-guides/json/) for both services: the
 * gateway reads request bodies, paths and query values with it, the backend reads its own Connect,
 * gRPC-Web and gRPC JSON with it, so a document one accepts the other accepts too, as the same
 * message.
 *
 * protobuf-es' `fromJson` stays the reader of record; this module refuses first what it lets
 * through although ProtoJSON or JSON do not allow it, and hands it a value it reads exactly:
 * - integers in any base `BigInt()`/`Number()` know (`"0x10"`, `"0b1"`, `" 1"`, `"+1"`, `"01"`):
 *   ProtoJSON integers are decimal (a number or a string in JSON number syntax, exponent allowed,
 *   integral value, no sign on unsigned types);
 * - 64-bit integers written as JSON numbers past 2^53, which `JSON.parse` rounds: read from the
 *   source text, so `9007199254740993` is that number and not its neighbour;
 * - duplicate object keys (RFC 8259 §4 leaves them undefined; protobuf-es' `fromJsonString`
 *   refuses them, `fromJson` of a parsed value cannot see them);
 * - strings with unpaired surrogates (RFC 8259 §8.2; protobuf strings are UTF-8, and the
 *   protobuf conformance suite expects them refused);
 * - nesting deeper than protobuf-es' recursion limit (100).
 */

/** A request that is not valid ProtoJSON for its message; the message says why, for the client. */
export class ProtoJsonError extends Error {
  override name = "ProtoJsonError";
}

/** protobuf-es' default recursion limit for reading (`makeReadContext` in from-json.ts). */
export const MAX_JSON_DEPTH = 100;

/** A JSON number kept as its source text until the field it lands in says how to read it. */
class RawNumber {
  readonly source: string;
  constructor(source: string) {
    this.source = source;
  }
}

type Parsed = string | boolean | null | RawNumber | Parsed[] | { [key: string]: Parsed };

// JSON.parse's source text access (TC39 "JSON.parse source text access", V8 11.4+, Node >= 21)
// hands the reviver each primitive's source; Node 22.18, the oldest Node the project runs on,
// has it. Checked once so an older runtime fails loudly rather than reading numbers wrongly.
const sourceTextAccess =
  JSON.parse("[1]", (_k, v, context?: { source?: string }) =>
    typeof v === "number" ? context?.source : v,
  )?.[0] === "1";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The JSON text of a request body: strict UTF-8 (RFC 8259 §8.1), a leading byte order mark
 * ignored as RFC 8259 allows. Throws ProtoJsonError for bytes that are not UTF-8, which a
 * replacing decoder would silently turn into U+FFFD.
 */
export function decodeJsonText(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new ProtoJsonError("the JSON text is not valid UTF-8");
  }
}

/**
 * Parses JSON text strictly (syntax by `JSON.parse`, plus no duplicate keys, no unpaired
 * surrogates, at most 100 levels) and checks it against `target`, a message or the one field a
 * body is bound to. Returns the value to give protobuf-es' `fromJson` (for a message) or to put
 * under the field's JSON name: 64-bit integers as decimal strings, 32-bit integers and enum
 * numbers as numbers, everything else as parsed. Throws ProtoJsonError.
 */
export function readProtoJson(target: DescMessage | DescField, text: string): JsonValue {
  const parsed = parse(text);
  return target.kind === "message"
    ? readMessage(target, parsed, target.typeName)
    : readField(target, parsed, target.name);
}

/**
 * Checks one path or query value (a string, as the HTTP rule's mapping gives it) for a scalar
 * field of `scalar` type, as if it had been the JSON string `"<raw>"` in a body, so path, query
 * and body agree. Integers come back as decimal strings (64-bit) or numbers (32-bit); other
 * types unchanged. Throws ProtoJsonError naming `name`.
 */
export function readScalarString(scalar: ScalarType, raw: string, name: string): JsonValue {
  if (!raw.isWellFormed()) throw new ProtoJsonError(`"${name}" is not valid Unicode`);
  return readScalar(scalar, raw, name);
}

/** Reads an enum number written as a string (a path or query value): a canonical int32. */
export function readEnumNumberString(raw: string, name: string): number {
  return Number(integerValue(raw, ScalarType.INT32, name));
}

function parse(text: string): Parsed {
  if (!sourceTextAccess) {
    throw new Error("this Node.js lacks JSON.parse source text access; Node >= 22.18 is required");
  }
  let parsed: Parsed;
  try {
    parsed = JSON.parse(text, function revive(key, value, context?: { source?: string }) {
      if (!key.isWellFormed()) throw new ProtoJsonError("the JSON text is not valid Unicode");
      if (typeof value === "number") return new RawNumber(context?.source ?? String(value));
      if (typeof value === "string" && !value.isWellFormed()) {
        throw new ProtoJsonError("a JSON string holds an unpaired surrogate (not valid Unicode)");
      }
      return value;
    });
  } catch (e) {
    if (e instanceof ProtoJsonError) throw e;
    // SyntaxError, or RangeError from nesting deeper than the stack: either way not readable.
    throw new ProtoJsonError("the request body is not valid JSON");
  }
  checkStructure(text);
  return parsed;
}

/**
 * Refuses duplicate object keys at any depth and nesting past MAX_JSON_DEPTH. Called only with
 * text JSON.parse accepted, so it can walk tokens without re-checking the grammar.
 */
function checkStructure(text: string): void {
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; ) {
    const c = text[i];
    if (c === "{" || c === "[") {
      stack.push(c === "{" ? new Set() : null);
      if (stack.length > MAX_JSON_DEPTH) {
        throw new ProtoJsonError(`the JSON text nests deeper than ${MAX_JSON_DEPTH} levels`);
      }
      expectKey = c === "{";
      i++;
    } else if (c === "}" || c === "]") {
      stack.pop();
      expectKey = false;
      i++;
    } else if (c === ",") {
      expectKey = stack[stack.length - 1] != null;
      i++;
    } else if (c === '"') {
      const open = i++;
      let escaped = false;
      while (text[i] !== '"') {
        if (text[i] === "\\") {
          escaped = true;
          i++;
        }
        i++;
      }
      const close = i++;
      const seen = stack[stack.length - 1];
      if (expectKey && seen) {
        // Decoded, so "\u0061" and "a" are the same key.
        const key: string = escaped
          ? JSON.parse(text.slice(open, close + 1))
          : text.slice(open + 1, close);
        if (seen.has(key)) throw new ProtoJsonError(`duplicate object key "${shorten(key)}"`);
        seen.add(key);
      }
      expectKey = false;
    } else {
      if (c === ":") expectKey = false;
      i++;
    }
  }
}

const fieldsByJsonKey = new WeakMap<DescMessage, Map<string, DescField>>();

/** protobuf-es accepts a field under its JSON name and under its proto name. */
function fieldFor(message: DescMessage, key: string): DescField | undefined {
  let map = fieldsByJsonKey.get(message);
  if (!map) {
    map = new Map();
    for (const f of message.fields) map.set(f.name, f);
    for (const f of message.fields) map.set(f.jsonName, f);
    fieldsByJsonKey.set(message, map);
  }
  return map.get(key);
}

const wrapperScalar: Record<string, ScalarType> = {
  "google.protobuf.DoubleValue": ScalarType.DOUBLE,
  "google.protobuf.FloatValue": ScalarType.FLOAT,
  "google.protobuf.Int64Value": ScalarType.INT64,
  "google.protobuf.UInt64Value": ScalarType.UINT64,
  "google.protobuf.Int32Value": ScalarType.INT32,
  "google.protobuf.UInt32Value": ScalarType.UINT32,
  "google.protobuf.BoolValue": ScalarType.BOOL,
  "google.protobuf.StringValue": ScalarType.STRING,
  "google.protobuf.BytesValue": ScalarType.BYTES,
};

/** The scalar a google.protobuf wrapper message (Int64Value, BoolValue, …) stands for, if it is one. */
export function wrappedScalar(message: DescMessage): ScalarType | undefined {
  return wrapperScalar[message.typeName];
}

// Well-known types whose JSON is free-form or a string protobuf-es reads itself.
const plainWellKnown = new Set([
  "google.protobuf.Any",
  "google.protobuf.Struct",
  "google.protobuf.Value",
  "google.protobuf.ListValue",
  "google.protobuf.Timestamp",
  "google.protobuf.Duration",
  "google.protobuf.FieldMask",
]);

function readMessage(message: DescMessage, value: Parsed, name: string): JsonValue {
  const scalar = wrapperScalar[message.typeName];
  if (scalar !== undefined) return value === null ? null : readScalar(scalar, value, name);
  if (plainWellKnown.has(message.typeName) || !isObject(value)) return plain(value);
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => {
      const field = fieldFor(message, key);
      // Unknown keys go through as they are: fromJson refuses or ignores them, per its options.
      return [key, field ? readField(field, v, field.name) : plain(v)];
    }),
  );
}

function readField(field: DescField, value: Parsed, name: string): JsonValue {
  if (value === null) return null;
  switch (field.fieldKind) {
    case "scalar":
      return readScalar(field.scalar, value, name);
    case "enum":
      return readEnum(value, name);
    case "message":
      return readMessage(field.message, value, name);
    case "list":
      if (!Array.isArray(value)) return plain(value);
      return value.map((item) => {
        if (item === null) return null;
        switch (field.listKind) {
          case "scalar":
            return readScalar(field.scalar, item, name);
          case "enum":
            return readEnum(item, name);
          default:
            return readMessage(field.message, item, name);
        }
      });
    case "map": {
      if (!isObject(value)) return plain(value);
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => {
          const k = readMapKey(field.mapKey, key, name);
          if (item === null) return [k, null];
          switch (field.mapKind) {
            case "scalar":
              return [k, readScalar(field.scalar, item, name)];
            case "enum":
              return [k, readEnum(item, name)];
            default:
              return [k, readMessage(field.message, item, name)];
          }
        }),
      );
    }
  }
}

function readScalar(scalar: ScalarType, value: Parsed, name: string): JsonValue {
  switch (scalar) {
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      if (value instanceof RawNumber || typeof value === "string") {
        return Number(integerValue(textOf(value), scalar, name));
      }
      return plain(value);
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      if (value instanceof RawNumber || typeof value === "string") {
        return integerValue(textOf(value), scalar, name).toString();
      }
      return plain(value);
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      if (typeof value === "string" && !specialFloats.has(value) && !numberSyntax.test(value)) {
        throw new ProtoJsonError(
          `invalid value for "${name}": "${shorten(value)}" is not a number in decimal notation`,
        );
      }
      return plain(value);
    default:
      return plain(value);
  }
}

function readEnum(value: Parsed, name: string): JsonValue {
  // Enum numbers follow the int32 rules; names go to fromJson, which knows the enum's values.
  if (value instanceof RawNumber) return Number(integerValue(value.source, ScalarType.INT32, name));
  return plain(value);
}

const decimalKey = /^-?(?:0|[1-9]\d*)$/;

function readMapKey(key: ScalarType, raw: string, name: string): string {
  switch (key) {
    case ScalarType.STRING:
    case ScalarType.BOOL:
      return raw;
    default:
      // One key, one spelling: map keys are plain decimal (no exponent, padding or sign on +).
      if (!decimalKey.test(raw)) {
        throw new ProtoJsonError(
          `invalid map key for "${name}": "${shorten(raw)}" is not a decimal integer`,
        );
      }
      return integerValue(raw, key, name).toString();
  }
}

// The JSON number grammar (RFC 8259 §6), which ProtoJSON uses for quoted numbers too.
const numberSyntax = /^(-?)(0|[1-9]\d*)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;
const specialFloats = new Set(["NaN", "Infinity", "-Infinity"]);

const ranges: Partial<Record<ScalarType, { min: bigint; max: bigint; signed: boolean }>> = {
  [ScalarType.INT32]: { min: -(2n ** 31n), max: 2n ** 31n - 1n, signed: true },
  [ScalarType.SINT32]: { min: -(2n ** 31n), max: 2n ** 31n - 1n, signed: true },
  [ScalarType.SFIXED32]: { min: -(2n ** 31n), max: 2n ** 31n - 1n, signed: true },
  [ScalarType.UINT32]: { min: 0n, max: 2n ** 32n - 1n, signed: false },
  [ScalarType.FIXED32]: { min: 0n, max: 2n ** 32n - 1n, signed: false },
  [ScalarType.INT64]: { min: -(2n ** 63n), max: 2n ** 63n - 1n, signed: true },
  [ScalarType.SINT64]: { min: -(2n ** 63n), max: 2n ** 63n - 1n, signed: true },
  [ScalarType.SFIXED64]: { min: -(2n ** 63n), max: 2n ** 63n - 1n, signed: true },
  [ScalarType.UINT64]: { min: 0n, max: 2n ** 64n - 1n, signed: false },
  [ScalarType.FIXED64]: { min: 0n, max: 2n ** 64n - 1n, signed: false },
};

/**
 * The exact value of a ProtoJSON integer: JSON number syntax (decimal, optional fraction and
 * exponent, no leading zeros, no "+", no white space), an integral value within the type's
 * range, and no "-" at all on unsigned types. `"1e2"` and `100.0` are 100; `"0x10"`, `"+1"`,
 * `"01"`, `" 1"`, `"1.5"` and `"-0"` for a uint32 are refused.
 */
function integerValue(text: string, scalar: ScalarType, name: string): bigint {
  const range = ranges[scalar] as { min: bigint; max: bigint; signed: boolean };
  const m = numberSyntax.exec(text);
  const bad = (why: string): never => {
    throw new ProtoJsonError(`invalid value for "${name}": "${shorten(text)}" ${why}`);
  };
  if (!m) return bad("is not a decimal integer");
  const [, sign = "", whole = "", fraction = "", exponent = "0"] = m;
  if (sign === "-" && !range.signed) return bad("must not be negative (the field is unsigned)");
  let digits = (whole + fraction).replace(/^0+/, "");
  let scale = Number(exponent) - fraction.length;
  if (digits === "") return 0n;
  const trimmed = digits.replace(/0+$/, "");
  scale += digits.length - trimmed.length;
  digits = trimmed;
  if (scale < 0) return bad("is not an integer");
  // Past 20 significant digits or a scale of 20, no 64-bit type can hold it: no huge BigInt.
  if (digits.length + scale > 20) return bad("is out of range");
  const magnitude = BigInt(digits) * 10n ** BigInt(scale);
  const value = sign === "-" ? -magnitude : magnitude;
  if (value < range.min || value > range.max) return bad("is out of range");
  return value;
}

function textOf(value: RawNumber | string): string {
  return value instanceof RawNumber ? value.source : value;
}

/** The parsed value as protobuf-es expects it: numbers as numbers, nothing else changed. */
function plain(value: Parsed): JsonValue {
  if (value instanceof RawNumber) return Number(value.source);
  if (Array.isArray(value)) return value.map(plain);
  if (isObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)])) as JsonObject;
  }
  return value;
}

function isObject(value: Parsed): value is { [key: string]: Parsed } {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof RawNumber)
  );
}

function shorten(text: string): string {
  return text.length > 32 ? `${text.slice(0, 32)}…` : text;
}
