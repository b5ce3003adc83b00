// Follows Kafka's framing (a 4-byte big-endian length, then that many bytes)
// over a byte stream cut into arbitrary chunks, without copying the stream:
// only the first `headBytes` bytes of each frame are gathered, for the
// caller to read its header (api key, correlation id) from.

export class FrameScanner {
  readonly #headBytes: number;
  /** Called once the head of a frame is in; returns where to cut it (bytes from the frame's start), or null. */
  readonly #onHead: (head: Buffer) => number | null;
  readonly #head: Buffer;
  /** Bytes of the current frame seen so far, its length prefix included. */
  #pos = 0;
  /** The current frame's total length, prefix included; 0 until its prefix is in. */
  #total = 0;
  #cutAt: number | null = null;

  constructor(headBytes: number, onHead: (head: Buffer) => number | null) {
    if (headBytes < 4) throw new Error('the head must hold the length prefix');
    this.#headBytes = headBytes;
    this.#onHead = onHead;
    this.#head = Buffer.alloc(headBytes);
  }

  /**
   * Feeds the next chunk of the stream. Returns the index in this chunk
   * where a cut asked for by onHead falls (bytes before it belong in the
   * stream, the rest not), or null. After a cut the scanner must not be fed
   * again.
   */
  scan(chunk: Buffer): number | null {
    let i = 0;
    while (i < chunk.length) {
      if (this.#pos < this.#headBytes && (this.#total === 0 || this.#pos < this.#total)) {
        // Gathering the head (a frame shorter than the head ends first).
        const take = Math.min(this.#headBytes - this.#pos, chunk.length - i, this.#total === 0 ? Infinity : this.#total - this.#pos);
        chunk.copy(this.#head, this.#pos, i, i + take);
        this.#pos += take;
        i += take;
        if (this.#total === 0 && this.#pos >= 4) this.#total = 4 + this.#head.readInt32BE(0);
        if (this.#pos === this.#headBytes) this.#cutAt = this.#onHead(this.#head);
      } else {
        const end = this.#cutAt ?? this.#total;
        const take = Math.min(end - this.#pos, chunk.length - i);
        this.#pos += take;
        i += take;
      }
      if (this.#cutAt !== null && this.#pos >= this.#cutAt) return i - (this.#pos - this.#cutAt);
      if (this.#total > 0 && this.#pos === this.#total) {
        this.#pos = 0;
        this.#total = 0;
        this.#cutAt = null;
      }
    }
    return null;
  }
}
