/**
 * A bounded byte ring for console history: the last `capacity` bytes, in order, never more
 * memory than that (one preallocated buffer; no per-chunk allocations kept).
 */
export class RingBuffer {
  private readonly buf: Buffer;
  private start = 0;
  private length = 0;
  /** Bytes ever pushed (history may hold fewer). */
  total = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError(`ring capacity must be a positive integer, not ${capacity}`);
    this.buf = Buffer.allocUnsafe(capacity);
  }

  get size(): number {
    return this.length;
  }

  push(chunk: Uint8Array): void {
    this.total += chunk.length;
    const cap = this.capacity;
    let src = chunk;
    if (src.length >= cap) {
      // Only the tail fits: it replaces everything.
      this.buf.set(src.subarray(src.length - cap));
      this.start = 0;
      this.length = cap;
      return;
    }
    const end = (this.start + this.length) % cap;
    const first = Math.min(src.length, cap - end);
    this.buf.set(src.subarray(0, first), end);
    if (first < src.length) this.buf.set(src.subarray(first), 0);
    src = chunk;
    const overflow = this.length + src.length - cap;
    if (overflow > 0) {
      this.start = (this.start + overflow) % cap;
      this.length = cap;
    } else {
      this.length += src.length;
    }
  }

  /** A copy of the history, oldest byte first. */
  contents(): Buffer {
    const out = Buffer.allocUnsafe(this.length);
    const first = Math.min(this.length, this.capacity - this.start);
    this.buf.copy(out, 0, this.start, this.start + first);
    if (first < this.length) this.buf.copy(out, first, 0, this.length - first);
    return out;
  }

  clear(): void {
    this.start = 0;
    this.length = 0;
  }
}
