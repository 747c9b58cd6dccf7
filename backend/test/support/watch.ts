// A WatchGreetings client that records what it receives, for tests that assert on the stream.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import http2 from "node:http2";
import { type Client, ConnectError } from "@connectrpc/connect";
import type { GreetingService } from "@infinity-pool/proto/infinitypool/v1/greeting_pb.js";
import { Code } from "@infinity-pool/runtime/status";
import { rawWatch } from "./grpc-wire.ts";

export class Watcher {
  /** Ids received so far, in arrival order. */
  readonly ids: bigint[] = [];
  readonly texts: string[] = [];
  /** How the stream ended: undefined while open, null when it finished OK. */
  error: ConnectError | null | undefined;
  readonly done: Promise<void>;
  readonly #abort = new AbortController();
  #waiters: (() => void)[] = [];

  constructor(client: Client<typeof GreetingService>, sinceId?: bigint) {
    const request = sinceId === undefined ? {} : { sinceId };
    this.done = (async () => {
      try {
        for await (const res of client.watchGreetings(request, { signal: this.#abort.signal })) {
          this.ids.push(res.greeting?.id ?? -1n);
          this.texts.push(res.greeting?.text ?? "");
          this.#wake();
        }
        this.error = null;
      } catch (err) {
        this.error = ConnectError.from(err);
      }
      this.#wake();
    })();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /**
   * Resolves once `count` greetings have arrived; rejects if the stream ends first or after
   * `timeoutMs` (a bound for a hung test, not a latency assertion).
   */
  async until(count: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.ids.length < count) {
      if (this.error !== undefined) {
        throw new Error(
          `stream ended after ${this.ids.length} of ${count}: ${this.error?.message ?? "OK"}`,
        );
      }
      if (Date.now() > deadline) throw new Error(`only ${this.ids.length} of ${count} arrived`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  get last(): bigint | undefined {
    return this.ids.at(-1);
  }

  /** Cancels the call (as a client that goes away) and waits for it to end. */
  async cancel(): Promise<void> {
    this.#abort.abort();
    await this.done;
  }

  get cancelled(): boolean {
    return this.error instanceof ConnectError && this.error.code === Code.CANCELLED;
  }
}

/** Resident set size of a process, in bytes (Linux /proc). */
export function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match?.[1]) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) * 1024;
}

/** Open sockets of a process (Linux /proc). */
export function socketCount(pid: number): number {
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith("socket:")) n++;
    } catch {
      // The descriptor closed while listing.
    }
  }
  return n;
}

/**
 * A client that does what the API asks of one: when its stream ends with UNAVAILABLE or
 * RESOURCE_EXHAUSTED it watches again with since_id = the last id it received.
 */
export class ResumingWatcher {
  readonly ids: bigint[] = [];
  /** The codes its streams ended with, in order. */
  readonly endings: Code[] = [];
  #current: Watcher | undefined;
  #stopped = false;
  readonly done: Promise<void>;

  constructor(client: Client<typeof GreetingService>, sinceId: bigint) {
    this.done = (async () => {
      let since = sinceId;
      while (!this.#stopped) {
        const w = new Watcher(client, since);
        this.#current = w;
        await w.done;
        this.ids.push(...w.ids);
        since = this.ids.at(-1) ?? since;
        const code = w.error ? w.error.code : undefined;
        if (code !== undefined) this.endings.push(code);
        if (code !== Code.UNAVAILABLE && code !== Code.RESOURCE_EXHAUSTED) return;
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
  }

  /** Everything received so far, including the open stream's part. */
  get received(): bigint[] {
    const open = this.#current?.error === undefined ? (this.#current?.ids ?? []) : [];
    return [...this.ids, ...open];
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#current?.cancel();
    await this.done;
  }
}

/**
 * One connect/disconnect cycle of a gRPC client on its own connection: it connects, watches, waits
 * for the first message (sent once the server has subscribed the stream) and drops the TCP
 * connection without ending the call, as a client that crashes or loses its network would.
 */
export async function watchThenDisconnect(url: string, sinceId: bigint): Promise<void> {
  const session = http2.connect(url);
  session.on("error", () => undefined);
  try {
    const call = rawWatch(session, sinceId);
    await new Promise<void>((resolve, reject) => {
      call.once("data", () => resolve());
      call.once("error", reject);
      call.once("close", () => reject(new Error("stream closed before its first message")));
    });
  } finally {
    session.destroy();
  }
}
