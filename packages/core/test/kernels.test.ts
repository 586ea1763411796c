import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { activationBackward, activationForward } from '../src/kernels/activations.js';
import { gemmBias, gemmNt, gemmTnBias } from '../src/kernels/gemm.js';
import { ACTIVATIONS } from '../src/model/activation-names.js';
import { Rng } from '../src/random.js';

function rand(n: number, rng: Rng): Float64Array {
  return new Float64Array(n).map(() => rng.uniform(-1, 1));
}

const dims = fc.record({
  m: fc.integer({ min: 1, max: 13 }),
  k: fc.integer({ min: 1, max: 13 }),
  n: fc.integer({ min: 1, max: 13 }),
  seed: fc.integer(),
  pad: fc.integer({ min: 0, max: 5 }),
});

describe('gemm kernels against a naive float64 reference (property)', () => {
  it('gemmBias: out = a b + bias, at offsets', () => {
    fc.assert(
      fc.property(dims, ({ m, k, n, seed, pad }) => {
        const rng = new Rng(seed);
        const a = rand(pad + m * k, rng);
        const b = rand(pad + k * n, rng);
        const bias = rand(pad + n, rng);
        const out = new Float64Array(pad + m * n).fill(99);
        gemmBias(out, pad, a, pad, b, pad, bias, pad, m, k, n);
        for (let i = 0; i < pad; i++) expect(out[i]).toBe(99);
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++) {
            let s = bias[pad + j];
            for (let p = 0; p < k; p++) s += a[pad + i * k + p] * b[pad + p * n + j];
            expect(out[pad + i * n + j]).toBeCloseTo(s, 12);
          }
      }),
    );
  });

  it('gemmTnBias: out = a^T d and column sums of d, overwriting', () => {
    fc.assert(
      fc.property(dims, ({ m, k, n, seed, pad }) => {
        const rng = new Rng(seed);
        const a = rand(m * k, rng);
        const d = rand(m * n, rng);
        const out = new Float64Array(pad + k * n).fill(5);
        const bias = new Float64Array(pad + n).fill(5);
        gemmTnBias(out, pad, bias, pad, a, 0, d, 0, m, k, n);
        for (let p = 0; p < k; p++)
          for (let j = 0; j < n; j++) {
            let s = 0;
            for (let r = 0; r < m; r++) s += a[r * k + p] * d[r * n + j];
            expect(out[pad + p * n + j]).toBeCloseTo(s, 12);
          }
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let r = 0; r < m; r++) s += d[r * n + j];
          expect(bias[pad + j]).toBeCloseTo(s, 12);
        }
      }),
    );
  });

  it('gemmNt: out = d b^T', () => {
    fc.assert(
      fc.property(dims, ({ m, k, n, seed }) => {
        const rng = new Rng(seed);
        const d = rand(m * n, rng);
        const b = rand(k * n, rng);
        const out = new Float64Array(m * k);
        gemmNt(out, 0, d, 0, b, 0, m, k, n);
        for (let r = 0; r < m; r++)
          for (let p = 0; p < k; p++) {
            let s = 0;
            for (let j = 0; j < n; j++) s += d[r * n + j] * b[p * n + j];
            expect(out[r * k + p]).toBeCloseTo(s, 12);
          }
      }),
    );
  });
});

describe('activations', () => {
  const reference: Record<string, (z: number) => number> = {
    sigmoid: (z) => 1 / (1 + Math.exp(-z)),
    tanh: Math.tanh,
    relu: (z) => Math.max(0, z),
    leakyRelu: (z) => (z < 0 ? 0.2 * z : z),
    elu: (z) => (z < 0 ? Math.exp(z) - 1 : z),
    linear: (z) => z,
  };

  for (const act of ACTIVATIONS.filter((a) => a !== 'softmax')) {
    it(`${act}: forward matches the formula, backward matches a finite difference`, () => {
      const rng = new Rng(3);
      const z = rand(50, rng).map((v) => v * 4);
      const a = z.slice();
      activationForward(act, a, 0, 5, 10);
      const g = rand(50, rng);
      const dz = g.slice();
      activationBackward(act, dz, 0, a, 0, 5, 10);
      for (let i = 0; i < 50; i++) {
        expect(a[i]).toBeCloseTo(reference[act](z[i]), 12);
        const h = 1e-6;
        const numeric = ((reference[act](z[i] + h) - reference[act](z[i] - h)) / (2 * h)) * g[i];
        expect(dz[i]).toBeCloseTo(numeric, 6);
      }
    });
  }

  it('softmax rows sum to one, are stable for huge logits, and backward is the Jacobian product', () => {
    const z = Float64Array.from([1000, 1001, 1002, -5, 0, 5]);
    activationForward('softmax', z, 0, 2, 3);
    expect(z[0] + z[1] + z[2]).toBeCloseTo(1, 12);
    expect(Number.isFinite(z[0])).toBe(true);
    expect(z[2]).toBeCloseTo(Math.exp(2) / (1 + Math.exp(1) + Math.exp(2)), 12);
    const a = z.subarray(3);
    const g = Float64Array.from([0.3, -1, 2]);
    const dz = g.slice();
    activationBackward('softmax', dz, 0, a, 0, 1, 3);
    for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let i = 0; i < 3; i++) s += g[i] * a[i] * ((i === j ? 1 : 0) - a[j]);
      expect(dz[j]).toBeCloseTo(s, 12);
    }
  });

  it('sigmoid saturates without NaN', () => {
    const z = Float64Array.from([-800, 800]);
    activationForward('sigmoid', z, 0, 1, 2);
    expect(Array.from(z)).toEqual([0, 1]);
  });
});
