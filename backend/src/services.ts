import type { DescService } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  file_grpc_health_v1_health,
  Health,
} from "@infinity-pool/proto/grpc/health/v1/health_pb.js";
import * as reflectionV1 from "@infinity-pool/proto/grpc/reflection/v1/reflection_pb.js";
import * as reflectionV1alpha from "@infinity-pool/proto/grpc/reflection/v1alpha/reflection_pb.js";
import {
  file_infinitypool_v1_greeting,
  GreetingService,
} from "@infinity-pool/proto/infinitypool/v1/greeting_pb.js";
import type { Database } from "./db/database.ts";
import type { GreetingFeed } from "./greetings/feed.ts";
import { greetingService } from "./greetings/service.ts";
import type { HealthMonitor } from "./health.ts";
import { Reflection } from "./reflection.ts";

/** A service descriptor with its implementation, as connect's router takes them. */
export interface ServiceRegistration {
  service: DescService;
  // biome-ignore lint/suspicious/noExplicitAny: a list of services of different types
  impl: Partial<ServiceImpl<any>>;
}

function register<S extends DescService>(service: S, impl: ServiceImpl<S>): ServiceRegistration {
  return { service, impl };
}

/** Everything the backend serves on its port. */
export function services(
  database: Database,
  health: HealthMonitor,
  feed: GreetingFeed,
): ServiceRegistration[] {
  const reflection = new Reflection([
    file_infinitypool_v1_greeting,
    file_grpc_health_v1_health,
    reflectionV1.file_grpc_reflection_v1_reflection,
    reflectionV1alpha.file_grpc_reflection_v1alpha_reflection,
  ]);
  return [
    register(GreetingService, greetingService(database, feed)),
    register(Health, health.service()),
    register(reflectionV1.ServerReflection, reflection.v1()),
    register(reflectionV1alpha.ServerReflection, reflection.v1alpha()),
  ];
}
