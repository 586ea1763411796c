// Property tests (fast-check) of the optimizers' range contract: updating [0, P) in pieces, in any order, gives
// bitwise the same parameters and state as updating it at once, and an update never touches anything outside
// its range. This is what lets the parallel trainer give each thread its own range.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createOptimizer } from '../src/optim/create.js';
import type { OptimizerConfig } from '../src/optim/optimizer.js';
import { Rng } from '../src/random.js';
import type { FloatArray } from '../src/types.js';

const CONFIGS: OptimizerConfig[] = [
  { name: 'sgd', learningRate: 0.1 },
  { name: 'momentum' },
  { name: 'momentum', nesterov: true },
  { name: 'adam' },
  { name: 'adamw', learningRate: 0.01, weightDecay: 0.1 },
  { name: 'rmsprop' },
  { name: 'rmsprop', momentum: 0.9 },
  { name: 'rmsprop', centered: true },
  { name: 'rmsprop', centered: true, momentum: 0.5 },
];

/** Bitwise equality of two arrays of the same type (so -0 vs 0 and NaN payloads count). */
function sameBits(a: FloatArray, b: FloatArray): boolean {
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

const scenario = fc
  .record({
    config: fc.constantFrom(...CONFIGS),
    float64: fc.boolean(),
    paramCount: fc.integer({ min: 1, max: 80 }),
    cutA: fc.double({ min: 0, max: 1, noNaN: true }),
    cutB: fc.double({ min: 0, max: 1, noNaN: true }),
    steps: fc.integer({ min: 1, max: 5 }),
    order: fc.constantFrom<number[]>([0, 1, 2], [2, 1, 0], [1, 0, 2], [2, 0, 1]),
    zeroGradients: fc.boolean(),
    seed: fc.integer({ min: 0, max: 0x7fffffff }),
  })
  .map((s) => {
    const a = Math.floor(Math.min(s.cutA, s.cutB) * (s.paramCount + 1));
    const b = Math.floor(Math.max(s.cutA, s.cutB) * (s.paramCount + 1));
    return { ...s, a: Math.min(a, s.paramCount), b: Math.min(b, s.paramCount) };
  });

describe('optimizer range updates', () => {
  it('updating [0,a), [a,b), [b,P) in any order is bitwise the same as updating [0,P) at once', () => {
    fc.assert(
      fc.property(scenario, ({ config, float64, paramCount: P, a, b, steps, order, zeroGradients, seed }) => {
        const opt = createOptimizer(config);
        const rng = new Rng(seed);
        const make = (n: number): FloatArray => (float64 ? new Float64Array(n) : new Float32Array(n));
        const params = make(P).map(() => rng.uniform(-1, 1));
        const whole = { params: params.slice(), state: make(opt.stateSlots * P) };
        const split = { params: params.slice(), state: make(opt.stateSlots * P) };
        const pieces: Array<[number, number]> = [
          [0, a],
          [a, b],
          [b, P],
        ];
        for (let step = 1; step <= steps; step++) {
          // Some gradients exactly zero, so the zero paths (e.g. centered RMSprop's variance) are exercised.
          const grads = make(P).map(() => (zeroGradients && rng.next() < 0.3 ? 0 : rng.normal()));
          opt.update(whole.params, grads, whole.state, P, 0, P, step);
          for (const k of order) opt.update(split.params, grads, split.state, P, pieces[k][0], pieces[k][1], step);
        }
        expect(sameBits(split.params, whole.params)).toBe(true);
        expect(sameBits(split.state, whole.state)).toBe(true);
        expect(whole.params.every(Number.isFinite) && whole.state.every(Number.isFinite)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('an update of [from, to) reads and writes nothing outside that range, in params or any state slot', () => {
    fc.assert(
      fc.property(scenario, ({ config, float64, paramCount: P, a, b, steps, seed }) => {
        const opt = createOptimizer(config);
        const rng = new Rng(seed);
        const make = (n: number): FloatArray => (float64 ? new Float64Array(n) : new Float32Array(n));
        // Outside the range: NaN gradients and sentinel params/state. Any read would poison the range, any
        // write would change the sentinels.
        const params = make(P).map(() => rng.uniform(-1, 1));
        const state = make(opt.stateSlots * P).fill(0);
        const grads = make(P).fill(Number.NaN);
        for (let i = a; i < b; i++) grads[i] = rng.normal();
        for (let k = 0; k < opt.stateSlots; k++) {
          for (let i = 0; i < P; i++) if (i < a || i >= b) state[k * P + i] = 12345;
        }
        const before = { params: params.slice(), state: state.slice() };
        for (let step = 1; step <= steps; step++) opt.update(params, grads, state, P, a, b, step);
        for (let i = 0; i < P; i++) {
          if (i >= a && i < b) {
            expect(Number.isFinite(params[i])).toBe(true);
          } else {
            expect(Object.is(params[i], before.params[i])).toBe(true);
            for (let k = 0; k < opt.stateSlots; k++) expect(state[k * P + i]).toBe(before.state[k * P + i]);
          }
        }
        if (config.name !== 'sgd' && b > a) {
          // The range's own state did move (rules out writing the state somewhere unexpected).
          expect(state.subarray(a, b).some((v) => v !== 0)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
