import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { ConfigError } from "./config.ts";
import type { Logger } from "./logger.ts";

// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token. Tokens are held to visible ASCII (a
// superset of b64token): the characters a gRPC metadata value may carry when one is forwarded.
const bearerCredentials = /^Bearer +([\x21-\x7e]+) *$/i;
const presentable = /^[\x21-\x7e]+$/;

/**
 * The token of an `Authorization: Bearer <token>` header value (RFC 6750 §2.1; scheme
 * case-insensitive, spaces after the token ignored), or undefined when the value is missing or
 * not bearer credentials. Both services read credentials with this one rule.
 */
export function bearerToken(authorization: string | null | undefined): string | undefined {
  return bearerCredentials.exec(authorization ?? "")?.[1];
}

/**
 * Whether a client can present `token` at all: it must be what `bearerToken` accepts (visible
 * ASCII, no space). A configured token outside that set could never match, so the services refuse
 * it in WRITE_TOKENS and ignore it, with a warning, in a WRITE_TOKENS_FILE.
 */
export function isPresentable(token: string): boolean {
  return presentable.test(token);
}

/**
 * Bearer tokens as written in WRITE_TOKENS or a WRITE_TOKENS_FILE: separated by commas or line
 * breaks, surrounding white space ignored, empty entries dropped (CONTRACTS.md, "Write tokens").
 * Entries are returned as written, presentable or not (see `isPresentable`).
 */
export function parseTokens(text: string): string[] {
  return text
    .split(/[,\r\n]/)
    .map((t) => t.trim())
    .filter((t) => t !== "");
}

/**
 * WRITE_TOKENS as both services read it: `parseTokens`, then a ConfigError naming the variable
 * (never the token) when an entry is one no client could present (`isPresentable`), rather than a
 * write path that silently never opens.
 */
export function inlineWriteTokens(value: string): string[] {
  const tokens = parseTokens(value);
  if (!tokens.every(isPresentable)) {
    throw new ConfigError(
      "WRITE_TOKENS",
      "holds a token no client can send: bearer tokens are visible ASCII without spaces or commas (RFC 6750 §2.1)",
    );
  }
  return tokens;
}

/** What a TokenSource reports; never the tokens themselves. */
export interface TokenSourceEvents {
  /** The file's content changed since it was last read; `count` tokens in it now (0: gone). */
  changed?: (count: number) => void;
  /** The file exists but could not be read; the tokens read before stay in force. */
  unreadable?: (error: NodeJS.ErrnoException) => void;
  /** The file holds `count` entries no client can present (`isPresentable`); they are ignored. */
  unpresentable?: (count: number) => void;
}

export interface TokenSourceOptions {
  /** Tokens given inline (WRITE_TOKENS), always accepted. */
  inline?: readonly string[];
  /** Path of a file of tokens (WRITE_TOKENS_FILE), e.g. a mounted Kubernetes Secret key. */
  file?: string | undefined;
  /** How often the file is read again, in milliseconds (default 1000). */
  refreshMs?: number;
  events?: TokenSourceEvents;
}

/**
 * The current set of write tokens: the inline ones plus those in the file, read at construction
 * and again every refreshMs, so a changed Kubernetes Secret reaches a running process (kubelet
 * swaps a mounted Secret's files atomically through a symlink, which is why the file is read again
 * rather than watched: an inotify watch stays on the replaced file). A missing file contributes no
 * tokens, so a pod may start before its optional Secret exists and pick it up when it appears; a
 * file that exists but cannot be read keeps the previous tokens. Token values are never logged or
 * put in errors.
 */
export class TokenSource {
  readonly #inline: readonly string[];
  readonly #file: string | undefined;
  readonly #events: TokenSourceEvents;
  #fromFile: string[] = [];
  #text: string | undefined;
  #current: readonly string[];
  #timer: NodeJS.Timeout | undefined;
  #reading: Promise<void> | undefined;

