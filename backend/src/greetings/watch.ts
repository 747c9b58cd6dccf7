import type { MessageInitShape } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import type {
  WatchGreetingsRequest,
  WatchGreetingsResponseSchema,
} from "@infinity-pool/proto/infinitypool/v1/greeting_pb.js";
import { Code } from "@infinity-pool/runtime/status";
import type { Database } from "../db/database.ts";
import type { GreetingRow } from "../db/schema.ts";
import { resetResourceExhausted } from "../http2-stream.ts";
import type { GreetingFeed, Subscription } from "./feed.ts";
import { toGreeting } from "./message.ts";
import * as repo from "./repository.ts";
import { validateSinceId } from "./validation.ts";

// Greetings read per replay query.
const REPLAY_PAGE = 100;

/**
 * WatchGreetings: replays the greetings after `since_id` from the table, then streams live ones
 * from the process's feed. The seam: the subscription receives every id above its `after`, and
 * the replay covers (since_id, after], so each greeting is sent once, in id order.
 *
 * Long histories are replayed page by page before subscribing, so live greetings do not pile up
 * in the bounded buffer while the client is still catching up; only the last page, and what was
 * committed while it was read, is sent while subscribed.
 */
/**
 * Sends one greeting. When the write fails because the stream was reset for falling behind, the
 * subscription's RESOURCE_EXHAUSTED is what the call ends with, so that is what gets logged.
 */
function* send(
  row: GreetingRow,
  subscription: Subscription | undefined,
): Generator<MessageInitShape<typeof WatchGreetingsResponseSchema>> {
  try {
    yield { greeting: toGreeting(row) };
  } catch (err) {
    throw subscription?.error ?? err;
  }
}

export async function* watchGreetings(
  database: Database,
  feed: GreetingFeed,
  req: WatchGreetingsRequest,
  ctx: HandlerContext,
): AsyncGenerator<MessageInitShape<typeof WatchGreetingsResponseSchema>> {
  const since = validateSinceId(req.sinceId);
  const read = (after: bigint) => database.run((db) => repo.listGreetings(db, after, REPLAY_PAGE));
  let subscription: Subscription | undefined;
  try {
    let last: bigint;
    let pending: GreetingRow[] = [];
    if (since === undefined) {
      subscription = await feed.subscribe();
      // The feed may not have heard yet of a greeting whose create already returned; "after the
      // call started" means after the newest one committed now, whatever the feed has seen.
      const newest = await database.run((db) => repo.newestGreetingId(db));
      last = subscription.after;
      if (newest > last) last = newest;
    } else {
      last = since;
      for (;;) {
        pending = await read(last);
        if (pending.length < REPLAY_PAGE) break;
        for (const row of pending) {
          yield* send(row, undefined);
          last = row.id;
        }
      }
      subscription = await feed.subscribe();
    }
    const live = subscription;
    // A client that stops reading leaves this generator parked at a yield, where it cannot throw.
    live.onStalledFailure = (err) => {
      if (err.code === Code.RESOURCE_EXHAUSTED) resetResourceExhausted(ctx);
    };
    // The rest of the replay: what lies between the last page and the subscription's start.
    for (;;) {
      for (const row of pending) {
        if (row.id > live.after) break;
        if (row.id <= last) continue;
        if (live.error) throw live.error;
        yield* send(row, live);
        last = row.id;
      }
      if (last >= live.after) break;
      pending = await read(last);
      if ((pending[0]?.id ?? live.after + 1n) > live.after) break;
    }
    for (;;) {
      const row = await live.next(ctx.signal);
      if (row.id <= last) continue;
      yield* send(row, live);
      last = row.id;
    }
  } finally {
    subscription?.close();
  }
}
