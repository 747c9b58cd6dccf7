// The backend as independent clients see it: buf curl discovering everything through server
// reflection, and @grpc/grpc-js (the most common Node gRPC stack) over its own HTTP/2 client.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import {
  HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponseSchema,
} from "@infinity-pool/proto/grpc/health/v1/health_pb.js";
import * as v1alpha from "@infinity-pool/proto/grpc/reflection/v1alpha/reflection_pb.js";
import {
  GetGreetingRequestSchema,
  GetGreetingResponseSchema,
} from "@infinity-pool/proto/infinitypool/v1/greeting_pb.js";
import { Code } from "@infinity-pool/runtime/status";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BackendProcess, startBackend } from "./support/backend-process.ts";

const run = promisify(execFile);
const bufBin = new URL("../../node_modules/.bin/buf", import.meta.url).pathname;

async function bufCurl(args: string[]) {
  try {
    const { stdout } = await run(bufBin, ["curl", "--http2-prior-knowledge", ...args]);
    return { code: 0, stdout, stderr: "" };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function unary<Req, Res>(
  client: grpc.Client,
  path: string,
  serialize: (r: Req) => Buffer,
  deserialize: (b: Buffer) => Res,
  request: Req,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(path, serialize, deserialize, request, (err, value) => {
      if (err) reject(err);
      else resolve(value as Res);
    });
  });
}

describe("independent clients", () => {
  let backend: BackendProcess;
  let client: grpc.Client;

  beforeAll(async () => {
    backend = await startBackend();
    client = new grpc.Client(backend.address, grpc.credentials.createInsecure());
  });
  afterAll(() => {
    client?.close();
    backend?.kill("SIGKILL");
  });

  it("buf curl lists every service through reflection, with no proto files", async () => {
    const { code, stdout } = await bufCurl(["--list-services", backend.url]);
    expect(code).toBe(0);
    expect(stdout.trim().split("\n").sort()).toEqual([
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
      "infinitypool.v1.GreetingService",
    ]);
    const methods = await bufCurl(["--list-methods", backend.url]);
    expect(methods.stdout).toContain("infinitypool.v1.GreetingService/CreateGreeting");
  });

  it("buf curl calls GetGreeting over gRPC and Connect, and sees NOT_FOUND", async () => {
    for (const protocol of ["grpc", "connect", "grpcweb"]) {
      const { code, stdout } = await bufCurl([
        "--protocol",
        protocol,
        "-d",
        '{"id":"1"}',
        `${backend.url}/infinitypool.v1.GreetingService/GetGreeting`,
      ]);
      expect(code, protocol).toBe(0);
      expect(JSON.parse(stdout).greeting.text).toBe("Hello World");
    }
    const missing = await bufCurl([
      "--protocol",
      "grpc",
      "-d",
      '{"id":"424242"}',
      `${backend.url}/infinitypool.v1.GreetingService/GetGreeting`,
    ]);
    expect(missing.code).not.toBe(0);
    expect(JSON.parse(missing.stderr)).toMatchObject({ code: "not_found" });
  });

  it("answers reflection v1alpha too, for older grpcurl builds", async () => {
    const client = createClient(
      v1alpha.ServerReflection,
      createGrpcTransport({ baseUrl: backend.url }),
    );
    async function* requests() {
      yield create(v1alpha.ServerReflectionRequestSchema, {
        messageRequest: { case: "listServices", value: "*" },
      });
      yield create(v1alpha.ServerReflectionRequestSchema, {
        messageRequest: {
          case: "fileContainingSymbol",
          value: "infinitypool.v1.GreetingService.SayHello",
        },
      });
      yield create(v1alpha.ServerReflectionRequestSchema, {
        messageRequest: { case: "fileByFilename", value: "no/such.proto" },
      });
    }
    const answers = [];
    for await (const res of client.serverReflectionInfo(requests()))
      answers.push(res.messageResponse);
    expect(answers[0]?.case).toBe("listServicesResponse");
    expect(answers[1]?.case).toBe("fileDescriptorResponse");
    const files =
      answers[1]?.case === "fileDescriptorResponse"
        ? answers[1].value.fileDescriptorProto.map(
            (b) => fromBinary(FileDescriptorProtoSchema, b).name,
          )
        : [];
    // The file comes with everything it imports, so one answer resolves the whole schema.
    expect(files).toEqual(
      expect.arrayContaining([
        "infinitypool/v1/greeting.proto",
        "google/api/annotations.proto",
        "google/api/http.proto",
        "google/protobuf/descriptor.proto",
        "google/protobuf/timestamp.proto",
      ]),
    );
    expect(answers[2]).toMatchObject({ case: "errorResponse", value: { errorCode: 5 } });
  });

  it("@grpc/grpc-js calls GetGreeting and Health/Check", async () => {
    const res = await unary(
      client,
      "/infinitypool.v1.GreetingService/GetGreeting",
      (r) => Buffer.from(toBinary(GetGreetingRequestSchema, r)),
      (b) => fromBinary(GetGreetingResponseSchema, b),
      create(GetGreetingRequestSchema, { id: 1n }),
    );
    expect(res.greeting?.text).toBe("Hello World");

    const check = (service: string) =>
      unary(
        client,
        "/grpc.health.v1.Health/Check",
        (r) => Buffer.from(toBinary(HealthCheckRequestSchema, r)),
        (b) => fromBinary(HealthCheckResponseSchema, b),
        create(HealthCheckRequestSchema, { service }),
      );
    expect((await check("")).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    expect((await check("infinitypool.v1.GreetingService")).status).toBe(
      HealthCheckResponse_ServingStatus.SERVING,
    );
    await expect(check("no.such.Service")).rejects.toMatchObject({ code: Code.NOT_FOUND });

    const notFound = unary(
      client,
      "/infinitypool.v1.GreetingService/GetGreeting",
      (r) => Buffer.from(toBinary(GetGreetingRequestSchema, r)),
      (b) => fromBinary(GetGreetingResponseSchema, b),
      create(GetGreetingRequestSchema, { id: 99_999n }),
    );
    await expect(notFound).rejects.toMatchObject({ code: Code.NOT_FOUND });
  });
});
