import { bigserial, pgTable, text, timestamp } from "drizzle-orm/pg-core";

export const greetings = pgTable("greetings", {
  id: bigserial("id", { mode: "bigint" }).primaryKey(),
  text: text("text").notNull(),
  // Idempotency key of the create request that stored this row; NULLs do not collide.
  requestId: text("request_id").unique(),
  createTime: timestamp("create_time", { withTimezone: true }).notNull().defaultNow(),
});

export type GreetingRow = typeof greetings.$inferSelect;
