import { errorMessage } from "@infinity-pool/runtime/errors";
import { Backoff } from "./backoff.ts";
import { Connection, type ConnectionSettings, type Transport } from "./connection.ts";
import { type Address, addressKey, resolveTarget, type Target } from "./target.ts";

/** How a channel finds and keeps its connections; durations in milliseconds. */
export interface ChannelSettings extends ConnectionSettings {
  /** The name is resolved again this often, so added replicas get calls; 0 disables. */
  refreshMs: number;
  /** Resolutions asked for on demand (a connection lost) start at least this far apart. */
  minResolutionIntervalMs: number;
}

/** Something waiting for a transport: a call that found none ready. */
export interface PickWaiter {
  /** A transport is ready for it. */
  picked(transport: Transport): void;
  /** No address can take it now: fail it UNAVAILABLE with this message. */
  unavailable(message: string): void;
}

/**
 * The connections to every address a target resolves to, and round-robin picking over the ready
 * ones: what grpc-js's `round_robin` policy does, without its per-call objects. The name is
 * resolved at start, every `refreshMs`, and again (at most once per `minResolutionIntervalMs`)
 * when a connection is lost or fails; addresses that appear are connected, addresses that
 * disappear are closed gracefully (their open calls finish).
 *
 * A pick returns a ready transport at once when there is one. Otherwise the caller waits while
 * an address is still connecting or the first resolution is under way, and is told UNAVAILABLE
 * when every address has failed or none was resolved.
 */
