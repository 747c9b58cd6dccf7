import { bigserial, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * The `greetings` table (migrations in backend/drizzle are generated from it): a bigserial id,
 * the text, an optional unique idempotency key and the creation time (timestamptz, default now()).
 */
export const greetings = pgTable("greetings", {
  id: bigserial("id", { mode: "bigint" }).primaryKey(),
  text: text("text").notNull(),
  // Idempotency key of the create request that stored this row; NULLs do not collide.
  requestId: text("request_id").unique(),
  createTime: timestamp("create_time", { withTimezone: true }).notNull().defaultNow(),
});

/** One row of `greetings` as Drizzle returns it (`id` is a bigint, `createTime` a Date). */
export type GreetingRow = typeof greetings.$inferSelect;
