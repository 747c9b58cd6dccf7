import { badRequest } from "./http-error.ts";

const unitMs: Record<string, number> = {
  H: 3_600_000,
  M: 60_000,
  S: 1_000,
  m: 1,
  u: 0.001,
  n: 0.000_001,
};

/**
 * The deadline for the upstream call: the client's Grpc-Timeout (gRPC wire format, e.g. "250m")
 * when given, never more than maxMs; otherwise defaultMs.
 */
export function deadlineFrom(
  header: string | undefined,
  defaultMs: number,
  maxMs: number,
  now = Date.now(),
): number {
  if (header === undefined) return now + defaultMs;
  const match = /^(\d{1,8})([HMSmun])$/.exec(header.trim());
  if (!match) throw badRequest('invalid Grpc-Timeout: expected digits and a unit, e.g. "500m"');
  const ms = Number(match[1]) * (unitMs[match[2] as string] as number);
  return now + Math.min(Math.max(ms, 1), maxMs);
}
