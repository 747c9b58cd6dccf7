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
/**
 * A character that shows: anything but white space, default-ignorable code points (zero-width
 * characters, variation selectors, the Hangul fillers, tags; Unicode's DerivedCoreProperties),
 * combining marks on their own, format and surrogate code units, and U+2800 BRAILLE PATTERN BLANK,
 * a symbol that renders as nothing. Private-use and not yet assigned characters count as visible:
 * an emoji newer than this Node's Unicode tables must not be refused as blank.
 */
const visibleCharacter =
  /[^\p{White_Space}\p{Default_Ignorable_Code_Point}\p{M}\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\p{Zs}\u2800]/u;

function invalid(message: string): ConnectError {
  return new ConnectError(message, Code.INVALID_ARGUMENT);
}

/**
 * Returns the greeting text to store, or throws INVALID_ARGUMENT saying what is wrong. The text is
 * canonicalised first (Unicode NFC, UAX #15; then white space trimmed) and every rule is checked
 * on that form, which is exactly what is stored: NFC can lengthen a text (U+1D160 becomes three
 * code points), so counting before normalising would let 840 code points through as 280.
 * Rules: valid Unicode (no unpaired surrogate), 1 to 280 code points, no control characters, at
 * least one visible character.
 */
export function validateText(text: string): string {
  if (!text.isWellFormed())
    throw invalid("text must be valid Unicode (it has an unpaired surrogate)");
  const canonical = text.normalize("NFC").trim();
  if (canonical.length === 0) throw invalid("text must not be empty");
  // Counted in code points, so an emoji is one character as a user would count it.
  const length = codePoints(canonical);
  if (length > MAX_TEXT_LENGTH) {
    throw invalid(`text must be at most ${MAX_TEXT_LENGTH} characters (got ${length})`);
  }
  if (controlCharacters.test(canonical)) throw invalid("text must not contain control characters");
  if (!visibleCharacter.test(canonical)) throw invalid("text must contain a visible character");
  return canonical;
}

function codePoints(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++, n++) {
    const unit = text.charCodeAt(i);
    // A well-formed high surrogate is always followed by its low half.
    if (unit >= 0xd800 && unit <= 0xdbff) i++;
  }
  return n;
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

const MAX_INT64 = 2n ** 63n - 1n;

/**
 * Returns the id after which the page starts (0 for the first page). A token is valid only in
 * the exact form encodePageToken writes (base64url without padding of `g1:<id>`, the id a
 * positive int64 in plain decimal): a forged, stale or re-encoded token is INVALID_ARGUMENT, and
 * no value PostgreSQL cannot hold (a bigint past 2^63-1) reaches the query.
 */
export function decodePageToken(token: string): bigint {
  if (token === "") return 0n;
  // Built only when thrown: an Error captures a stack trace, and most tokens are valid.
  const refused = () => invalid("page_token is not a token returned by ListGreetings");
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(token)) throw refused();
  const match = /^g1:([1-9]\d{0,18})$/.exec(Buffer.from(token, "base64url").toString("latin1"));
  if (!match?.[1]) throw refused();
  const id = BigInt(match[1]);
  if (id > MAX_INT64 || encodePageToken(id) !== token) throw refused();
  return id;
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
