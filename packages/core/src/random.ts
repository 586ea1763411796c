/**
 * Seeded pseudo-random numbers. Every random choice in shardprop (initialisation, shuffling, splits, synthetic
 * data) goes through one of these so that a seed reproduces a run bit for bit, on any machine.
 *
 * The generator is sfc32 (Chris Doty-Humphrey's Small Fast Counting generator): 128 bits of state, passes
 * PractRand, and needs only 32-bit integer arithmetic, which JavaScript engines do without allocating.
 */
export class Rng {
  // Declared only for the type checker (no class fields emitted, the constructor creates them): with emitted
  // fields, V8 deoptimised the inlined constructor of every epoch's shuffle in a worker, on the lookup of the
  // fields' initialiser ("insufficient type feedback for generic named access"), once per epoch.
  declare private a: number;
  declare private b: number;
  declare private c: number;
  declare private d: number;

  /** @param seed any finite number; equal seeds give equal streams. */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
    // splitmix32 expands one seed into four well-mixed state words.
    let s = Math.floor(seed) >>> 0 || 0x9e3779b9;
    const next = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
      // The word as an int32 (the bits of splitmix32's uint32): `| 0` of a uint32 at or above 2^30, which is no
      // small integer to V8, deoptimised the inlined constructor ("not a Smi").
      return z ^ (z >>> 15);
    };
    // Stored as int32 (the same bits): the state words then always fit one field representation, where uint32
    // values above 2^31 made V8 deoptimise nextUint32 ("not a Smi") for each new generator.
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A float in [0, 1) with 32 bits of randomness. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** A float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** A standard normal deviate (Box-Muller; the second value is discarded to keep the stream simple). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** An integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 4294967296)
      throw new RangeError(`n must be an integer in [1, 2^32], got ${n}`);
    let x = this.nextUint32();
    // Draws from the top (2^32 mod n) values are rejected, so that every result is equally likely; only a draw in
    // the top n values can be one of them, and only then is the exact limit (a floating-point remainder) worked out.
    if (x >= 4294967296 - n) {
      const limit = 4294967296 - (4294967296 % n);
      while (x >= limit) x = this.nextUint32();
    }
    // x % n without the floating-point remainder (x may exceed int32): for x < 2^32 the quotient's rounding error
    // is below 1/n, so the floor is exact. A shuffle draws one per row: this made epoch orders 2.5x faster.
    return x - Math.floor(x / n) * n;
  }
}
