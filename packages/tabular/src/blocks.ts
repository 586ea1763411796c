/**
 * Append-only float64 storage in fixed-size blocks: a column of a million values grows without doubling (no
 * transient 2x copy, no 1.5x slack) and is copied once, into an array of the exact length, when the table is done.
 * One concrete class (no generic over array types) keeps `push` monomorphic: it runs once per parsed value.
 */

const BLOCK = 1 << 16;

export class Float64Blocks {
  readonly #full: Float64Array[] = [];
  #current = new Float64Array(BLOCK);
  #used = 0;

  get length(): number {
    return this.#full.length * BLOCK + this.#used;
  }

  push(value: number): void {
    if (this.#used === BLOCK) {
      this.#full.push(this.#current);
      this.#current = new Float64Array(BLOCK);
      this.#used = 0;
    }
    this.#current[this.#used++] = value;
  }

  /** Every value in one array of the exact length; the blocks are released as they are copied. */
  take(): Float64Array {
    const out = new Float64Array(this.length);
    let offset = 0;
    for (const block of this.#full.splice(0)) {
      out.set(block, offset);
      offset += BLOCK;
    }
    out.set(this.#current.subarray(0, this.#used), offset);
    this.#current = new Float64Array(0);
    this.#used = 0;
    return out;
  }
}
