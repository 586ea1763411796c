// The WebAssembly SIMD kernels against the TypeScript reference kernels, the allocator over the shared memory, and
// two worker threads running the same module over one memory. The worker part needs the compiled backend in
// dist/ (the test task builds first).
//
// Tolerance of the gemm kernels. Both backends accumulate in float32, in different orders, so they agree only up
// to rounding. For an output element whose exact value is a sum of terms t_0..t_k (the bias and k products), the
// float32 result of any summation order is within (k + 2) u sum|t_i| of the exact value, u = 2^-24 (the classic
// bound gamma_{k+2}, one rounding per product and per addition). So:
//   |wasm - exact| <= (k + 2) u sum|t_i|          (checked against a float64 sum)
//   |wasm - ts|    <= 2 (k + 2) u sum|t_i|        (checked against the TypeScript kernel on the same float32 data)
// per element. The "error summary" test prints the largest error seen as a fraction of the bound.
//
// Tolerance of the activations: forward values within 1e-6 relative (+1e-37 absolute, for results that underflow
// to denormals) of the TypeScript kernel, whose float64 Math.exp/Math.tanh/Math.expm1 results are rounded once to
// float32; backward passes and relu/leakyRelu/linear forward are bit-for-bit identical. The slot tree (reduceSlotTree,
// presumSlotRun) is bit-for-bit identical to @shardprop/worker-pool's for every partition of the range and of the slots.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  presumSlotRun as presumSlotRunTs,
  reduceSlotTree as reduceSlotTreeTs,
  slotRun,
  slotTreeScratchLength,
} from '@shardprop/worker-pool';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { sameBits } from '../../../test-utils/bits.js';
import { activationBackward, activationForward } from '../src/kernels/activations.js';
import { gemmBias, gemmNt, gemmTnBias } from '../src/kernels/gemm.js';
import {
  compileWasmKernels,
  createWasmMemory,
  loadWasmKernels,
  WASM_PAGE_BYTES,
  type WasmKernels,
  wasmKernelsSupported,
} from '../src/kernels/wasm/backend.js';
import { ACTIVATIONS, type ActivationName } from '../src/model/activation-names.js';
import { knownBuffer } from '../src/parallel/worker.js';
import { Rng } from '../src/random.js';

const U = 2 ** -24;
const AWKWARD = [1, 3, 39, 257];

let K: WasmKernels;
beforeAll(() => {
  const k = loadWasmKernels();
  if (k === null) throw new Error('WebAssembly SIMD with shared memory is unavailable in this Node');
  K = k;
});

/** A Float32Array of `n` values uniform in [-1, 1) inside the wasm memory, `pad` guard values (99) around it. */
function wasmRandom(n: number, rng: Rng, pad = 0, scale = 1): Float32Array {
  const v = K.alloc(Float32Array, n + 2 * pad);
  v.fill(99);
  for (let i = 0; i < n; i++) v[pad + i] = rng.uniform(-1, 1) * scale;
  return v;
}

const worst = { gemmBias: 0, gemmTnBias: 0, gemmNt: 0 };

/**
 * Checks one gemm output against the TypeScript kernel's output and a float64 sum, element by element.
 * `terms(i, j, acc)` calls acc(x) for each exact term of element (i, j) (bias and products).
 */
function checkAgainst(
  name: keyof typeof worst,
  wasm: Float32Array,
  wOff: number,
  ts: Float32Array,
  rows: number,
  cols: number,
  depth: number,
  terms: (i: number, j: number, acc: (x: number) => void) => void,
): void {
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      let exact = 0;
      let mag = 0;
      terms(i, j, (x) => {
        exact += x;
        mag += Math.abs(x);
      });
      const bound = (depth + 2) * U * mag;
      const w = wasm[wOff + i * cols + j];
      const t = ts[i * cols + j];
      const e = Math.abs(w - exact);
      if (!(e <= bound) || !(Math.abs(w - t) <= 2 * bound)) {
        throw new Error(`${name} (${i}, ${j}) of ${rows}x${cols}, depth ${depth}: wasm ${w} ts ${t} exact ${exact}`);
      }
      if (mag > 0) worst[name] = Math.max(worst[name], e / (depth + 2) / U / mag);
    }
  }
}

function expectGuards(v: Float32Array, pad: number, n: number): void {
  for (let i = 0; i < pad; i++) {
    expect(v[i]).toBe(99);
    expect(v[pad + n + i]).toBe(99);
  }
}

