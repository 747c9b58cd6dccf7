import {
  create,
  createRegistry,
  type DescFile,
  type MessageInitShape,
  type Registry,
  toBinary,
} from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import type * as v1 from "@infinity-pool/proto/grpc/reflection/v1/reflection_pb.js";
import type * as v1alpha from "@infinity-pool/proto/grpc/reflection/v1alpha/reflection_pb.js";
import { Code } from "@infinity-pool/runtime/status";

type Request = v1.ServerReflectionRequest;
type Response = MessageInitShape<typeof v1.ServerReflectionResponseSchema>;
type Answer = NonNullable<Response["messageResponse"]>;

/**
 * Answers server reflection from the descriptors compiled into the binary, so grpcurl and
 * buf curl can list and call services without the .proto files.
 */
export class Reflection {
  readonly #registry: Registry;
  readonly #files = new Map<string, DescFile>();
  readonly #services: string[];

  /** `files` are the served files; what they import is found through them. */
  constructor(files: DescFile[]) {
    for (const f of withImports(files)) this.#files.set(f.name, f);
    this.#registry = createRegistry(...this.#files.values());
    this.#services = files.flatMap((f) => f.services.map((s) => s.typeName));
  }

  #answer(req: Request): Response {
    const reply = (message: Answer): Response => ({
      validHost: req.host,
      originalRequest: req,
      messageResponse: message,
    });
    const notFound = (what: string) =>
      reply({
        case: "errorResponse",
        value: { errorCode: Code.NOT_FOUND, errorMessage: `${what} not found` },
      });
    const r = req.messageRequest;
    switch (r.case) {
      case "listServices":
        return reply({
          case: "listServicesResponse",
          value: { service: this.#services.map((name) => ({ name })) },
        });
      case "fileByFilename": {
        const file = this.#files.get(r.value);
        return file ? reply(this.#fileResponse(file)) : notFound(`file ${r.value}`);
      }
      case "fileContainingSymbol": {
        const file = this.#fileOfSymbol(r.value);
        return file ? reply(this.#fileResponse(file)) : notFound(`symbol ${r.value}`);
      }
      case "fileContainingExtension": {
        const message = this.#registry.getMessage(r.value.containingType);
        const ext = message
          ? this.#registry.getExtensionFor(message, r.value.extensionNumber)
          : undefined;
        return ext
          ? reply(this.#fileResponse(ext.file))
          : notFound(`extension ${r.value.extensionNumber} of ${r.value.containingType}`);
      }
      case "allExtensionNumbersOfType": {
        const message = this.#registry.getMessage(r.value);
        if (!message) return notFound(`type ${r.value}`);
        const numbers: number[] = [];
        for (const desc of this.#registry) {
          if (desc.kind === "extension" && desc.extendee.typeName === message.typeName) {
            numbers.push(desc.number);
          }
        }
        return reply({
          case: "allExtensionNumbersResponse",
          value: { baseTypeName: message.typeName, extensionNumber: numbers },
        });
      }
      default:
        return reply({
          case: "errorResponse",
          value: { errorCode: Code.UNIMPLEMENTED, errorMessage: "unsupported reflection request" },
        });
    }
  }

  #fileOfSymbol(symbol: string): DescFile | undefined {
    const desc = this.#registry.get(symbol);
    if (desc) return desc.file;
    // Methods are not registry entries: "pkg.Service.Method" resolves through its service.
    const service = this.#registry.getService(symbol.slice(0, symbol.lastIndexOf(".")));
    const method = symbol.slice(symbol.lastIndexOf(".") + 1);
    return service?.methods.some((m) => m.name === method) ? service.file : undefined;
  }

  // The file and all it imports, so a client resolves the whole graph in one round trip.
  #fileResponse(file: DescFile): Answer {
    return {
      case: "fileDescriptorResponse",
      value: {
        fileDescriptorProto: withImports([file]).map((f) =>
          toBinary(FileDescriptorProtoSchema, create(FileDescriptorProtoSchema, f.proto)),
        ),
      },
    };
  }

  async *#stream(requests: AsyncIterable<Request>): AsyncIterable<Response> {
    for await (const req of requests) yield this.#answer(req);
  }

  /** grpc.reflection.v1.ServerReflection (https://github.com/grpc/grpc/blob/master/doc/server-reflection.md). */
  v1(): ServiceImpl<typeof v1.ServerReflection> {
    return { serverReflectionInfo: (requests) => this.#stream(requests) };
  }

  // v1alpha has the same messages under another package; older grpcurl versions still ask for it.
  v1alpha(): ServiceImpl<typeof v1alpha.ServerReflection> {
    return {
      serverReflectionInfo: (requests) =>
        this.#stream(requests as AsyncIterable<Request>) as AsyncIterable<
          MessageInitShape<typeof v1alpha.ServerReflectionResponseSchema>
        >,
    };
  }
}

/** The files and, transitively, everything they import; each once, importers first. */
function withImports(files: DescFile[]): DescFile[] {
  const seen = new Map<string, DescFile>();
  const visit = (f: DescFile) => {
    if (seen.has(f.name)) return;
    seen.set(f.name, f);
    for (const dep of f.dependencies) visit(dep);
  };
  for (const f of files) visit(f);
  return [...seen.values()];
}
