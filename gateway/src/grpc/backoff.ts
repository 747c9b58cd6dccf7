/**
 * Reconnection backoff as gRPC specifies it (https://github.com/grpc/grpc/blob/master/doc/connection-backoff.md)
 * with grpc-js's parameters: the first delay is `initialMs`, each next one 1.6 times the last, at
 * most `maxMs`, with ±20 % jitter. `run` arms the timer with the current delay and advances it;
 * `reset` goes back to the first delay (after a success).
 */
export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #onDone: () => void;
  #nextMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(initialMs: number, maxMs: number, onDone: () => void) {
    this.#initialMs = initialMs;
    this.#maxMs = maxMs;
    this.#nextMs = initialMs;
    this.#onDone = onDone;
  }

  /** True while a delay is running. */
  get running(): boolean {
    return this.#timer !== undefined;
  }

  /** Starts the current delay (restarting it if one runs) and computes the next. */
  run(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#onDone();
    }, this.#nextMs);
    this.#timer.unref();
    const next = Math.min(this.#nextMs * 1.6, this.#maxMs);
    this.#nextMs = next + (Math.random() * 2 - 1) * next * 0.2;
  }

  /** Stops a running delay without calling back, and starts over at the first delay. */
  reset(): void {
    this.stop();
    this.#nextMs = this.#initialMs;
  }

  /** Stops a running delay without calling back. */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
