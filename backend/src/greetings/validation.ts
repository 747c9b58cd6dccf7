import { ConnectError } from "@connectrpc/connect";
import { Code } from "@infinity-pool/runtime/status";

/** The longest greeting text, in Unicode code points. */
export const MAX_TEXT_LENGTH = 280;
/** The page size ListGreetings uses when the request says 0 (AIP-158). */
export const DEFAULT_PAGE_SIZE = 50;
/** The largest page ListGreetings returns; larger requests are capped, not refused (AIP-158). */
export const MAX_PAGE_SIZE = 100;

const controlCharacters = /\p{Cc}/u;
const requestIdPattern = /^[A-Za-z0-9._-]{1,64}$/;

function invalid(message: string): ConnectError {
  return new ConnectError(message, Code.INVALID_ARGUMENT);
}

/** Returns the greeting text to store, or throws INVALID_ARGUMENT saying what is wrong. */
export function validateText(text: string): string {
  const trimmed = text.trim();
  if (trimmed.length === 0) throw invalid("text must not be empty");
  // Counted in code points, so an emoji is one character as a user would count it.
  const length = [...trimmed].length;
  if (length > MAX_TEXT_LENGTH) {
    throw invalid(`text must be at most ${MAX_TEXT_LENGTH} characters (got ${length})`);
  }
  if (controlCharacters.test(trimmed)) throw invalid("text must not contain control characters");
  return trimmed.normalize("NFC");
}

/** Returns the idempotency key, undefined when absent, or throws INVALID_ARGUMENT. */
export function validateRequestId(requestId: string): string | undefined {
  if (requestId === "") return undefined;
  if (!requestIdPattern.test(requestId)) {
    throw invalid("request_id must be 1 to 64 characters of A-Z, a-z, 0-9, '.', '_' or '-'");
  }
  return requestId;
}

/** The page size to use: the default for 0, at most MAX_PAGE_SIZE; INVALID_ARGUMENT if negative (AIP-158). */
export function pageSize(requested: number): number {
  if (requested < 0) throw invalid("page_size must not be negative");
  if (requested === 0) return DEFAULT_PAGE_SIZE;
  return Math.min(requested, MAX_PAGE_SIZE);
}

// Page tokens are opaque to clients: a versioned, base64url-encoded keyset cursor.
const TOKEN_PREFIX = "g1:";

/** The opaque next_page_token (AIP-158) for a page ending at `lastId`: base64url of "g1:<id>". */
export function encodePageToken(lastId: bigint): string {
  return Buffer.from(`${TOKEN_PREFIX}${lastId}`, "utf8").toString("base64url");
}

/** Returns the id after which the page starts (0 for the first page). */
export function decodePageToken(token: string): bigint {
  if (token === "") return 0n;
  const decoded = /^[A-Za-z0-9_-]+$/.test(token)
    ? Buffer.from(token, "base64url").toString("utf8")
    : "";
  const match = /^g1:(\d{1,19})$/.exec(decoded);
  if (!match?.[1]) throw invalid("page_token is not a token returned by ListGreetings");
  return BigInt(match[1]);
}

/** Returns a greeting id, or throws INVALID_ARGUMENT unless it is positive (ids start at 1). */
export function validateId(id: bigint): bigint {
  if (id <= 0n) throw invalid("id must be a positive integer");
  return id;
}

/** WatchGreetings' resume point: undefined when unset (live only), else a non-negative id. */
export function validateSinceId(sinceId: bigint | undefined): bigint | undefined {
  if (sinceId !== undefined && sinceId < 0n) throw invalid("since_id must not be negative");
  return sinceId;
}