function runGemmBias(m: number, k: number, n: number, rng: Rng, pad: number): void {
  const a = wasmRandom(m * k, rng, pad);
  const b = wasmRandom(k * n, rng, pad);
  const bias = wasmRandom(n, rng, pad);
  const out = wasmRandom(m * n, rng, pad, 0).fill(99);
  K.gemmBias(out, pad, a, pad, b, pad, bias, pad, m, k, n);
  const ts = new Float32Array(m * n);
  gemmBias(ts, 0, a, pad, b, pad, bias, pad, m, k, n);
  expectGuards(out, pad, m * n);
  checkAgainst('gemmBias', out, pad, ts, m, n, k, (i, j, acc) => {
    acc(bias[pad + j]);
    for (let p = 0; p < k; p++) acc(a[pad + i * k + p] * b[pad + p * n + j]);
  });
}

function runGemmTnBias(m: number, k: number, n: number, rng: Rng, pad: number): void {
  const a = wasmRandom(m * k, rng, pad);
  const d = wasmRandom(m * n, rng, pad);
  const out = wasmRandom(k * n, rng, pad, 0).fill(99);
  const biasOut = wasmRandom(n, rng, pad, 0).fill(99);
  for (let i = 0; i < k * n; i++) out[pad + i] = 7; // overwritten, not accumulated into
  for (let i = 0; i < n; i++) biasOut[pad + i] = 7;
  K.gemmTnBias(out, pad, biasOut, pad, a, pad, d, pad, m, k, n);
  const ts = new Float32Array(k * n);
  const tsBias = new Float32Array(n);
  gemmTnBias(ts, 0, tsBias, 0, a, pad, d, pad, m, k, n);
  expectGuards(out, pad, k * n);
  expectGuards(biasOut, pad, n);
  checkAgainst('gemmTnBias', out, pad, ts, k, n, m, (p, j, acc) => {
    for (let r = 0; r < m; r++) acc(a[pad + r * k + p] * d[pad + r * n + j]);
  });
  checkAgainst('gemmTnBias', biasOut, pad, tsBias, 1, n, m, (_, j, acc) => {
    for (let r = 0; r < m; r++) acc(d[pad + r * n + j]);
  });
}

function runGemmNt(m: number, k: number, n: number, rng: Rng, pad: number): void {
  const d = wasmRandom(m * n, rng, pad);
  const b = wasmRandom(k * n, rng, pad);
  const out = wasmRandom(m * k, rng, pad, 0).fill(99);
  K.gemmNt(out, pad, d, pad, b, pad, m, k, n);
  const ts = new Float32Array(m * k);
  gemmNt(ts, 0, d, pad, b, pad, m, k, n);
  expectGuards(out, pad, m * k);
  checkAgainst('gemmNt', out, pad, ts, m, k, n, (r, p, acc) => {
    for (let j = 0; j < n; j++) acc(d[pad + r * n + j] * b[pad + p * n + j]);
  });
}

const RUNNERS = { gemmBias: runGemmBias, gemmTnBias: runGemmTnBias, gemmNt: runGemmNt };

