/**
 * Append-only float64 storage for a column being read. Without a size hint it grows in fixed-size blocks (a column
 * of a million values grows without doubling: no transient 2x copy, no 1.5x slack) and is copied once, into an
 * array of the exact length, when the table is done. With a hint (`reserve`, from a reader that can estimate the
 * row count, e.g. from the file size) values go straight into one array of that capacity, which becomes the
 * column itself when the estimate was close: no copy, no second array alive at the end.
 * One concrete class (no generic over array types) keeps `push` monomorphic: it runs once per parsed value.
 */

const BLOCK = 1 << 16;

/** At most this fraction of a reserved array may be left unused when it is handed out as the column. */
const SLACK = 1 / 8;

export class Float64Blocks {
  /** Filled arrays, in order (blocks, or one reserved array that overflowed). */
  #full: Float64Array[] = [];
  #fullLength = 0;
  #current = new Float64Array(BLOCK);
  #used = 0;

  get length(): number {
    return this.#fullLength + this.#used;
  }

  /** Makes room for `capacity` values in one array, moving any values pushed so far into it. */
  reserve(capacity: number): void {
    if (this.#full.length === 0 && capacity <= this.#current.length) return;
    if (capacity <= this.length) return;
    const array = new Float64Array(capacity);
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
      this.#current = new Float64Array(BLOCK);
      this.#used = 0;
    }
    this.#current[this.#used++] = value;
  }

  /**
   * Every value in one array of the exact length: the reserved array itself (or a view of its used part, when
   * little of it is unused), else a copy, the blocks released as they are copied.
   */
  take(): Float64Array {
    const current = this.#current;
    const used = this.#used;
    this.#current = new Float64Array(0);
    this.#used = 0;
    if (this.#full.length === 0 && current.length - used <= current.length * SLACK && current.length > BLOCK) {
      return used === current.length ? current : current.subarray(0, used);
    }
    const out = new Float64Array(this.#fullLength + used);
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
