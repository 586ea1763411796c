/**
 * Append-only float64 storage for a column being read. Without a size hint it grows in fixed-size blocks (a column
 * of a million values grows without doubling: no transient 2x copy, no 1.5x slack) and is copied once, into an
 * array of the exact length, when the table is done. With a hint (`reserve`, from a reader that can estimate the
 * row count, e.g. from the file size) values go straight into one array of that capacity, which becomes the
 * column itself when the estimate was close: no copy, no second array alive at the end.
 * One concrete class (no generic over array types) keeps `push` monomorphic: it runs once per parsed value.
 *
 * Every array lies over a resizable ArrayBuffer of its own (blocks too, so that `push` meets one kind of array), so
 * that the column it becomes can hand its memory back as it is consumed: see {@link releaseBelow}.
 */

const BLOCK = 1 << 16;

/** At most this fraction of a reserved array may be left unused when it is handed out as the column. */
const SLACK = 1 / 8;

/**
 * A zeroed float64 array over a resizable ArrayBuffer of its own, exactly its size, that tracks the buffer's length
 * (so it shrinks with the buffer, see {@link releaseBelow}).
 */
export function resizableFloat64(length: number): Float64Array {
  const bytes = length * Float64Array.BYTES_PER_ELEMENT;
  return new Float64Array(new ArrayBuffer(bytes, { maxByteLength: bytes }));
}

/**
 * Hands back the memory of `values` from element `keep` on, when they are a length-tracking view of a resizable
 * ArrayBuffer of their own (as every numeric column a `TableBuilder` makes, see {@link resizableFloat64}): the
 * buffer shrinks, its pages go back to the system at once, and `values` keeps its first `keep` elements. Other
 * arrays are left as they are.
 */
export function releaseBelow(values: Float64Array, keep: number): void {
  const buffer = values.buffer;
  if (!(buffer instanceof ArrayBuffer) || !buffer.resizable || values.byteOffset !== 0) return;
  if (values.length * Float64Array.BYTES_PER_ELEMENT !== buffer.byteLength) return; // a view of part of it
  const bytes = Math.max(0, keep) * Float64Array.BYTES_PER_ELEMENT;
  if (bytes < buffer.byteLength) buffer.resize(bytes);
}

export class Float64Blocks {
  /** Filled arrays, in order (blocks, or one reserved array that overflowed). */
  #full: Float64Array[] = [];
  #fullLength = 0;
  #current = resizableFloat64(BLOCK);
  #used = 0;

  get length(): number {
    return this.#fullLength + this.#used;
  }

  /** Makes room for `capacity` values in one array, moving any values pushed so far into it. */
  reserve(capacity: number): void {
    if (this.#full.length === 0 && capacity <= this.#current.length) return;
    if (capacity <= this.length) return;
    const array = resizableFloat64(capacity);
    let offset = 0;
    for (const block of this.#full.splice(0)) {
      array.set(block, offset);
      offset += block.length;
    }
    array.set(this.#current.subarray(0, this.#used), offset);
    this.#fullLength = 0;
    this.#current = array;
    this.#used = offset + this.#used;
  }

  push(value: number): void {
    if (this.#used === this.#current.length) {
      this.#full.push(this.#current);
      this.#fullLength += this.#current.length;
      this.#current = resizableFloat64(BLOCK);
      this.#used = 0;
    }
    this.#current[this.#used++] = value;
  }

  /**
   * Every value in one array of the exact length: the reserved array itself (its unused end given back, when
   * little of it is unused), else a copy, the blocks released as they are copied.
   */
  take(): Float64Array {
    const current = this.#current;
    const used = this.#used;
    this.#current = new Float64Array(0);
    this.#used = 0;
    if (this.#full.length === 0 && current.length - used <= current.length * SLACK && current.length > BLOCK) {
      // The unused end goes back to the system, and the array (which tracks its buffer's length) is the column.
      releaseBelow(current, used);
      return current;
    }
    const out = resizableFloat64(this.#fullLength + used);
    let offset = 0;
    for (const block of this.#full.splice(0)) {
      out.set(block, offset);
      offset += block.length;
    }
    this.#fullLength = 0;
    out.set(current.subarray(0, used), offset);
    return out;
  }
}