export class Channel {
  readonly target: Target;
  readonly #settings: ChannelSettings;
  readonly #connections = new Map<string, Connection>();
  #ready: Transport[] = [];
  #next = 0;
  readonly #waiting = new Set<PickWaiter>();
  /** Set once a resolution has answered, even with an error. */
  #resolved = false;
  #resolutionError: string | undefined;
  #resolving = false;
  #lastResolutionAt = 0;
  #pendingResolution: NodeJS.Timeout | undefined;
  readonly #resolutionBackoff: Backoff;
  readonly #refreshTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(target: Target, settings: ChannelSettings) {
    this.target = target;
    this.#settings = settings;
    this.#resolutionBackoff = new Backoff(settings.initialBackoffMs, settings.maxBackoffMs, () =>
      this.#resolve(),
    );
    if (settings.refreshMs > 0 && target.fixed === undefined) {
      this.#refreshTimer = setInterval(() => this.#resolve(), settings.refreshMs);
      this.#refreshTimer.unref();
    }
    this.#resolve();
  }

  /** A ready transport, in round-robin order; undefined when none is ready. */
  pick(): Transport | undefined {
    const ready = this.#ready;
    if (ready.length === 0) return undefined;
    if (this.#next >= ready.length) this.#next = 0;
    return ready[this.#next++];
  }

  /**
   * Called when no transport was ready: `waiter` is told as soon as one is (or that none will
   * be soon), unless it gives up first with `cancelWait`.
   */
  wait(waiter: PickWaiter): void {
    const failure = this.#failure();
    if (failure !== undefined) {
      waiter.unavailable(failure);
      return;
    }
    this.#waiting.add(waiter);
  }

  /** Stops waiting for a transport (the call ended otherwise). */
  cancelWait(waiter: PickWaiter): void {
    this.#waiting.delete(waiter);
  }

  /**
   * A transport turned out unusable before a call could start on it: drop it, and its connection
   * connects again (as after any broken transport). Only the connection's current transport is
   * dropped; one already ending (GOAWAY) keeps finishing its calls.
   */
  discard(transport: Transport): void {
    for (const connection of this.#connections.values()) {
      if (connection.transport === transport) transport.destroy();
    }
  }

  /** Closes every connection at once and stops resolving; waiting calls fail UNAVAILABLE. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#refreshTimer);
    clearTimeout(this.#pendingResolution);
    this.#resolutionBackoff.stop();
    for (const connection of this.#connections.values()) connection.destroy();
    this.#connections.clear();
    this.#ready = [];
    this.#settle();
  }

  /**
   * Why no call can be placed now: every address failed, none resolved, or the channel is
   * closed. Undefined while waiting makes sense (first resolution, an address connecting).
   */
  #failure(): string | undefined {
    if (this.#closed) return "the channel is closed";
    if (!this.#resolved) return undefined;
    if (this.#connections.size === 0) {
      return this.#resolutionError !== undefined
        ? `Name resolution failed for target ${this.target.text}: ${this.#resolutionError}`
        : `No addresses resolved for target ${this.target.text}`;
    }
    let lastError = "";
    for (const connection of this.#connections.values()) {
      if (connection.state === "ready" || !connection.failing) return undefined;
      lastError = connection.lastError;
    }
    return `No connection established. Last error: ${lastError}`;
  }

  #readyTransports(): Transport[] {
    return [...this.#connections.values()]
      .map((c) => c.transport)
      .filter((t): t is Transport => t !== undefined);
  }

  #changed(connection: Connection): void {
    if (this.#connections.get(connection.key) !== connection) return;
    this.#ready = this.#readyTransports();
    // A connection lost or refused may mean the name's addresses changed.
    if (connection.state === "idle" || connection.state === "transient-failure") {
      this.#requestResolution();
    }
    this.#settle();
  }

  /** Hands waiting calls a transport, or fails them when none will come soon. */
  #settle(): void {
    if (this.#waiting.size === 0) return;
    const failure = this.#failure();
    for (const waiter of this.#waiting) {
      const transport = this.pick();
      if (transport !== undefined) {
        this.#waiting.delete(waiter);
        waiter.picked(transport);
      } else if (failure !== undefined) {
        this.#waiting.delete(waiter);
        waiter.unavailable(failure);
      }
    }
  }

  #requestResolution(): void {
    if (this.target.fixed !== undefined || this.#closed || this.#pendingResolution) return;
    const wait = this.#lastResolutionAt + this.#settings.minResolutionIntervalMs - Date.now();
    if (wait <= 0) {
      this.#resolve();
      return;
    }
    this.#pendingResolution = setTimeout(() => {
      this.#pendingResolution = undefined;
      this.#resolve();
    }, wait);
    this.#pendingResolution.unref();
  }

  #resolve(): void {
    if (this.#resolving || this.#closed) return;
    this.#resolving = true;
    this.#lastResolutionAt = Date.now();
    resolveTarget(this.target).then(
      (addresses) => {
        this.#resolving = false;
        this.#resolutionBackoff.reset();
        this.#resolutionError = undefined;
        this.#update(addresses);
      },
      (error: unknown) => {
        this.#resolving = false;
        // The addresses of the last answer stay in use; without any, calls fail UNAVAILABLE.
        this.#resolutionError = errorMessage(error);
        this.#resolved = true;
        if (!this.#closed) this.#resolutionBackoff.run();
        this.#settle();
      },
    );
  }

  #update(addresses: Address[]): void {
    if (this.#closed) return;
    const fresh = new Map<string, Connection>();
    for (const address of addresses) {
      const known = this.#connections.get(addressKey(address));
      if (known !== undefined) fresh.set(known.key, known);
      else {
        const connection = new Connection(address, this.#settings, (c) => this.#changed(c));
        fresh.set(connection.key, connection);
      }
    }
    const gone = [...this.#connections.values()].filter((c) => fresh.get(c.key) !== c);
    this.#connections.clear();
    for (const [key, connection] of fresh) this.#connections.set(key, connection);
    for (const connection of gone) connection.close();
    this.#resolved = true;
    this.#ready = this.#readyTransports();
    // Calls spread from a random first address, as grpc-js's round robin starts.
    this.#next = Math.floor(Math.random() * Math.max(1, this.#ready.length));
    for (const connection of this.#connections.values()) connection.connect();
    this.#settle();
  }
}