describe('wasm gemm kernels against the TypeScript reference', () => {
  for (const [name, run] of Object.entries(RUNNERS)) {
    it(`${name}: every combination of m, k, n in {1, 3, 39, 257}`, () => {
      const rng = new Rng(11);
      const mark = K.mark();
      for (const m of AWKWARD) {
        for (const k of AWKWARD) {
          for (const n of AWKWARD) {
            run(m, k, n, rng, 0);
            K.release(mark);
          }
        }
      }
    });

    it(`${name}: sizes 1..70 at unaligned offsets (property)`, () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 70 }),
          fc.integer({ min: 1, max: 70 }),
          fc.integer({ min: 1, max: 70 }),
          fc.integer({ min: 0, max: 7 }),
          fc.integer(),
          (m, k, n, pad, seed) => {
            const mark = K.mark();
            run(m, k, n, new Rng(seed), pad);
            K.release(mark);
          },
        ),
        { numRuns: 150 },
      );
    });
  }

  it('every size from 1 to 20 in each dimension, with the other two at 9', () => {
    const rng = new Rng(5);
    const mark = K.mark();
    for (let s = 1; s <= 20; s++) {
      for (const run of Object.values(RUNNERS)) {
        run(s, 9, 9, rng, 1);
        run(9, s, 9, rng, 1);
        run(9, 9, s, rng, 1);
        K.release(mark);
      }
    }
  });

  it('the larger benchmark shapes (256 x 784 x 256 and 512^3 sampled)', () => {
    const rng = new Rng(9);
    const mark = K.mark();
    runGemmBias(256, 784, 256, rng, 0);
    runGemmTnBias(64, 784, 256, rng, 0);
    runGemmNt(64, 784, 256, rng, 0);
    runGemmBias(520, 300, 513, rng, 3);
    K.release(mark);
  });

  it('zero sizes: k = 0 gives the bias (gemmBias) or zeros (gemmTnBias, gemmNt); m = 0 zeroes gemmTnBias', () => {
    const rng = new Rng(1);
    const bias = wasmRandom(5, rng);
    const out = K.alloc(Float32Array, 15).fill(3);
    K.gemmBias(out, 0, out, 0, out, 0, bias, 0, 3, 0, 5);
    for (let i = 0; i < 15; i++) expect(out[i]).toBe(bias[i % 5]);
    const tn = K.alloc(Float32Array, 20).fill(3);
    const tb = K.alloc(Float32Array, 5).fill(3);
    K.gemmTnBias(tn, 0, tb, 0, tn, 0, tn, 0, 0, 4, 5);
    expect([...tn, ...tb].every((x) => x === 0)).toBe(true);
    const nt = K.alloc(Float32Array, 6).fill(3);
    K.gemmNt(nt, 0, nt, 0, nt, 0, 2, 3, 0);
    expect([...nt].every((x) => x === 0)).toBe(true);
  });

  it('never reads or writes past an operand: each operand in turn flush against the end of the memory', () => {
    // A one-page memory that cannot grow: any access past its end traps. Partial vectors at the right edge of
    // a matrix must then be loaded lane by lane in the last rows.
    const k1 = loadWasmKernels(new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }));
    if (k1 === null) throw new Error('unsupported');
    const end = WASM_PAGE_BYTES;
    const rng = new Rng(3);
    const place = (lens: number[], edge: number) => {
      // Operand `edge` ends exactly at the end of the memory; the others are packed from byte 64.
      let at = 64;
      return lens.map((len, i) => {
        const v =
          i === edge
            ? k1.view(Float32Array, end - 4 * len, len)
            : k1.view(Float32Array, (at += 4 * len) - 4 * len, len);
        for (let j = 0; j < len; j++) v[j] = rng.uniform(-1, 1);
        return v;
      });
    };
    const close = (w: Float32Array, t: Float32Array) =>
      w.every((x, i) => Math.abs(x - t[i]) <= 1e-5 * (1 + Math.abs(t[i])));
    for (const [m, k, n] of [
      [3, 5, 3],
      [5, 7, 2],
      [9, 13, 1],
      [4, 3, 39],
      [7, 39, 5],
      [1, 1, 1],
      [2, 1, 6],
    ]) {
      for (let edge = 0; edge < 4; edge++) {
        const [out, a, b, bias] = place([m * n, m * k, k * n, n], edge);
        k1.gemmBias(out, 0, a, 0, b, 0, bias, 0, m, k, n);
        const ts = new Float32Array(m * n);
        gemmBias(ts, 0, a, 0, b, 0, bias, 0, m, k, n);
        expect(close(out, ts), `gemmBias ${m}x${k}x${n} edge ${edge}`).toBe(true);
      }
      for (let edge = 0; edge < 4; edge++) {
        const [out, biasOut, a, d] = place([k * n, n, m * k, m * n], edge);
        k1.gemmTnBias(out, 0, biasOut, 0, a, 0, d, 0, m, k, n);
        const ts = new Float32Array(k * n);
        const tb = new Float32Array(n);
        gemmTnBias(ts, 0, tb, 0, a, 0, d, 0, m, k, n);
        expect(close(out, ts) && close(biasOut, tb), `gemmTnBias ${m}x${k}x${n} edge ${edge}`).toBe(true);
      }
      for (let edge = 0; edge < 3; edge++) {
        const [out, d, b] = place([m * k, m * n, k * n], edge);
        k1.gemmNt(out, 0, d, 0, b, 0, m, k, n);
        const ts = new Float32Array(m * k);
        gemmNt(ts, 0, d, 0, b, 0, m, k, n);
        expect(close(out, ts), `gemmNt ${m}x${k}x${n} edge ${edge}`).toBe(true);
      }
      for (const act of ACTIVATIONS) {
        const [z, g] = place([m * n, m * n], 0);
        k1.activationForward(act, z, 0, m, n);
        k1.activationBackward(act, g, 0, z, 0, m, n);
      }
      const [slots, out, scratch] = place([3 * n, n, slotTreeScratchLength(3)], 0);
      k1.presumSlotRun(slots, 3, n, 0, 2, scratch);
      k1.reduceSlotTree(slots, 3, n, 2, out, 0, n, 0.5, scratch);
    }
  });

  it('error summary (worst error as a fraction of the stated bound)', () => {
    // Informational: how much headroom the tolerance leaves. Each value must be below 1 by construction.
    for (const v of Object.values(worst)) expect(v).toBeLessThan(1);
    console.log(
      `wasm gemm worst |error| / ((k+2) u sum|terms|): ${Object.entries(worst)
        .map(([k, v]) => `${k} ${v.toExponential(2)}`)
        .join(', ')}`,
    );
  });
});

