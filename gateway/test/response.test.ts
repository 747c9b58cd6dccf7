import { create } from "@bufbuild/protobuf";
import {
  EchoResponseSchema,
  EchoTagsResponseSchema,
  FailResponseSchema,
  GetShelfResponseSchema,
  TestingService,
} from "@infinity-pool/proto/infinitypool/testing/v1/testing_pb.js";
import { afterEach, describe, expect, it } from "vitest";
import { renderResponse, writeJson } from "../src/response.ts";
import { buildRoutes, type Route } from "../src/routes.ts";
import { request, serve, type TestServer } from "./support/http.ts";

const routes = buildRoutes([TestingService]);
const route = (operationId: string): Route => {
  const found = routes.find((r) => r.operationId === operationId);
  if (!found) throw new Error(`no route ${operationId}`);
  return found;
};

describe("renderResponse", () => {
  it("writes the whole message as proto3 JSON, defaults included", () => {
    const json = JSON.parse(
      renderResponse(
        route("infinitypool.testing.v1.TestingService.Fail"),
        create(FailResponseSchema),
      ),
    );
    expect(json).toEqual({ code: 0 });
  });

  it("uses JSON names and proto3 JSON types (int64 as a string)", () => {
    const message = create(EchoResponseSchema, {
      request: { toString$: "x", big: 9_007_199_254_740_993n, tags: ["a"] },
    });
    const json = JSON.parse(
      renderResponse(route("infinitypool.testing.v1.TestingService.Echo"), message),
    );
    expect(json.request.toString).toBe("x");
    expect(json.request.big).toBe("9007199254740993");
    expect(json.request.tags).toEqual(["a"]);
    expect(json.metadata).toEqual({});
  });

  it("sends only the response_body field when the rule names one", () => {
    const shelf = route("infinitypool.testing.v1.TestingService.GetShelf");
    const message = create(GetShelfResponseSchema, { shelf: { name: "shelves/s1", theme: "sea" } });
    expect(JSON.parse(renderResponse(shelf, message))).toEqual({
      name: "shelves/s1",
      theme: "sea",
    });
  });

  it("renders an unset response_body message as {} and a repeated field as a list", () => {
    const shelf = route("infinitypool.testing.v1.TestingService.GetShelf");
    expect(renderResponse(shelf, create(GetShelfResponseSchema))).toBe("{}");
    const tags = route("infinitypool.testing.v1.TestingService.EchoTags");
    expect(renderResponse(tags, create(EchoTagsResponseSchema))).toBe("[]");
    expect(renderResponse(tags, create(EchoTagsResponseSchema, { tags: ["a", "b"] }))).toBe(
      '["a","b"]',
    );
  });
});

describe("writeJson", () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
  });

  it("sends the status, application/json and the body's length in bytes", async () => {
    server = await serve((_req, res) => writeJson(res, 201, '{"text":"grüß"}', { "x-extra": "1" }));
    const res = await request(server.url);
    expect(res.status).toBe(201);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("content-length")).toBe(String(Buffer.byteLength('{"text":"grüß"}')));
    expect(res.headers.get("x-extra")).toBe("1");
    expect(res.body).toEqual({ text: "grüß" });
  });

  it("cuts the connection rather than send a second response after headers went out", async () => {
    server = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"partial":');
      writeJson(res, 500, '{"code":13}');
    });
    await expect(request(server.url)).rejects.toThrow();
  });
});
