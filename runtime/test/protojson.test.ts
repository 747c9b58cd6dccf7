// The one ProtoJSON reading both services share (issue #11 kinds 4 and 5): each spelling rule
// against protobuf-es' fromJson on the messages the API and the gateway's test service use.
import { fromJson } from "@bufbuild/protobuf";
import {
  EchoRequestSchema,
  EchoTagsRequestSchema,
} from "@infinity-pool/proto/infinitypool/testing/v1/testing_pb.js";
import { GetGreetingRequestSchema } from "@infinity-pool/proto/infinitypool/v1/greeting_pb.js";
import { describe, expect, it } from "vitest";
import {
  decodeJsonText,
  ProtoJsonError,
  readProtoJson,
  readScalarString,
} from "../src/protojson.ts";

const read = (text: string) => readProtoJson(EchoRequestSchema, text);

describe("ProtoJSON integers: one spelling family, exact values", () => {
  it.each([
    ['{"count":"1e2"}', { count: 100 }],
    ['{"count":100.0}', { count: 100 }],
    ['{"count":-0}', { count: 0 }],
    ['{"count":"-2147483648"}', { count: -2147483648 }],
    ['{"big":"9223372036854775807"}', { big: "9223372036854775807" }],
    ['{"big":9007199254740993}', { big: "9007199254740993" }],
    ['{"big":"-9.223372036854775808e18"}', { big: "-9223372036854775808" }],
    ['{"ids":["1",2,"3e0"]}', { ids: ["1", "2", "3"] }],
    ['{"nested":{"numbers":[1,"2"]}}', { nested: { numbers: [1, 2] } }],
    ['{"color":1}', { color: 1 }],
  ])("%s reads as %j", (text, expected) => {
    expect(read(text)).toEqual(expected);
    expect(() => fromJson(EchoRequestSchema, read(text))).not.toThrow();
  });

  it.each([
    ['{"count":"0x10"}', /not a decimal integer/],
    ['{"count":"0b1"}', /not a decimal integer/],
    ['{"count":"+1"}', /not a decimal integer/],
    ['{"count":"01"}', /not a decimal integer/],
    ['{"count":" 1"}', /not a decimal integer/],
    ['{"count":"1 "}', /not a decimal integer/],
    ['{"count":""}', /not a decimal integer/],
    ['{"count":"Infinity"}', /not a decimal integer/],
    ['{"count":1.5}', /not an integer/],
    ['{"count":"1e-1"}', /not an integer/],
    ['{"count":2147483648}', /out of range/],
    ['{"big":"9223372036854775808"}', /out of range/],
    ['{"big":1e400}', /out of range/],
    ['{"ids":["0x1"]}', /not a decimal integer/],
    ['{"color":1.5}', /not an integer/],
    ['{"color":"0x1"}', undefined],
  ])("%s is refused", (text, message) => {
    if (message === undefined) {
      // An enum name fromJson does not know: refused there, with its own message.
      expect(() => fromJson(EchoRequestSchema, read(text))).toThrow();
      return;
    }
    expect(() => read(text)).toThrow(ProtoJsonError);
    expect(() => read(text)).toThrow(message);
  });

  it("path and query strings follow the same rules as body strings", () => {
    expect(readScalarString(GetGreetingRequestSchema.fields[0]?.scalar as never, "1e0", "id")).toBe(
      "1",
    );
    for (const raw of ["0x1", "+1", " 1", "01", "1.5", "١"]) {
      expect(() =>
        readScalarString(GetGreetingRequestSchema.fields[0]?.scalar as never, raw, "id"),
      ).toThrow(ProtoJsonError);
    }
  });

  it("floats: decimal notation or NaN/Infinity/-Infinity, nothing Number() alone would take", () => {
    expect(read('{"ratio":"1.5e3"}')).toEqual({ ratio: "1.5e3" });
    expect(read('{"ratio":"NaN"}')).toEqual({ ratio: "NaN" });
    expect(() => read('{"ratio":"0x10"}')).toThrow(/decimal notation/);
    expect(() => read('{"ratio":" 1"}')).toThrow(/decimal notation/);
  });
});

describe("JSON text protobuf's parser refuses", () => {
  it.each([
    ['{"text":"a","text":"b"}', /duplicate object key "text"/],
    ['{"nested":{"label":"a","label":"b"}}', /duplicate object key "label"/],
    ['{"text":"a","t\\u0065xt":"b"}', /duplicate object key "text"/],
    ['{"text":"\\ud800"}', /unpaired surrogate/],
    ['{"text":"\\udc00x"}', /unpaired surrogate/],
    [`{"labels":${"[".repeat(100)}${"]".repeat(100)}}`, /deeper than 100/],
    ['{"text":', /not valid JSON/],
    ["", /not valid JSON/],
  ])("%s", (text, message) => {
    expect(() => read(text)).toThrow(message);
  });

  it("the same key in two objects is not a duplicate", () => {
    expect(read('{"nested":{"label":"a"},"text":"label"}')).toEqual({
      nested: { label: "a" },
      text: "label",
    });
  });

  it("a field bound as the body is read with its own type", () => {
    const tags = EchoTagsRequestSchema.fields.find((f) => f.name === "tags");
    expect(readProtoJson(tags as never, '["a","b"]')).toEqual(["a", "b"]);
  });

  it("bytes that are not UTF-8 are refused; a byte order mark is ignored (RFC 8259 §8.1)", () => {
    expect(() => decodeJsonText(Buffer.from([0x7b, 0xc3, 0x28, 0x7d]))).toThrow(ProtoJsonError);
    expect(decodeJsonText(Buffer.from("\ufeff{}", "utf8"))).toBe("{}");
  });

  it("a __proto__ key stays data, never a prototype", () => {
    const value = read('{"__proto__":{"text":"x"}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.hasOwn(value, "__proto__")).toBe(true);
  });
});
