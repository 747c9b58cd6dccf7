// Generators of hostile input for the property-based tests of issue #11 (fast-check): strings and
// numbers in every form a client can write them, header values, JSON documents and request
// messages built from a method's descriptor, so a new RPC or field is covered without a new test.
import { type DescField, type DescMessage, ScalarType } from "@bufbuild/protobuf";
import fc from "fast-check";

/** Integer spellings that `Number()`/`BigInt()` read but ProtoJSON refuses, and edge values. */
const numberForms = [
  "0",
  "1",
  "-1",
  "-0",
  "0x10",
  "0X1",
  "0b1",
  "0o7",
  "+1",
  "01",
  "00",
  " 1",
  "1 ",
  "\t1",
  "1\n",
  "1e2",
  "1E+2",
  "1e-1",
  "1.0",
  "1.5",
  ".5",
  "5.",
  "1_000",
  "1,000",
  "Infinity",
  "-Infinity",
  "NaN",
  "",
  "\u0661",
  "\uff11",
  "2147483647",
  "2147483648",
  "-2147483649",
  "4294967296",
  "9007199254740993",
  "9223372036854775807",
  "9223372036854775808",
  "-9223372036854775809",
  "18446744073709551616",
  "99999999999999999999999",
  "1e19",
  "1e400",
  "-1e400",
  "1e-400",
  "123456789012345678901234567890e-10",
];

/** Strings that look like numbers, in valid, padded, prefixed and out-of-range forms. */
export const numberish: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...numberForms),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
  fc.integer().map((n) => `0x${n.toString(16)}`),
  fc.double({ noNaN: false }).map(String),
  fc
    .tuple(
      fc.constantFrom("", "-", "+"),
      fc.stringMatching(/^\d{1,22}$/),
      fc.option(fc.stringMatching(/^\d{0,4}$/), { nil: undefined }),
      fc.option(fc.stringMatching(/^[eE][+-]?\d{1,3}$/), { nil: undefined }),
    )
    .map(([s, w, f, e]) => `${s}${w}${f === undefined ? "" : `.${f}`}${e ?? ""}`),
);

/** Unicode text as attackers write it: blanks, marks, expanding characters, lone surrogates. */
const nastyText = [
  "\u{1D160}".repeat(100),
  "e\u0301".repeat(150),
  "\u200b",
  "\u2800",
  "\u3164",
  "\u0301",
  "\u00a0",
  "\ufeff",
  "\ud800",
  "a\udc00b",
  "\u0000",
  "a\nb",
  "\u202eevil",
  "x".repeat(281),
  "x".repeat(280),
  "'; DROP TABLE greetings; --",
  "%00",
  "\\",
  '"',
];

/** Any text a client may send, including unpaired surrogates and control characters. */
export const anyText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...nastyText),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme-composite", maxLength: 300 }),
  numberish,
);

/** Ordinary short text, so generated requests also succeed and their stored values get checked. */
export const plainText: fc.Arbitrary<string> = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 30 }),
);

/** A header value as raw bytes allow it (HTAB, SP to ~, obs-text), written as latin-1. */
export const headerValue: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: fc.constantFrom("\t", " ", "a", "=", ",", ";", "-", "\u00e9", "\u00ff", "0") }),
  fc.string({
    unit: fc
      .integer({ min: 0x20, max: 0xff })
      .filter((c) => c !== 0x7f)
      .map((c) => String.fromCharCode(c)),
    maxLength: 60,
  }),
  numberish.filter((s) => !/[\r\n\u0100-\uffff]/.test(s)),
);

/** Percent-encodes the UTF-8 of `text` (lone surrogates become U+FFFD, as a browser would send). */
export function percentEncode(text: string): string {
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9._~-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** A path segment or query value as sent: encoded text, or raw junk with broken escapes. */
export const encodedValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: numberish.map(percentEncode) },
  { weight: 3, arbitrary: anyText.map(percentEncode) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "%",
      "%zz",
      "%FF",
      "%C3%28",
      "%E0%A4%A",
      "+",
      "%2B1",
      "a+b",
      "%252F",
    ),
  },
);

function integerRange(scalar: ScalarType): [bigint, bigint] | undefined {
  switch (scalar) {
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return [-(2n ** 31n), 2n ** 31n - 1n];
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return [0n, 2n ** 32n - 1n];
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return [-(2n ** 63n), 2n ** 63n - 1n];
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return [0n, 2n ** 64n - 1n];
    default:
      return undefined;
  }
}

/** A value a generated client can put in a scalar field (what a gRPC client may send). */
function scalarValue(scalar: ScalarType): fc.Arbitrary<unknown> {
  const range = integerRange(scalar);
  if (range) {
    const [min, max] = range;
    const big = fc.oneof(
      fc.constantFrom(min, max, 0n, 1n, -1n < min ? 0n : -1n),
      fc.bigInt({ min, max }),
    );
    return min < -(2n ** 32n) || max > 2n ** 32n ? big : big.map(Number);
  }
  switch (scalar) {
    case ScalarType.STRING:
      return anyText;
    case ScalarType.BOOL:
      return fc.boolean();
    case ScalarType.BYTES:
      return fc.uint8Array({ maxLength: 40 });
    case ScalarType.FLOAT:
      return fc.float();
    default:
      return fc.double();
  }
}

