/**
 * gRPC's length-prefixed messages (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md,
 * Length-Prefixed-Message): one flag byte (1 = compressed), a 4-byte big-endian length, the bytes.
 */

/** One message framed for sending, uncompressed. */
export function frame(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + message.byteLength);
  out[0] = 0;
  out.writeUInt32BE(message.byteLength, 1);
  out.set(message, 5);
  return out;
}

/** A message read off a stream, and whether its compressed flag was set. */
export interface ReceivedMessage {
  bytes: Buffer;
  compressed: boolean;
}

/**
 * Reassembles messages from DATA frames of any size. A message whose declared length is over
 * `maxBytes` is refused as soon as its prefix is read, before its bytes are buffered.
 */
export class MessageReader {
  readonly #maxBytes: number;
  /** The prefix bytes read so far, when a chunk ended inside one. */
  #prefix: Buffer | undefined;
  /** The message being filled, when a chunk ended inside one. */
  #message: Buffer | undefined;
  #compressed = false;
  #filled = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /**
   * Feeds one chunk; calls `onMessage` for every message it completes. Returns the declared
   * length of a message over the limit (reading then stops), or -1.
   */
  push(chunk: Buffer, onMessage: (message: ReceivedMessage) => void): number {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#message !== undefined) {
        const take = Math.min(this.#message.length - this.#filled, chunk.length - offset);
        chunk.copy(this.#message, this.#filled, offset, offset + take);
        this.#filled += take;
        offset += take;
        if (this.#filled === this.#message.length) {
          onMessage({ bytes: this.#message, compressed: this.#compressed });
          this.#message = undefined;
        }
        continue;
      }
      let prefix: Buffer;
      if (this.#prefix === undefined && chunk.length - offset >= 5) {
        prefix = chunk.subarray(offset, offset + 5);
        offset += 5;
      } else {
        const have = this.#prefix ?? Buffer.alloc(0);
        const take = Math.min(5 - have.length, chunk.length - offset);
        prefix = Buffer.concat([have, chunk.subarray(offset, offset + take)]);
        offset += take;
        if (prefix.length < 5) {
          this.#prefix = prefix;
          return -1;
        }
        this.#prefix = undefined;
      }
      const length = prefix.readUInt32BE(1);
      if (length > this.#maxBytes) return length;
      const compressed = prefix[0] === 1;
      if (chunk.length - offset >= length) {
        // The common case: the whole message in this chunk, handed on without a copy.
        onMessage({ bytes: chunk.subarray(offset, offset + length), compressed });
        offset += length;
      } else {
        this.#message = Buffer.allocUnsafe(length);
        this.#compressed = compressed;
        this.#filled = 0;
      }
    }
    return -1;
  }
}