  constructor(options: TokenSourceOptions = {}) {
    this.#inline = [...(options.inline ?? [])];
    this.#file = options.file;
    this.#events = options.events ?? {};
    this.#current = this.#inline;
    if (this.#file === undefined) return;
    const file = this.#file;
    this.#apply(() => readFileSync(file, "utf8"), false);
    this.#timer = setInterval(() => void this.reload(), options.refreshMs ?? 1_000);
    this.#timer.unref();
  }

  /**
   * The tokens in force now. The array is replaced, never changed in place, when the file changes,
   * so callers may cache work per array identity.
   */
  tokens(): readonly string[] {
    return this.#current;
  }

  /** Reads the file again now; resolves once its content is in force. */
  reload(): Promise<void> {
    const file = this.#file;
    if (file === undefined) return Promise.resolve();
    this.#reading ??= readFile(file, "utf8")
      .then(
        (text) => this.#apply(() => text, true),
        (error: NodeJS.ErrnoException) =>
          this.#apply(() => {
            throw error;
          }, true),
      )
      .finally(() => {
        this.#reading = undefined;
      });
    return this.#reading;
  }

  /** Stops re-reading the file. */
  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #apply(read: () => string, notify: boolean): void {
    let text: string;
    try {
      text = read();
    } catch (e) {
      const error = e as NodeJS.ErrnoException;
      if (error.code !== "ENOENT" && error.code !== "ENOTDIR") {
        this.#events.unreadable?.(error);
        return;
      }
      text = "";
    }
    if (text === this.#text) return;
    this.#text = text;
    const entries = parseTokens(text);
    this.#fromFile = entries.filter(isPresentable);
    if (this.#fromFile.length < entries.length) {
      this.#events.unpresentable?.(entries.length - this.#fromFile.length);
    }
    this.#current = [...new Set([...this.#inline, ...this.#fromFile])];
    if (notify) this.#events.changed?.(this.#fromFile.length);
  }
}

/**
 * The services' TokenSource for WRITE_TOKENS (`inline`) and WRITE_TOKENS_FILE (`file`), reporting
 * changes and problems on `log` by count only: a token never reaches a log line.
 */
export function writeTokenSource(
  inline: readonly string[],
  file: string | undefined,
  log: Logger,
): TokenSource {
  return new TokenSource({
    inline,
    file,
    events: {
      changed: (count) => log.info({ fileTokens: count }, "write tokens changed"),
      unreadable: (error) =>
        log.warn({ code: error.code }, "write token file unreadable; the tokens in force stay"),
      unpresentable: (count) =>
        log.warn(
          { ignored: count },
          "write token file holds tokens no client can send (a space or non-ASCII); ignored",
        ),
    },
  });
}

const digest = (value: string): Buffer => createHash("sha256").update(value, "utf8").digest();

/**
 * Checks presented bearer tokens against the tokens in force (a TokenSource, or a fixed list) in
 * constant time: tokens are compared as SHA-256 digests with timingSafeEqual, so equal-length
 * inputs make each comparison constant-time whatever the token lengths, and every token is compared
 * so the timing does not reveal which one matched. Digests are computed again only when the set
 * changes (a new array from TokenSource.tokens()).
 */
export class TokenVerifier {
  readonly #tokens: () => readonly string[];
  #digestsOf: readonly string[] | undefined;
  #digests: Buffer[] = [];

  constructor(tokens: TokenSource | readonly string[]) {
    this.#tokens = tokens instanceof TokenSource ? () => tokens.tokens() : () => tokens;
  }

  /** How many tokens are in force now; 0 means every write must be refused. */
  get size(): number {
    return this.#current().length;
  }

  /** True when `presented` is one of the tokens in force. */
  verify(presented: string): boolean {
    const digests = this.#current();
    const candidate = digest(presented);
    let ok = false;
    for (const known of digests) ok = timingSafeEqual(candidate, known) || ok;
    return ok;
  }

  #current(): Buffer[] {
    const tokens = this.#tokens();
    if (tokens !== this.#digestsOf) {
      this.#digests = tokens.map(digest);
      this.#digestsOf = tokens;
    }
    return this.#digests;
  }
}
