import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Greeting, GreetingSchema } from "@infinity-pool/proto/infinitypool/v1/greeting_pb.js";
import type { GreetingRow } from "../db/schema.ts";

/** The API message for a stored greeting. */
export function toGreeting(row: GreetingRow): Greeting {
  return create(GreetingSchema, {
    id: row.id,
    text: row.text,
    createTime: timestampFromDate(row.createTime),
  });
}