describe('wasm kernels are deterministic and independent of how rows are split', () => {
  it('gemmBias and gemmNt over any split of the rows give the same bits as one call', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 45 }),
        fc.integer({ min: 1, max: 45 }),
        fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 4 }),
        fc.integer(),
        (m, k, n, cuts, seed) => {
          const mark = K.mark();
          const rng = new Rng(seed);
          const a = wasmRandom(m * k, rng);
          const b = wasmRandom(k * n, rng);
          const bias = wasmRandom(n, rng);
          const d = wasmRandom(m * n, rng);
          const whole = K.alloc(Float32Array, m * n);
          const parts = K.alloc(Float32Array, m * n);
          const ntWhole = K.alloc(Float32Array, m * k);
          const ntParts = K.alloc(Float32Array, m * k);
          K.gemmBias(whole, 0, a, 0, b, 0, bias, 0, m, k, n);
          K.gemmNt(ntWhole, 0, d, 0, b, 0, m, k, n);
          const bounds = [...new Set([0, m, ...cuts.filter((c) => c < m)])].sort((x, y) => x - y);
          for (let s = 0; s + 1 < bounds.length; s++) {
            const r0 = bounds[s];
            const rows = bounds[s + 1] - r0;
            K.gemmBias(parts, r0 * n, a, r0 * k, b, 0, bias, 0, rows, k, n);
            K.gemmNt(ntParts, r0 * k, d, r0 * n, b, 0, rows, k, n);
          }
          const again = K.alloc(Float32Array, m * n);
          K.gemmBias(again, 0, a, 0, b, 0, bias, 0, m, k, n);
          expect(sameBits(parts, whole)).toBe(true);
          expect(sameBits(again, whole)).toBe(true);
          expect(sameBits(ntParts, ntWhole)).toBe(true);
          K.release(mark);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('gemmTnBias accumulates rows in order: a sum over rows [0, m) continues bit for bit from [0, r)', () => {
    // Rows are added one at a time in order, so the result equals the float32 sequential sum of the products.
    const rng = new Rng(4);
    for (const [m, k, n] of [
      [37, 9, 11],
      [300, 5, 21],
      [5, 17, 1],
    ]) {
      const mark = K.mark();
      const a = wasmRandom(m * k, rng);
      const d = wasmRandom(m * n, rng);
      const out = K.alloc(Float32Array, k * n);
      const biasOut = K.alloc(Float32Array, n);
      K.gemmTnBias(out, 0, biasOut, 0, a, 0, d, 0, m, k, n);
      for (let p = 0; p < k; p++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let r = 0; r < m; r++) s = Math.fround(s + Math.fround(a[r * k + p] * d[r * n + j]));
          expect(out[p * n + j]).toBe(s);
        }
      }
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let r = 0; r < m; r++) s = Math.fround(s + d[r * n + j]);
        expect(biasOut[j]).toBe(s);
      }
      K.release(mark);
    }
  });
});

