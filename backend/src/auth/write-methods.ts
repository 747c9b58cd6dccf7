import { type DescMethod, getOption, hasOption } from "@bufbuild/protobuf";
import { http } from "@infinity-pool/proto/google/api/annotations_pb.js";

// Services every gRPC server offers for its operators: read-only by their specifications
// (grpc/doc/health-checking.md, grpc/proposal A15 reflection).
const infrastructure = /^grpc\.(health\.v1\.Health|reflection\.v1(alpha)?\.ServerReflection)$/;

/**
 * True when `method` writes and so needs a write token: every method of an API service except
 * those whose google.api.http bindings are all GET (the gateway reads the same annotation, so a
 * route it treats as a read is a read here too). A method without the annotation counts as a
 * write: a new gRPC-only RPC is closed until it is declared a read. The health and reflection
 * services are reads.
 */
export function requiresWriteToken(method: DescMethod): boolean {
  // Asked on every call; descriptors never change, and protobuf-es decodes an option anew on
  // each getOption.
  let answer = decided.get(method);
  if (answer === undefined) {
    answer = decide(method);
    decided.set(method, answer);
  }
  return answer;
}

const decided = new WeakMap<DescMethod, boolean>();

function decide(method: DescMethod): boolean {
  if (infrastructure.test(method.parent.typeName)) return false;
  if (!hasOption(method, http)) return true;
  const rule = getOption(method, http);
  return [rule, ...rule.additionalBindings].some((binding) => binding.pattern.case !== "get");
}
