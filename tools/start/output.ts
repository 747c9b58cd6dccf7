// Buffered writes to stdout or stderr: every line a service writes becomes one string here, and
// writing each on its own would cost a system call per log line under load. Lines collected in the
// same turn of the event loop go out in one write.
import type { Writable } from "node:stream";

export class OutputBuffer {
  readonly #stream: Writable;
  #pending: string[] = [];
  #scheduled = false;

  constructor(stream: Writable) {
    this.#stream = stream;
  }

  write(text: string): void {
    this.#pending.push(text);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#drain());
    }
  }

  #drain(): void {
    this.#scheduled = false;
    if (this.#pending.length === 0) return;
    const text = this.#pending.join("");
    this.#pending = [];
    this.#stream.write(text);
  }

  /** Writes what is pending and resolves once the stream has taken it. */
  flush(): Promise<void> {
    this.#drain();
    return new Promise((resolve) => this.#stream.write("", () => resolve()));
  }
}
