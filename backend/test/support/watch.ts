// A WatchGreetings client that records what it receives, for tests that assert on the stream.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { type Client, Code, ConnectError } from "@connectrpc/connect";
import type { GreetingService } from "@infinity-pool/proto/infinitypool/v1/greeting_pb.js";

export class Watcher {
  /** Ids received so far, in arrival order. */
  readonly ids: bigint[] = [];
  readonly texts: string[] = [];
  /** How the stream ended: undefined while open, null when it finished OK. */
  error: ConnectError | null | undefined;
  readonly done: Promise<void>;
  readonly #abort = new AbortController();

  constructor(client: Client<typeof GreetingService>, sinceId?: bigint) {
    const request = sinceId === undefined ? {} : { sinceId };
    this.done = (async () => {
      try {
        for await (const res of client.watchGreetings(request, { signal: this.#abort.signal })) {
          this.ids.push(res.greeting?.id ?? -1n);
          this.texts.push(res.greeting?.text ?? "");
        }
        this.error = null;
      } catch (err) {
        this.error = ConnectError.from(err);
      }
    })();
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
    return this.error instanceof ConnectError && this.error.code === Code.Canceled;
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