describe('wasm activations against the TypeScript reference', () => {
  /** Values spread over the interesting ranges: tiny, moderate, large and saturating, both signs, and zeros. */
  function activationInputs(rng: Rng, count: number): Float32Array {
    const z = K.alloc(Float32Array, count);
    const special = [0, -0, 1e-8, -1e-8, 1e-4, -1e-4, 0.5, -0.5, 0.55, -0.55, 0.625, -0.625, 20, -20, 88, -88, 89, -89];
    special.push(-87.5, -90, -100, -104, -110, 100, 800, -800);
    for (let i = 0; i < count; i++) {
      if (i < special.length) z[i] = special[i];
      else {
        const r = rng.next();
        z[i] = r < 0.5 ? rng.uniform(-3, 3) : r < 0.8 ? rng.uniform(-20, 20) : rng.uniform(-1e-3, 1e-3);
      }
    }
    return z;
  }

  const relErr = { sigmoid: 0, tanh: 0, elu: 0, softmax: 0 } as Record<string, number>;

  for (const act of ACTIVATIONS) {
    it(`${act}: forward within 1e-6 relative, backward bit for bit (sizes 1..9 x 1..9 and 37 x 41)`, () => {
      const rng = new Rng(ACTIVATIONS.indexOf(act) + 1);
      const shapes: Array<[number, number]> = [[37, 41]];
      for (let r = 1; r <= 9; r++) for (let c = 1; c <= 9; c++) shapes.push([r, c]);
      for (const [rows, cols] of shapes) {
        const mark = K.mark();
        const n = rows * cols;
        const z = activationInputs(rng, n);
        const ts = Float32Array.from(z);
        K.activationForward(act, z, 0, rows, cols);
        activationForward(act, ts, 0, rows, cols);
        const exact = act === 'relu' || act === 'leakyRelu' || act === 'linear';
        for (let i = 0; i < n; i++) {
          const w = z[i];
          const t = ts[i];
          if (exact) expect(Object.is(w, t), `${act}[${i}]: ${w} vs ${t}`).toBe(true);
          else {
            const e = Math.abs(w - t);
            if (!(e <= 1e-6 * Math.abs(t) + 1e-37)) throw new Error(`${act}(${i}) ${rows}x${cols}: wasm ${w} ts ${t}`);
            if (Math.abs(t) > 1e-30) relErr[act] = Math.max(relErr[act] ?? 0, e / Math.abs(t));
          }
        }
        // Backward from the same (TypeScript) outputs: bit for bit.
        const g = wasmRandom(n, rng);
        const a = K.alloc(Float32Array, n);
        a.set(ts);
        const gTs = Float32Array.from(g);
        K.activationBackward(act, g, 0, a, 0, rows, cols);
        activationBackward(act, gTs, 0, a, 0, rows, cols);
        expect(sameBits(g, gTs), `${act} backward ${rows}x${cols}`).toBe(true);
        K.release(mark);
      }
    });
  }

  it('activations at offsets and over any split of the rows give the same bits as one call', () => {
    const rng = new Rng(8);
    for (const act of ACTIVATIONS) {
      const mark = K.mark();
      const rows = 13;
      const cols = 7;
      const n = rows * cols;
      const base = activationInputs(rng, n);
      const whole = K.alloc(Float32Array, n);
      whole.set(base);
      K.activationForward(act, whole, 0, rows, cols);
      const split = K.alloc(Float32Array, n + 3);
      split.set(base, 3);
      for (const [r0, r1] of [
        [0, 1],
        [1, 6],
        [6, 13],
      ]) {
        K.activationForward(act, split, 3 + r0 * cols, r1 - r0, cols);
      }
      expect(sameBits(split.subarray(3), whole)).toBe(true);
      const g = wasmRandom(n, rng);
      const gSplit = K.alloc(Float32Array, n);
      gSplit.set(g);
      K.activationBackward(act, g, 0, whole, 0, rows, cols);
      for (const [r0, r1] of [
        [0, 5],
        [5, 13],
      ]) {
        K.activationBackward(act, gSplit, r0 * cols, whole, r0 * cols, r1 - r0, cols);
      }
      expect(sameBits(gSplit, g)).toBe(true);
      K.release(mark);
    }
  });

  it('sigmoid saturates to exactly 0 and 1, softmax is stable for huge logits, NaN propagates', () => {
    const z = K.alloc(Float32Array, 8);
    z.set([-800, 800, Number.NaN, 0]);
    K.activationForward('sigmoid', z, 0, 1, 4);
    expect([z[0], z[1], z[3]]).toEqual([0, 1, 0.5]);
    expect(Number.isNaN(z[2])).toBe(true);
    z.set([1000, 1001, 1002, -5, 0, 5, 0, 0]);
    K.activationForward('softmax', z, 0, 2, 3);
    expect(z[0] + z[1] + z[2]).toBeCloseTo(1, 6);
    expect(z[2]).toBeCloseTo(Math.exp(2) / (1 + Math.exp(1) + Math.exp(2)), 6);
    for (const act of ['tanh', 'elu'] as ActivationName[]) {
      z.set([Number.NaN, 50, -50, -0]);
      K.activationForward(act, z, 0, 1, 4);
      expect(Number.isNaN(z[0])).toBe(true);
      expect(z[1]).toBe(act === 'tanh' ? 1 : 50);
      expect(z[2]).toBe(-1);
      expect(Object.is(z[3], -0)).toBe(true);
    }
  });

  it('error summary (largest relative error of the vectorised exp-based activations)', () => {
    console.log(
      `wasm activation worst relative error vs TypeScript: ${Object.entries(relErr)
        .map(([k, v]) => `${k} ${v.toExponential(2)}`)
        .join(', ')}`,
    );
  });
});

