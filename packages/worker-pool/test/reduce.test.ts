import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type FloatArray,
  partitionRange,
  presumSlotRun,
  reduceSlots,
  reduceSlotTree,
  SLOT_TREE_CHUNK,
  slotRun,
  slotTreeScratchLength,
  slotTreeSplit,
} from '../src/reduce.js';

/** The specification, written as plainly as possible: one thread, element by element, slot 0 first. */
function referenceReduce(slots: FloatArray, slotCount: number, slotLength: number, out: FloatArray, scale: number) {
  const round = slots instanceof Float32Array ? Math.fround : (x: number) => x;
  for (let i = 0; i < slotLength; i++) {
    let acc = slots[i];
    for (let s = 1; s < slotCount; s++) acc = round(acc + slots[s * slotLength + i]);
    out[i] = acc * scale;
  }
}

/** Index of the first element whose bit pattern differs (NaN-safe, -0 vs +0 aware), or -1. */
function firstBitDifference(a: FloatArray, b: FloatArray): number {
  if (a.constructor !== b.constructor || a.length !== b.length) return -2;
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return Math.floor(i / a.BYTES_PER_ELEMENT);
  return -1;
}

const caseArb = fc
  .record({
    f64: fc.boolean(),
    outF64: fc.boolean(),
    slotCount: fc.integer({ min: 1, max: 9 }),
    slotLength: fc.integer({ min: 0, max: 200 }),
    scale: fc.oneof(fc.constant(1), fc.double({ min: -4, max: 4, noNaN: true }), fc.constant(1 / 3)),
    seed: fc.integer(),
    cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 }),
  })
  .map((c) => {
    const Slots = c.f64 ? Float64Array : Float32Array;
    const slots = new Slots(c.slotCount * c.slotLength);
    // Values spanning many magnitudes, so that a different summation order would round differently.
    let x = c.seed | 0 || 1;
    for (let i = 0; i < slots.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      slots[i] = (x / 2 ** 31) * 10 ** (((x >>> 3) % 9) - 4);
    }
    return { ...c, slots };
  });

