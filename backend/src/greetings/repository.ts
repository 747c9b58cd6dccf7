import { asc, eq, gt, max, sql } from "drizzle-orm";
import type { Db } from "../db/database.ts";
import { type GreetingRow, greetings } from "../db/schema.ts";

interface Prepared<P> {
  execute(params: P): Promise<GreetingRow[]>;
}

// Read queries are prepared once per connection pool: neither Drizzle nor PostgreSQL builds or
// plans them again on each call, which measurably raises throughput on the GET / hot path.
function preparedPerDb<P>(build: (db: Db) => Prepared<P>): (db: Db) => Prepared<P> {
  const cache = new WeakMap<Db, Prepared<P>>();
  return (db) => {
    let query = cache.get(db);
    if (!query) {
      query = build(db);
      cache.set(db, query);
    }
    return query;
  };
}

const firstQuery = preparedPerDb((db) =>
  db.select().from(greetings).orderBy(asc(greetings.id)).limit(1).prepare("first_greeting"),
);

const byIdQuery = preparedPerDb<{ id: bigint }>((db) =>
  db
    .select()
    .from(greetings)
    .where(eq(greetings.id, sql.placeholder("id")))
    .limit(1)
    .prepare("greeting_by_id"),
);

const pageQuery = preparedPerDb<{ after: bigint; limit: number }>((db) =>
  db
    .select()
    .from(greetings)
    .where(gt(greetings.id, sql.placeholder("after")))
    .orderBy(asc(greetings.id))
    .limit(sql.placeholder("limit"))
    .prepare("greetings_page"),
);

/** The greeting with the lowest id (the seeded "Hello World"), or undefined on an empty table. */
export async function firstGreeting(db: Db): Promise<GreetingRow | undefined> {
  const rows = await firstQuery(db).execute({});
  return rows[0];
}

/** The greeting with `id`, or undefined when there is none. */
export async function greetingById(db: Db, id: bigint): Promise<GreetingRow | undefined> {
  const rows = await byIdQuery(db).execute({ id });
  return rows[0];
}

/** Up to `limit` greetings with ids above `afterId`, in id order (keyset pagination). */
export async function listGreetings(
  db: Db,
  afterId: bigint,
  limit: number,
): Promise<GreetingRow[]> {
  return pageQuery(db).execute({ after: afterId, limit });
}

/** The highest id stored, 0 when there is none. */
export async function newestGreetingId(db: Db): Promise<bigint> {
  const [row] = await db.select({ newest: max(greetings.id) }).from(greetings);
  return row?.newest ?? 0n;
}

/**
 * What createGreeting did: stored a new row, found the row an earlier request with the same
 * request id stored (same text: a replay), or found that id used for different text (a conflict).
 */
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