/** A message init object for `create(desc, init)`, every field maybe set, nesting bounded. */
export function messageValue(desc: DescMessage, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of desc.fields) {
    const value = fieldValue(field, depth);
    if (value) fields[field.localName] = value;
  }
  return fc.record(fields, { requiredKeys: [] });
}

function fieldValue(field: DescField, depth: number): fc.Arbitrary<unknown> | undefined {
  if (depth > 2) return undefined;
  switch (field.fieldKind) {
    case "scalar":
      return scalarValue(field.scalar);
    case "enum":
      return fc.integer({ min: -1, max: 5 });
    case "message":
      return wellKnownValue(field.message) ?? messageValue(field.message, depth + 1);
    case "list":
      if (field.listKind === "scalar") return fc.array(scalarValue(field.scalar), { maxLength: 3 });
      if (field.listKind === "enum")
        return fc.array(fc.integer({ min: -1, max: 5 }), { maxLength: 3 });
      return fc.array(messageValue(field.message, depth + 1), { maxLength: 2 });
    case "map":
      return fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), {
        maxKeys: 3,
      });
  }
}

function wellKnownValue(desc: DescMessage): fc.Arbitrary<unknown> | undefined {
  switch (desc.typeName) {
    case "google.protobuf.Timestamp":
    case "google.protobuf.Duration":
      return fc.record({
        seconds: fc.bigInt({ min: -(2n ** 40n), max: 2n ** 40n }),
        nanos: fc.integer({ min: -(10 ** 9), max: 10 ** 9 }),
      });
    default:
      return undefined;
  }
}

/** JSON text for one ProtoJSON value of `field`: numbers in every spelling, strings, junk. */
export function jsonFieldText(field: DescField, depth = 0): fc.Arbitrary<string> {
  const scalar =
    field.fieldKind === "scalar" || (field.fieldKind === "list" && field.listKind === "scalar")
      ? field.scalar
      : undefined;
  const number = numberish.map((n) =>
    /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(n) ? n : JSON.stringify(n),
  );
  const quotedNumber = numberish.map((n) => JSON.stringify(n));
  const anyJson = fc.json({ maxDepth: 2 });
  let one: fc.Arbitrary<string>;
  if (scalar !== undefined && integerRange(scalar)) one = fc.oneof(number, quotedNumber, anyJson);
  else if (scalar === ScalarType.STRING)
    one = fc.oneof(
      anyText.map((t) => JSON.stringify(t)),
      anyJson,
    );
  else if (
    field.fieldKind === "message" &&
    depth < 2 &&
    !field.message.typeName.startsWith("google.")
  )
    one = fc.oneof(jsonMessageText(field.message, depth + 1), anyJson);
  else
    one = fc.oneof(
      number,
      quotedNumber,
      anyText.map((t) => JSON.stringify(t)),
      anyJson,
    );
  return field.fieldKind === "list"
    ? fc.oneof(
        fc.array(one, { maxLength: 3 }).map((items) => `[${items.join(",")}]`),
        one,
      )
    : one;
}

/**
 * JSON text of a request message built from its descriptor: known fields under their JSON or proto
 * names with values in every spelling, sometimes an unknown key, sometimes a key twice.
 */
export function jsonMessageText(desc: DescMessage, depth = 0): fc.Arbitrary<string> {
  const member =
    desc.fields.length === 0
      ? fc.tuple(
          fc.string({ maxLength: 6 }).map((k) => JSON.stringify(k)),
          fc.json({ maxDepth: 1 }),
        )
      : fc.oneof(
          ...desc.fields.map((field) =>
            fc.tuple(
              fc.constantFrom(JSON.stringify(field.jsonName), JSON.stringify(field.name)),
              jsonFieldText(field, depth),
            ),
          ),
          fc.tuple(
            fc.string({ maxLength: 6 }).map((k) => JSON.stringify(k)),
            fc.json({ maxDepth: 1 }),
          ),
        );
  return fc
    .tuple(
      fc.array(member, { maxLength: 4 }),
      fc.integer({ min: 1, max: 6 }).map((n) => n === 1),
    )
    .map(([members, repeatFirst]) => {
      const all = repeatFirst && members[0] ? [...members, members[0]] : members;
      return `{${all.map(([k, v]) => `${k}:${v}`).join(",")}}`;
    });
}

/** JSON of a message whose scalar fields all hold ordinary values: requests that may succeed. */
export function plausibleJson(desc: DescMessage): fc.Arbitrary<string> {
  const members: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of desc.fields) {
    if (field.fieldKind !== "scalar") continue;
    const range = integerRange(field.scalar);
    if (range) members[field.jsonName] = fc.integer({ min: 0, max: 100 });
    else if (field.scalar === ScalarType.STRING) members[field.jsonName] = plainText;
    else if (field.scalar === ScalarType.BOOL) members[field.jsonName] = fc.boolean();
  }
  return fc.record(members, { requiredKeys: [] }).map((m) => JSON.stringify(m));
}

/** A request body: mostly a message's JSON, sometimes another JSON value or broken text. */
export function jsonBodyText(desc: DescMessage): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: plausibleJson(desc) },
    { weight: 6, arbitrary: jsonMessageText(desc) },
    { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
    { weight: 1, arbitrary: fc.constantFrom("", "{", "[]", "null", '{"a":1}x', "\ufeff{}", "{}") },
  );
}
