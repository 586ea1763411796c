// The WebAssembly row gather against the TypeScript one (src/data/gather.ts): the same bits in the same places for
// any shape, range and order, nothing written outside the rows asked for, and the same errors in the same words.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { sameBits } from '../../../test-utils/bits.js';
import { gatherRows } from '../src/data/gather.js';
import { gathersInWasm, uncheckedKernels, wasmKernels, withTypeScriptGather } from '../src/kernels/kernels.js';
import { loadWasmKernels, type WasmKernels, wasmKernelsSupported } from '../src/kernels/wasm/backend.js';
import { Rng } from '../src/random.js';

let K: WasmKernels;
beforeAll(() => {
  const k = loadWasmKernels();
  if (k === null) throw new Error('WebAssembly SIMD with shared memory is unavailable in this Node');
  K = k;
});

/** Rows of values that a copy through float64 could still change the bits of: -0, infinities, denormals. */
function source(rows: number, cols: number, rng: Rng): Float32Array {
  const src = K.alloc(Float32Array, rows * cols);
  const special = [-0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e-45, -3e-39, 3.4e38];
  for (let i = 0; i < src.length; i++) {
    src[i] = i % 7 === 3 ? special[i % special.length] : rng.uniform(-10, 10);
  }
  return src;
}

describe.skipIf(!wasmKernelsSupported())('wasm gatherRows against the TypeScript gather', () => {
  it('copies the same bits to the same places for any shape, range, order and destination row (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 45 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 50 }),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 0, max: 3 }),
        fc.integer(),
        (rows, cols, picks, a, b, outRow, seed) => {
          const src = source(rows, cols, new Rng(seed));
          const order = K.alloc(Int32Array, picks.length);
          picks.forEach((p, i) => {
            order[i] = p % rows;
          });
          const start = a % (order.length + 1);
          const end = start + (b % (order.length - start + 1));
          // One guard row around the destination rows: a copy past them shows as a changed guard.
          const length = (outRow + end - start + 1) * cols;
          const wasmOut = K.alloc(Float32Array, length).fill(99);
          const tsOut = new Float32Array(length).fill(99);
          gatherRows(src, cols, order, start, end, tsOut, outRow);
          for (const k of [wasmKernels(K), uncheckedKernels(wasmKernels(K))]) {
            wasmOut.fill(99);
            expect(k.gatherRows(src, cols, order, start, end, wasmOut, outRow)).toBe(wasmOut);
            expect(sameBits(wasmOut, tsOut)).toBe(true);
          }
        },
      ),
    );
  });

  it('rows of 1 to 70 floats: every length of whole vectors and a tail', () => {
    const rng = new Rng(5);
    for (let cols = 1; cols <= 70; cols++) {
      const src = source(9, cols, rng);
      const order = K.alloc(Int32Array, 12);
      order.set([8, 0, 3, 3, 7, 1, 2, 8, 4, 6, 5, 0]);
      const wasmOut = K.alloc(Float32Array, 13 * cols).fill(99);
      const tsOut = new Float32Array(13 * cols).fill(99);
      wasmKernels(K).gatherRows(src, cols, order, 0, 12, wasmOut);
      gatherRows(src, cols, order, 0, 12, tsOut);
      expect(sameBits(wasmOut, tsOut)).toBe(true);
    }
  });

  it('refuses an index that is not a row in the TypeScript words, having copied the rows before it', () => {
    const src = source(4, 3, new Rng(1));
    const order = K.alloc(Int32Array, 3);
    for (const bad of [4, -1, 2 ** 31 - 1]) {
      order.set([1, 2, bad]);
      const out = K.alloc(Float32Array, 9).fill(99);
      const ts = new Float32Array(9);
      expect(() => gatherRows(src, 3, order, 0, 3, ts)).toThrow(`indices[2] = ${bad} is not a row index in [0, 4)`);
      for (const k of [wasmKernels(K), uncheckedKernels(wasmKernels(K))]) {
        expect(() => k.gatherRows(src, 3, order, 0, 3, out)).toThrow(
          new RangeError(`indices[2] = ${bad} is not a row index in [0, 4)`),
        );
        expect([...out.subarray(0, 6)]).toEqual([...src.subarray(3, 9)]);
        expect([...out.subarray(6)]).toEqual([99, 99, 99]);
      }
    }
  });

  it('the checked kernels refuse a bad range, a short destination and arrays outside the memory', () => {
    const src = source(4, 3, new Rng(2));
    const order = K.alloc(Int32Array, 4);
    const out = K.alloc(Float32Array, 12);
    expect(() => K.gatherRows(src, 3, order, 2, 5, out)).toThrow('gather range [2, 5) must lie within [0, 4]');
    expect(() => K.gatherRows(src, 3, order, 0, 4, out, 1)).toThrow(
      'out has 12 values, too few for 4 rows of 3 starting at row 1',
    );
    expect(() => K.gatherRows(src, 0, order, 0, 4, out)).toThrow(RangeError);
    expect(() => K.gatherRows(Float32Array.from(src), 3, order, 0, 4, out)).toThrow(/not a view of this WebAssembly/);
    expect(() => K.gatherRows(src, 3, order, 0, 4, new Float32Array(12))).toThrow(/not a view of this WebAssembly/);
    expect(() => K.gatherRows(src, 3, new Int32Array(4), 0, 4, out)).toThrow(
      'gatherRows: order must be an Int32Array view of this WebAssembly memory',
    );
  });

  it('kernels for data outside the memory gather with the TypeScript loop: the same bits and errors', () => {
    const src = source(5, 7, new Rng(3));
    const inside = K.alloc(Int32Array, 6);
    inside.set([4, 0, 2, 2, 3, 1]);
    const want = K.alloc(Float32Array, 42);
    wasmKernels(K).gatherRows(src, 7, inside, 0, 6, want);
    // The step's kernels gather in WebAssembly and trust their arrays; the checked ones refuse arrays elsewhere.
    const direct = uncheckedKernels(wasmKernels(K));
    expect(gathersInWasm(direct)).toBe(true);
    expect(() => wasmKernels(K).gatherRows(Float32Array.from(src), 7, inside, 0, 6, want)).toThrow(TypeError);
    const k = withTypeScriptGather(direct);
    expect(gathersInWasm(k)).toBe(false);
    expect(withTypeScriptGather(direct)).toBe(k);
    expect(k.gemmBias).toBe(direct.gemmBias);
    for (const [s, o, out] of [
      [Float32Array.from(src), inside, K.alloc(Float32Array, 42)],
      [src, Int32Array.from(inside), new Float32Array(42)],
      [Float64Array.from(src), Array.from(inside), new Float64Array(42)],
    ] as const) {
      expect(k.gatherRows(s, 7, o, 0, 6, out)).toBe(out);
      expect(sameBits(Float32Array.from(out), want)).toBe(true);
    }
    expect(() => k.gatherRows(Float32Array.from(src), 7, [0, 5], 0, 2, new Float32Array(14))).toThrow(
      'indices[1] = 5 is not a row index in [0, 5)',
    );
  });
});