describe('wasm slot tree', () => {
  it('is bit for bit the worker-pool reduction, pre-summed by any number of runs, over any partition of [0, length)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 0, max: 700 }),
        fc.integer({ min: 1, max: 24 }),
        fc.array(fc.integer({ min: 0, max: 700 }), { maxLength: 5 }),
        fc.constantFrom(1, 1 / 3, 1 / 32, 0.1, 7),
        fc.integer(),
        (slotCount, length, runs, cuts, scale, seed) => {
          const mark = K.mark();
          const rng = new Rng(seed);
          const slots = K.alloc(Float32Array, slotCount * length);
          for (let i = 0; i < slots.length; i++) slots[i] = rng.uniform(-1, 1) * 10 ** rng.int(6);
          const expected = new Float32Array(length);
          const tsScratch = new Float32Array(slotTreeScratchLength(slotCount));
          reduceSlotTreeTs(slots.slice(), slotCount, length, slotCount, expected, 0, length, scale, tsScratch);
          const scratch = K.alloc(Float32Array, slotTreeScratchLength(slotCount));
          // As the threads of a step: each run pre-summed in place, then the ranges reduced reading the partials.
          const presummed = slots.slice();
          for (let t = 0; t < runs; t++) {
            const { from, to } = slotRun(slotCount, runs, t);
            presumSlotRunTs(presummed, slotCount, length, from, to, tsScratch);
            K.presumSlotRun(slots, slotCount, length, from, to, scratch);
          }
          expect(sameBits(slots, presummed)).toBe(true);
          const out = K.alloc(Float32Array, length);
          const bounds = [...new Set([0, length, ...cuts.filter((c) => c < length)])].sort((x, y) => x - y);
          for (let s = 0; s + 1 < bounds.length; s++)
            K.reduceSlotTree(slots, slotCount, length, runs, out, bounds[s], bounds[s + 1], scale, scratch);
          expect(sameBits(out, expected)).toBe(true);
          // In place into slot 0, in two ranges.
          const half = length >> 1;
          K.reduceSlotTree(slots, slotCount, length, runs, slots, half, length, scale, scratch);
          K.reduceSlotTree(slots, slotCount, length, runs, slots, 0, half, scale, scratch);
          expect(sameBits(slots.subarray(0, length), expected)).toBe(true);
          K.release(mark);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('checks its arguments', () => {
    const s = K.alloc(Float32Array, 8);
    const scratch = K.alloc(Float32Array, slotTreeScratchLength(4));
    expect(() => K.reduceSlotTree(s, 3, 4, 3, s, 0, 4, 1, scratch)).toThrow(RangeError);
    expect(() => K.reduceSlotTree(s, 2, 4, 2, s, 3, 2, 1, scratch)).toThrow(RangeError);
    expect(() => K.reduceSlotTree(s, 0, 4, 1, s, 0, 4, 1, scratch)).toThrow(RangeError);
    expect(() => K.reduceSlotTree(s, 2, 4, 0, s, 0, 4, 1, scratch)).toThrow(RangeError);
    expect(() => K.reduceSlotTree(s, 2, 4, 2, s, 0, 4, 1, K.alloc(Float32Array, 3))).toThrow(RangeError);
    expect(() => K.reduceSlotTree(new Float32Array(8), 2, 4, 2, s, 0, 4, 1, scratch)).toThrow(
      /not a view of this WebAssembly memory/,
    );
    expect(() => K.presumSlotRun(s, 2, 4, 1, 3, scratch)).toThrow(RangeError);
    expect(() => K.presumSlotRun(s, 2, 4, 0, 2, new Float32Array(scratch.length))).toThrow(
      /not a view of this WebAssembly memory/,
    );
  });
});

describe('wasm memory and allocator', () => {
  it('detects support, allocates 64-byte aligned zeroed views and reuses memory after release', () => {
    expect(wasmKernelsSupported()).toBe(true);
    expect(K.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    const mark = K.mark();
    const a = K.alloc(Float32Array, 3);
    const b = K.alloc(Float64Array, 5);
    const c = K.alloc(Int32Array, 1);
    for (const v of [a, b, c]) {
      expect(v.byteOffset % 64).toBe(0);
      expect(K.owns(v)).toBe(true);
    }
    expect(b.byteOffset).toBeGreaterThanOrEqual(a.byteOffset + 12);
    a.fill(5);
    K.release(mark);
    const again = K.alloc(Float32Array, 3);
    expect(again.byteOffset).toBe(a.byteOffset);
    expect([...again]).toEqual([0, 0, 0]);
    expect(K.ptr(again, 1, 2)).toBe(again.byteOffset + 4);
  });

  it("accepts views over the buffer a worker takes from its kernels, whatever growth came between (another thread's)", () => {
    const memory = createWasmMemory({ initialBytes: 1 << 16 });
    const k = loadWasmKernels(memory);
    if (!k) throw new Error('wasm kernels unavailable');
    // Other threads grow the memory while this one sets up: each growth makes memory.buffer a new object.
    memory.grow(1);
    const ownRead = new Float32Array(memory.buffer, 64, 4);
    memory.grow(1);
    const known = new Float32Array(knownBuffer(k), 64, 4);
    memory.grow(1);
    // A view over a buffer object read between two growths is foreign to the kernels, with the same bytes.
    expect(() => k.ptr(ownRead, 0, 4)).toThrow('not a view of this WebAssembly memory');
    expect(k.ptr(known, 0, 4)).toBe(64);
  });

  it('zeroes only memory handed out before: never-used memory is left untouched (its pages not faulted in)', () => {
    const memory = createWasmMemory({ initialBytes: 1 << 20 });
    const k = loadWasmKernels(memory);
    if (!k) throw new Error('wasm kernels unavailable');
    // A byte no allocation has reached: the runtime made it zero; plant a marker the allocator must not clear.
    const raw = new Uint8Array(memory.buffer);
    raw[8192] = 7;
    const mark = k.mark();
    const first = k.alloc(Uint8Array, 4096);
    expect(first.every((v) => v === 0)).toBe(true);
    first.fill(9);
    k.release(mark);
    // Reaches past the first allocation: the reused part comes back zeroed, the never-used part is not written.
    const second = k.alloc(Uint8Array, 16_384);
    expect(second.byteOffset).toBe(first.byteOffset);
    expect(second.subarray(0, 4096).every((v) => v === 0)).toBe(true);
    expect(raw[8192]).toBe(7);
    k.release(mark);
    expect(k.alloc(Uint8Array, 16_384).every((v) => v === 0)).toBe(true);
  });

  it('compiles asynchronously too, and instantiates a given module over a given memory', async () => {
    const module = await compileWasmKernels();
    expect(module).toBeInstanceOf(WebAssembly.Module);
    const k = loadWasmKernels(K.memory, module ?? undefined);
    expect(k?.module).toBe(module);
    // Same memory, same allocator: views of K work with k and the other way round.
    const v = K.alloc(Float32Array, 4);
    v.set([1, -2, 3, -4]);
    k?.activationForward('relu', v, 0, 1, 4);
    expect([...v]).toEqual([1, 0, 3, 0]);
    expect(k?.alloc(Float32Array, 1).byteOffset).toBeGreaterThan(v.byteOffset);
  });

  it('rejects arrays outside the memory, other element types, bad offsets and sizes, with clear errors', () => {
    const v = K.alloc(Float32Array, 16);
    const foreign = new Float32Array(16);
    expect(() => K.gemmBias(foreign, 0, v, 0, v, 0, v, 0, 2, 2, 2)).toThrow(/not a view of this WebAssembly memory/);
    const f64 = K.alloc(Float64Array, 16) as unknown as Float32Array;
    expect(() => K.gemmNt(v, 0, f64, 0, v, 0, 2, 2, 2)).toThrow(/Float32Array/);
    expect(() => K.gemmBias(v, 13, v, 0, v, 0, v, 0, 2, 2, 2)).toThrow(RangeError);
    expect(() => K.gemmBias(v, 0.5, v, 0, v, 0, v, 0, 2, 2, 2)).toThrow(RangeError);
    expect(() => K.gemmTnBias(v, 0, v, 0, v, 0, v, 0, 5, 4, 4)).toThrow(RangeError);
    expect(() => K.gemmBias(v, 0, v, 0, v, 0, v, 0, -1, 2, 2)).toThrow(RangeError);
    expect(() => K.activationForward('swish' as ActivationName, v, 0, 1, 1)).toThrow(/unknown activation/);
    expect(() => K.activationForward('relu', v, 0, 4, 5)).toThrow(RangeError);
    const other = loadWasmKernels();
    expect(other).not.toBeNull();
    expect(() => other?.gemmNt(v, 0, v, 0, v, 0, 1, 1, 1)).toThrow(/not a view of this WebAssembly memory/);
  });

  it('grows on demand: views from before the growth stay valid and usable by the kernels', () => {
    const k = loadWasmKernels(new WebAssembly.Memory({ initial: 1, maximum: 64, shared: true }));
    if (k === null) throw new Error('unsupported');
    const before = k.memory.buffer;
    const small = k.alloc(Float32Array, 4);
    small.set([1, 2, 3, 4]);
    const big = k.alloc(Float32Array, 200_000); // 800 kB: grows the memory from 64 KiB
    expect(k.memory.buffer.byteLength).toBeGreaterThan(800_000);
    expect(k.memory.buffer).not.toBe(before);
    expect(small.buffer).toBe(before); // still the old SharedArrayBuffer object, over the same bytes
    big.fill(1);
    const out = k.alloc(Float32Array, 4);
    const bias = k.alloc(Float32Array, 2);
    // out[2x2] = small[2x2] * small[2x2], mixing views made before and after the growth.
    k.gemmBias(out, 0, small, 0, small, 0, bias, 0, 2, 2, 2);
    expect([...out]).toEqual([7, 10, 15, 22]);
    const copy = new Float32Array(k.memory.buffer, small.byteOffset, 4);
    expect([...copy]).toEqual([1, 2, 3, 4]);
    expect(() => k.alloc(Float32Array, 5_000_000)).toThrow(/cannot grow the shared memory/);
    expect(() => loadWasmKernels(new WebAssembly.Memory({ initial: 1 }))).toThrow(/must be shared/);
  });
});

describe('wasm kernels in worker threads over one shared memory', () => {
  const backend = fileURLToPath(new URL('../dist/kernels/wasm/backend.js', import.meta.url));
  const fixture = new URL('./wasm-worker.fixture.mjs', import.meta.url);

  function runWorker(data: unknown): Promise<{ grownBytes: number; allocOffset: number }> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(fixture, { workerData: data });
      worker.once('message', (msg) => {
        void worker.terminate();
        if (msg.error) reject(new Error(msg.error));
        else resolve(msg);
      });
      worker.once('error', reject);
    });
  }

  it('two workers instantiate the module over the memory; their writes are visible here, bit for bit', async () => {
    if (!existsSync(backend)) throw new Error(`build the core first (tsc -b): ${backend} is missing`);
    const k = loadWasmKernels(new WebAssembly.Memory({ initial: 16, maximum: 1024, shared: true }));
    if (k === null) throw new Error('unsupported');
    const rng = new Rng(21);
    const [m, kk, n] = [40, 39, 39];
    const a = k.alloc(Float32Array, m * kk);
    const b = k.alloc(Float32Array, kk * n);
    const bias = k.alloc(Float32Array, n);
    for (const v of [a, b, bias]) for (let i = 0; i < v.length; i++) v[i] = rng.uniform(-1, 1);
    const out = k.alloc(Float32Array, m * n);
    const whole = k.alloc(Float32Array, m * n);
    k.gemmBias(whole, 0, a, 0, b, 0, bias, 0, m, kk, n);
    const ptrs = { out: out.byteOffset, a: a.byteOffset, b: b.byteOffset, bias: bias.byteOffset, m, k: kk, n };
    const results = await Promise.all([
      runWorker({ memory: k.memory, ...ptrs, rows: [0, 21], grow: 2_000_000 }),
      runWorker({ memory: k.memory, module: k.module, ...ptrs, rows: [21, 40], grow: 0 }),
    ]);
    expect(sameBits(out, whole)).toBe(true);
    // A worker grew the memory and allocated from the shared heap: this thread sees both.
    expect(k.memory.buffer.byteLength).toBeGreaterThanOrEqual(results[0].grownBytes);
    const next = k.alloc(Float32Array, 1);
    expect(next.byteOffset).toBeGreaterThan(results[0].allocOffset);
    const fromWorker = k.view(Float32Array, results[0].allocOffset, 4);
    expect([...fromWorker]).toEqual([1, 2, 3, 4]);
  });
});
