import { asc, eq, gt } from "drizzle-orm";
import type { Db } from "../db/database.ts";
import { type GreetingRow, greetings } from "../db/schema.ts";

export async function firstGreeting(db: Db): Promise<GreetingRow | undefined> {
  const rows = await db.select().from(greetings).orderBy(asc(greetings.id)).limit(1);
  return rows[0];
}

export async function greetingById(db: Db, id: bigint): Promise<GreetingRow | undefined> {
  const rows = await db.select().from(greetings).where(eq(greetings.id, id)).limit(1);
  return rows[0];
}

export async function listGreetings(
  db: Db,
  afterId: bigint,
  limit: number,
): Promise<GreetingRow[]> {
  return db
    .select()
    .from(greetings)
    .where(gt(greetings.id, afterId))
    .orderBy(asc(greetings.id))
    .limit(limit);
}

export type CreateResult =
  | { kind: "created"; row: GreetingRow }
  | { kind: "replayed"; row: GreetingRow }
  | { kind: "conflict" };

/**
 * Inserts a greeting. With a request id, a concurrent or repeated insert of the same id finds the
 * first row through the unique constraint rather than writing a second one.
 */
export async function createGreeting(
  db: Db,
  text: string,
  requestId: string | undefined,
): Promise<CreateResult> {
  if (requestId === undefined) {
    const [row] = await db.insert(greetings).values({ text }).returning();
    if (!row) throw new Error("insert returned no row");
    return { kind: "created", row };
  }
  const [row] = await db
    .insert(greetings)
    .values({ text, requestId })
    .onConflictDoNothing({ target: greetings.requestId })
    .returning();
  if (row) return { kind: "created", row };
  const [existing] = await db
    .select()
    .from(greetings)
    .where(eq(greetings.requestId, requestId))
    .limit(1);
  if (!existing) throw new Error("conflicting request_id row vanished");
  return existing.text === text ? { kind: "replayed", row: existing } : { kind: "conflict" };
}
