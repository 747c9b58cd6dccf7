import { ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { GreetingService } from "@infinity-pool/proto/infinitypool/v1/greeting_pb.js";
import { Code } from "@infinity-pool/runtime/status";
import type { Database } from "../db/database.ts";
import type { GreetingFeed } from "./feed.ts";
import { toGreeting } from "./message.ts";
import * as repo from "./repository.ts";
import {
  decodePageToken,
  encodePageToken,
  pageSize,
  validateId,
  validateRequestId,
  validateText,
} from "./validation.ts";
import { watchGreetings } from "./watch.ts";

/** The `message` of SayHello, as the original sample's README promises it. */
export const HELLO_MESSAGE = "Response from infinity-pool database";

/**
 * The infinitypool.v1.GreetingService implementation. Errors are gRPC statuses: INVALID_ARGUMENT
 * for bad input (validation.ts), NOT_FOUND for a missing greeting, ALREADY_EXISTS for a request_id
 * reused with different text (AIP-155), and the database statuses of db/errors.ts.
 */
export function greetingService(
  database: Database,
  feed: GreetingFeed,
): ServiceImpl<typeof GreetingService> {
  return {
    async sayHello() {
      const row = await database.run((db) => repo.firstGreeting(db));
      if (!row) throw new ConnectError("no greeting is stored", Code.NOT_FOUND);
      return { data: { greeting: row.text }, message: HELLO_MESSAGE };
    },

    async listGreetings(req) {
      const size = pageSize(req.pageSize);
      const after = decodePageToken(req.pageToken);
      // One extra row tells whether another page exists without a COUNT.
      const rows = await database.run((db) => repo.listGreetings(db, after, size + 1));
      const page = rows.slice(0, size);
      const last = page.at(-1);
      return {
        greetings: page.map(toGreeting),
        nextPageToken: rows.length > size && last ? encodePageToken(last.id) : "",
      };
    },

    async getGreeting(req) {
      const id = validateId(req.id);
      const row = await database.run((db) => repo.greetingById(db, id));
      if (!row) throw new ConnectError(`greeting ${id} not found`, Code.NOT_FOUND);
      return { greeting: toGreeting(row) };
    },

    async createGreeting(req, context) {
      const text = validateText(req.text);
      const requestId = validateRequestId(req.requestId);
      // A call whose deadline has passed (or whose caller left) writes nothing: the caller has
      // already been told DEADLINE_EXCEEDED or CANCELLED and must not find a row it never saw.
      if (context.signal.aborted) throw ConnectError.from(context.signal.reason, Code.CANCELLED);
      const result = await database.run((db) => repo.createGreeting(db, text, requestId));
      if (result.kind === "conflict") {
        throw new ConnectError(
          "request_id was already used for a different greeting",
          Code.ALREADY_EXISTS,
        );
      }
      return { greeting: toGreeting(result.row) };
    },

    watchGreetings: (req, ctx) => watchGreetings(database, feed, req, ctx),
  };
}
