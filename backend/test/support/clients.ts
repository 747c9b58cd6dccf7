import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Health } from "@infinity-pool/proto/grpc/health/v1/health_pb.js";
import { GreetingService } from "@infinity-pool/proto/infinitypool/v1/greeting_pb.js";

export function clients(baseUrl: string) {
  const transport = createGrpcTransport({ baseUrl });
  return {
    greetings: createClient(GreetingService, transport),
    health: createClient(Health, transport),
  };
}