describe('reduceSlots', () => {
  it('gives bitwise the in-order sequential sum for any partition of the range (property)', () => {
    fc.assert(
      fc.property(caseArb, ({ slots, slotCount, slotLength, scale, cuts, outF64 }) => {
        const Out = outF64 ? Float64Array : Float32Array;
        const expected = new Out(slotLength);
        referenceReduce(slots, slotCount, slotLength, expected, scale);

        const whole = new Out(slotLength);
        reduceSlots(slots, slotCount, slotLength, whole, 0, slotLength, scale);
        expect(firstBitDifference(whole, expected)).toBe(-1);

        // Arbitrary cut points, reduced in a scrambled range order.
        const points = [0, ...cuts.map((c) => Math.floor(c * slotLength)).sort((a, b) => a - b), slotLength];
        const pieces = new Out(slotLength).fill(Number.NaN);
        for (let k = points.length - 2; k >= 0; k--) {
          reduceSlots(slots, slotCount, slotLength, pieces, points[k], points[k + 1], scale);
        }
        expect(firstBitDifference(pieces, expected)).toBe(-1);

        // partitionRange for several thread counts and alignments.
        for (const parts of [1, 2, 3, 7, 16]) {
          for (const align of [1, 4, 16]) {
            const out = new Out(slotLength).fill(Number.NaN);
            for (let t = 0; t < parts; t++) {
              const { from, to } = partitionRange(slotLength, parts, t, align);
              reduceSlots(slots, slotCount, slotLength, out, from, to, scale);
            }
            expect(firstBitDifference(out, expected)).toBe(-1);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('rounds every float32 partial sum to float32, in slot order', () => {
    // 2^24 + 1 is not a float32: ((2^24 + 1) + 1) rounds twice, (2^24 + (1 + 1)) would not.
    const slots = new Float32Array([2 ** 24, 1, 1]);
    const out = new Float64Array(1);
    reduceSlots(slots, 3, 1, out, 0, 1);
    expect(out[0]).toBe(2 ** 24);
    const wide = new Float64Array([2 ** 24, 1, 1]);
    reduceSlots(wide, 3, 1, out, 0, 1);
    expect(out[0]).toBe(2 ** 24 + 2);
  });

  it('applies scale after the sum and writes only [from, to)', () => {
    const slots = new Float32Array([1, 2, 3, 4, 10, 20, 30, 40]);
    const out = new Float32Array(4).fill(-1);
    reduceSlots(slots, 2, 4, out, 1, 3, 0.5);
    expect(Array.from(out)).toEqual([-1, 11, 16.5, -1]);
  });

  it('may reduce in place into slot 0', () => {
    const slots = new Float64Array([1, 2, 3, 10, 20, 30]);
    reduceSlots(slots, 2, 3, slots.subarray(0, 3), 0, 3);
    expect(Array.from(slots.subarray(0, 3))).toEqual([11, 22, 33]);
  });

  it('rejects out-of-bounds arguments with clear messages', () => {
    const slots = new Float32Array(8);
    const out = new Float32Array(4);
    expect(() => reduceSlots(slots, 3, 4, out, 0, 4)).toThrow(
      'reduceSlots: 3 slots of 4 need 12 elements, slots has 8',
    );
    expect(() => reduceSlots(slots, 2, 4, out, 3, 2)).toThrow(/need 0 <= from <= to <= slotLength \(4\)/);
    expect(() => reduceSlots(slots, 2, 4, new Float32Array(2), 0, 4)).toThrow(/out has 2 elements/);
    expect(() => reduceSlots(slots, 0, 4, out, 0, 4)).toThrow(/slotCount must be a positive integer/);
    expect(() => reduceSlots(new Int32Array(8) as never, 2, 4, out, 0, 4)).toThrow(/slots must be a Float32Array/);
  });
});

/**
 * The slot tree's specification, element by element: a node of one slot is that slot; a node of n > 1 slots is
 * its first p slots plus the rest, p the largest power of two below n, each addition rounded to the slots' type.
 */
function referenceTree(slots: FloatArray, slotLength: number, lo: number, hi: number, i: number): number {
  if (hi - lo === 1) return slots[lo * slotLength + i];
  let p = 1;
  while (p * 2 < hi - lo) p *= 2;
  const sum = referenceTree(slots, slotLength, lo, lo + p, i) + referenceTree(slots, slotLength, lo + p, hi, i);
  return slots instanceof Float32Array ? Math.fround(sum) : sum;
}

function referenceTreeReduce(slots: FloatArray, slotCount: number, slotLength: number, out: FloatArray, scale: number) {
  for (let i = 0; i < slotLength; i++) out[i] = referenceTree(slots, slotLength, 0, slotCount, i) * scale;
}

const treeCaseArb = fc
  .tuple(caseArb, fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 3 * SLOT_TREE_CHUNK + 7 }))
  .map(([c, slotCount, slotLength]) => {
    // More slots and longer slots than the sequential cases: several chunks, and trees several levels deep.
    const Slots = c.f64 ? Float64Array : Float32Array;
    const slots = new Slots(slotCount * slotLength);
    for (let i = 0; i < slots.length; i++) slots[i] = c.slots[i % Math.max(1, c.slots.length)] * (1 + (i % 7));
    return { ...c, slotCount, slotLength, slots };
  });

describe('reduceSlotTree and presumSlotRun', () => {
  it('split after the largest power of two below the size', () => {
    expect([2, 3, 4, 5, 6, 8, 9, 16, 17].map((n) => slotTreeSplit(0, n))).toEqual([1, 2, 2, 4, 4, 4, 8, 8, 16]);
    expect(slotTreeSplit(4, 7)).toBe(6);
    expect(slotRun(4, 2, 1)).toEqual({ from: 2, to: 4 });
    expect(slotRun(2, 4, 0)).toEqual({ from: 0, to: 0 });
    expect([1, 2, 3, 4, 5, 16, 17].map((n) => slotTreeScratchLength(n) / SLOT_TREE_CHUNK)).toEqual([
      1, 1, 2, 2, 3, 4, 5,
    ]);
  });

  it('sums in the pairwise order, not slot by slot', () => {
    // In float32 (s0 + s1) + (s2 + s3) is 0 here, and ((s0 + s1) + s2) + s3 is 1.
    const slots = new Float32Array([1e8, 1, -1e8, 1]);
    const out = new Float32Array(1);
    reduceSlotTree(slots, 4, 1, 4, out, 0, 1, 1, new Float32Array(slotTreeScratchLength(4)));
    expect(out[0]).toBe(0);
    reduceSlots(slots, 4, 1, out, 0, 1);
    expect(out[0]).toBe(1);
  });

  it('gives the specification bit for bit, however the slots were pre-summed and the range split (property)', () => {
    fc.assert(
      fc.property(treeCaseArb, fc.integer({ min: 1, max: 45 }), (c, runs) => {
        const { slotCount, slotLength, scale, cuts, outF64 } = c;
        const Out = outF64 ? Float64Array : Float32Array;
        const expected = new Out(slotLength);
        referenceTreeReduce(c.slots, slotCount, slotLength, expected, scale);
        const Slots = c.slots.constructor as new (n: number) => FloatArray;
        const scratch = new Slots(slotTreeScratchLength(slotCount)).fill(Number.NaN);

        const whole = new Out(slotLength);
        reduceSlotTree(c.slots, slotCount, slotLength, slotCount, whole, 0, slotLength, scale, scratch);
        expect(firstBitDifference(whole, expected)).toBe(-1);

        // As the threads of a step: each run pre-sums its slots, then arbitrary ranges are reduced from the partials.
        const slots = c.slots.slice();
        for (let t = runs - 1; t >= 0; t--) {
          const { from, to } = slotRun(slotCount, runs, t);
          presumSlotRun(slots, slotCount, slotLength, from, to, scratch);
        }
        const points = [0, ...cuts.map((x) => Math.floor(x * slotLength)).sort((a, b) => a - b), slotLength];
        const pieces = new Out(slotLength).fill(Number.NaN);
        for (let k = points.length - 2; k >= 0; k--) {
          reduceSlotTree(slots, slotCount, slotLength, runs, pieces, points[k], points[k + 1], scale, scratch);
        }
        expect(firstBitDifference(pieces, expected)).toBe(-1);
      }),
      { numRuns: 200 },
    );
  });

  it('pre-sums only the first slot of each largest node inside the run', () => {
    const L = 3;
    const slots = Float32Array.from({ length: 6 * L }, (_, i) => i + 1);
    const before = slots.slice();
    // Slots [1, 5) of 6: the tree's nodes inside are [2, 4) and the single slots 1 and 4.
    presumSlotRun(slots, 6, L, 1, 5, new Float32Array(slotTreeScratchLength(6)));
    for (let s = 0; s < 6; s++) {
      for (let i = 0; i < L; i++) {
        const want = s === 2 ? before[2 * L + i] + before[3 * L + i] : before[s * L + i];
        expect(slots[s * L + i]).toBe(want);
      }
    }
  });

  it('rejects out-of-bounds arguments with clear messages', () => {
    const s = new Float32Array(8);
    const scratch = new Float32Array(slotTreeScratchLength(2));
    expect(() => reduceSlotTree(s, 3, 4, 3, s, 0, 4, 1, scratch)).toThrow(/need 12 elements/);
    expect(() => reduceSlotTree(s, 2, 4, 0, s, 0, 4, 1, scratch)).toThrow(/runs must be a positive integer/);
    expect(() => reduceSlotTree(s, 2, 4, 2, s, 3, 2, 1, scratch)).toThrow(/from <= to/);
    expect(() => reduceSlotTree(s, 2, 4, 2, new Float32Array(3), 0, 4, 1, scratch)).toThrow(/out has 3/);
    expect(() => reduceSlotTree(s, 2, 4, 2, s, 0, 4, 1, new Float64Array(scratch.length))).toThrow(/scratch must be/);
    expect(() => reduceSlotTree(s, 2, 4, 2, s, 0, 4, 1, new Float32Array(1))).toThrow(/scratch must be/);
    expect(() => presumSlotRun(s, 2, 4, 1, 3, scratch)).toThrow(/first <= last <= slotCount/);
  });
});

describe('partitionRange', () => {
  it('covers [0, length) exactly with contiguous, ordered, aligned ranges (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 32 }),
        (length, parts, align) => {
          let expectedFrom = 0;
          const sizes: number[] = [];
          for (let t = 0; t < parts; t++) {
            const { from, to } = partitionRange(length, parts, t, align);
            expect(from).toBe(expectedFrom);
            expect(to).toBeGreaterThanOrEqual(from);
            if (to < length) expect(to % align).toBe(0);
            sizes.push(Math.ceil((to - from) / align));
            expectedFrom = to;
          }
          expect(expectedFrom).toBe(length);
          // Balanced: unit counts differ by at most one.
          expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        },
      ),
    );
  });

  it('gives the first ranges the remainder', () => {
    expect([0, 1, 2].map((i) => partitionRange(10, 3, i))).toEqual([
      { from: 0, to: 4 },
      { from: 4, to: 7 },
      { from: 7, to: 10 },
    ]);
    expect([0, 1, 2].map((i) => partitionRange(40, 3, i, 16))).toEqual([
      { from: 0, to: 16 },
      { from: 16, to: 32 },
      { from: 32, to: 40 },
    ]);
    expect(partitionRange(3, 5, 4)).toEqual({ from: 3, to: 3 });
  });

  it('validates its arguments', () => {
    expect(() => partitionRange(-1, 2, 0)).toThrow('partitionRange: length must be a non-negative integer, got -1');
    expect(() => partitionRange(10, 0, 0)).toThrow(/parts must be a positive integer/);
    expect(() => partitionRange(10, 2, 2)).toThrow('partitionRange: index must be an integer in [0, 1], got 2');
    expect(() => partitionRange(10, 2, 0, 0)).toThrow(/align must be a positive integer/);
  });
});
