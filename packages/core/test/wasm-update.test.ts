// The WebAssembly optimizer updates and loss gradients against the TypeScript reference (src/optim/*.ts,
// src/losses/loss.ts), through the `Kernels` interface that the training step uses.
//
// Tolerance of the optimizer updates. The TypeScript optimizers evaluate each formula in float64 and round once;
// the wasm kernels round after every float32 operation (as tfjs does). For every value an update writes (a
// parameter or a state slot), with `old` its value before and `t` the TypeScript result:
//   |wasm - t| <= 1e-6 * max(|old|, |t|, |t - old|)
// i.e. 1e-6 relative to the size of the quantities involved (about 17 float32 ulps; a chain such as Adam's step
// accumulates about 5). Centered RMSprop divides by sqrt(ms - mg^2 + eps), where the subtraction cancels: an
// error of an ulp in ms or mg^2 (which float32 state must make) grows by kappa = (ms + mg^2) / (max(ms - mg^2, 0)
// + eps), so its parameters and momentum are checked against 1e-6 * kappa * max(...). The "error summary" test
// prints the worst ratio seen. Results for any split of [0, P) into ranges are bit for bit those of one call.
//
// Tolerance of the loss gradients: none. They compute in float64 like loss.ts, operation for operation (the log
// is fdlibm's, the algorithm of V8's Math.log), so dz is bit for bit the TypeScript one; so is the loss sum
// for meanSquaredError, and for the losses with a logarithm it is checked within 1e-12 relative (equal in
// practice on V8; a different engine's Math.log could differ in the last bit).
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { sameBits } from '../../../test-utils/bits.js';
import { jsKernels, type Kernels, wasmKernels } from '../src/kernels/kernels.js';
import { loadWasmKernels, type WasmKernels } from '../src/kernels/wasm/backend.js';
import { type LossName, lossAndGradient } from '../src/losses/loss.js';
import type { ActivationName } from '../src/model/activation-names.js';
import { createOptimizer } from '../src/optim/create.js';
import type { Optimizer, OptimizerConfig } from '../src/optim/optimizer.js';
import { Rng } from '../src/random.js';

const AWKWARD = [1, 3, 39, 257];

let K: WasmKernels;
let W: Kernels;
beforeAll(() => {
  const k = loadWasmKernels();
  if (k === null) throw new Error('WebAssembly SIMD with shared memory is unavailable in this Node');
  K = k;
  W = wasmKernels(k);
});

const CONFIGS: OptimizerConfig[] = [
  { name: 'sgd', learningRate: 0.1 },
  { name: 'momentum', learningRate: 0.05, momentum: 0.9 },
  { name: 'momentum', learningRate: 0.05, momentum: 0.8, nesterov: true },
  { name: 'adam', learningRate: 0.01 },
  { name: 'adam', learningRate: 0.003, beta1: 0.5, beta2: 0.9, epsilon: 1e-4 },
  { name: 'adamw', learningRate: 0.01, weightDecay: 0.1 },
  { name: 'rmsprop', learningRate: 0.01 },
  { name: 'rmsprop', learningRate: 0.01, momentum: 0.9 },
  { name: 'rmsprop', learningRate: 0.01, centered: true },
  { name: 'rmsprop', learningRate: 0.01, momentum: 0.5, centered: true, rho: 0.8 },
];

const label = (c: OptimizerConfig) => JSON.stringify(c).replace(/"/g, '');

/**
 * Parameters, gradients and a state that the optimizer could have reached: slots that are mean squares (Adam's
 * v, RMSprop's ms) non-negative, the others of either sign. Gradients span several orders of magnitude and
 * include zeros; centered RMSprop sees `ms - mg^2` of both signs (so the clamp at 0 is exercised).
 */
function problem(opt: Optimizer, P: number, rng: Rng) {
  const params = K.alloc(Float32Array, P);
  const grads = K.alloc(Float32Array, P);
  const state = K.alloc(Float32Array, opt.stateSlots * P);
  for (let i = 0; i < P; i++) {
    params[i] = rng.uniform(-1, 1);
    grads[i] = rng.next() < 0.05 ? 0 : rng.uniform(-1, 1) * 10 ** -rng.int(4);
  }
  const c = opt.config;
  const squares = c.name === 'adam' || c.name === 'adamw' ? [1] : c.name === 'rmsprop' ? [0] : [];
  for (let s = 0; s < opt.stateSlots; s++) {
    for (let i = 0; i < P; i++) {
      const v = rng.uniform(-1, 1) * 10 ** -rng.int(3);
      state[s * P + i] = squares.includes(s) ? v * v : v;
    }
  }
  return { params, grads, state };
}

let worstUpdate = 0;

/**
 * Checks one array the update wrote, element by element, against the TypeScript result; `kappa(i)` is the
 * condition number that element i's result carries (1 but for centered RMSprop).
 */
function checkClose(
  what: string,
  wasm: Float32Array,
  ts: Float32Array,
  old: Float32Array,
  kappa: (i: number) => number = () => 1,
): void {
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i];
    const scale = kappa(i) * Math.max(Math.abs(old[i]), Math.abs(t), Math.abs(t - old[i]));
    const e = Math.abs(wasm[i] - t);
    if (!(e <= 1e-6 * scale)) throw new Error(`${what}[${i}]: wasm ${wasm[i]} ts ${t} (before: ${old[i]})`);
    if (scale > 0) worstUpdate = Math.max(worstUpdate, e / scale);
  }
}

/** kappa of each parameter: (ms + mg^2) / (max(ms - mg^2, 0) + eps) for centered RMSprop (at least 1), else 1. */
function conditioning(opt: Optimizer, state: Float32Array, P: number): (i: number) => number {
  const c = opt.config;
  if (!(c.name === 'rmsprop' && c.centered)) return () => 1;
  const mgSlot = opt.stateSlots - 1;
  return (i) => {
    const ms = state[i];
    const mg2 = state[mgSlot * P + i] ** 2;
    return Math.max(1, (ms + mg2) / (Math.max(ms - mg2, 0) + c.epsilon));
  };
}

describe('wasm optimizer updates against the TypeScript optimizers', () => {
  for (const config of CONFIGS) {
    it(`${label(config)}: P in {1, 3, 39, 257}, steps 1, 2 and 1000, within 1e-6 relative`, () => {
      const opt = createOptimizer(config);
      const rng = new Rng(CONFIGS.indexOf(config) + 1);
      for (const P of AWKWARD) {
        for (const step of [1, 2, 1000]) {
          const mark = K.mark();
          const { params, grads, state } = problem(opt, P, rng);
          const [p0, s0] = [params.slice(), state.slice()];
          const [pTs, sTs] = [params.slice(), state.slice()];
          opt.update(pTs, grads, sTs, P, 0, P, step);
          W.optimizerUpdate(opt, params, grads, state, P, 0, P, step);
          const kappa = conditioning(opt, sTs, P);
          checkClose(`${config.name} params (P ${P}, step ${step})`, params, pTs, p0, kappa);
          // Centered RMSprop's momentum slot (slot 1) inherits the conditioning; ms and mg do not.
          const slotKappa = (i: number) => (Math.floor(i / P) === 1 ? kappa(i % P) : 1);
          checkClose(`${config.name} state (P ${P}, step ${step})`, state, sTs, s0, slotKappa);
          K.release(mark);
        }
      }
    });
  }

  it('twenty steps in a row stay within 1e-5 relative of the TypeScript trajectory', () => {
    for (const config of CONFIGS) {
      const mark = K.mark();
      const opt = createOptimizer(config);
      const rng = new Rng(77);
      const P = 39;
      const { params, grads, state } = problem(opt, P, rng);
      const [pTs, sTs] = [params.slice(), state.slice()];
      for (let step = 1; step <= 20; step++) {
        for (let i = 0; i < P; i++) grads[i] = rng.uniform(-1, 1);
        opt.update(pTs, grads, sTs, P, 0, P, step);
        W.optimizerUpdate(opt, params, grads, state, P, 0, P, step);
      }
      for (let i = 0; i < P; i++) {
        expect(Math.abs(params[i] - pTs[i]), label(config)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(pTs[i])));
      }
      K.release(mark);
    }
  });

  it('any split of [0, P) into ranges gives the same bits as one call, and a range touches only itself', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CONFIGS),
        fc.integer({ min: 1, max: 300 }),
        fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 5 }),
        fc.integer({ min: 1, max: 50 }),
        fc.integer(),
        (config, P, cuts, step, seed) => {
          const mark = K.mark();
          const opt = createOptimizer(config);
          const whole = problem(opt, P, new Rng(seed));
          const parts = {
            params: K.alloc(Float32Array, P),
            grads: whole.grads,
            state: K.alloc(Float32Array, whole.state.length),
          };
          parts.params.set(whole.params);
          parts.state.set(whole.state);
          W.optimizerUpdate(opt, whole.params, whole.grads, whole.state, P, 0, P, step);
          const bounds = [...new Set([0, P, ...cuts.filter((c) => c < P)])].sort((x, y) => x - y);
          // Ranges in reverse order, and after each one nothing beyond it has changed yet.
          const before = parts.params.slice();
          for (let s = bounds.length - 2; s >= 0; s--) {
            W.optimizerUpdate(opt, parts.params, parts.grads, parts.state, P, bounds[s], bounds[s + 1], step);
            for (let i = 0; i < bounds[s]; i++) expect(parts.params[i]).toBe(before[i]);
          }
          expect(sameBits(parts.params, whole.params)).toBe(true);
          expect(sameBits(parts.state, whole.state)).toBe(true);
          K.release(mark);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is deterministic and AdamW with weight decay 0 is Adam, bit for bit', () => {
    const P = 257;
    const run = (config: OptimizerConfig) => {
      const opt = createOptimizer(config);
      const { params, grads, state } = problem(opt, P, new Rng(3));
      for (let step = 1; step <= 3; step++) W.optimizerUpdate(opt, params, grads, state, P, 0, P, step);
      return [params, state];
    };
    const [pa, sa] = run({ name: 'adam', learningRate: 0.01 });
    const [pw, sw] = run({ name: 'adamw', learningRate: 0.01, weightDecay: 0 });
    const [pb, sb] = run({ name: 'adam', learningRate: 0.01 });
    expect(sameBits(pa, pw) && sameBits(sa, sw)).toBe(true);
    expect(sameBits(pa, pb) && sameBits(sa, sb)).toBe(true);
  });

  it('never reads or writes past an operand: gradients, state and parameters flush against the end of memory', () => {
    const k1 = loadWasmKernels(new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }));
    if (k1 === null) throw new Error('unsupported');
    const w1 = wasmKernels(k1);
    const end = 65_536;
    for (const config of CONFIGS) {
      const opt = createOptimizer(config);
      for (const P of [1, 3, 5, 39]) {
        const n = opt.stateSlots * P;
        // Each of the three arrays in turn ends exactly at the end of the memory.
        for (let edge = 0; edge < 3; edge++) {
          const lens = [P, P, n];
          let at = 64;
          const [params, grads, state] = lens.map((len, i) =>
            i === edge
              ? k1.view(Float32Array, end - 4 * len, len)
              : k1.view(Float32Array, (at += 4 * len) - 4 * len, len),
          );
          params.fill(0.5);
          grads.fill(0.25);
          state.fill(0.125);
          w1.optimizerUpdate(opt, params, grads, state, P, 0, P, 1);
          w1.optimizerUpdate(opt, params, grads, state, P, 1, P, 2);
          expect(params.every(Number.isFinite)).toBe(true);
        }
      }
    }
  });

  it('the backends: js runs Optimizer.update; a custom optimizer keeps its own update on wasm', () => {
    const P = 39;
    const opt = createOptimizer({ name: 'adam' });
    const { params, grads, state } = problem(opt, P, new Rng(5));
    const [pTs, sTs] = [params.slice(), state.slice()];
    opt.update(pTs, grads, sTs, P, 0, P, 4);
    jsKernels.optimizerUpdate(opt, params, grads, state, P, 0, P, 4);
    expect(sameBits(params, pTs) && sameBits(state, sTs)).toBe(true);

    const calls: number[][] = [];
    const custom: Optimizer = {
      config: opt.config,
      stateSlots: 0,
      update: (_p, _g, _s, paramCount, from, to, step) => void calls.push([paramCount, from, to, step]),
    };
    W.optimizerUpdate(custom, params, grads, state, P, 3, 9, 7);
    expect(calls).toEqual([[P, 3, 9, 7]]);
  });

  it('checks its arguments: ranges, state size and arrays outside the memory', () => {
    const P = 8;
    const v = K.alloc(Float32Array, P);
    const s = K.alloc(Float32Array, 2 * P);
    const adam = createOptimizer({ name: 'adam' });
    expect(() => W.optimizerUpdate(adam, v, v, s, P, 0, P + 1, 1)).toThrow(RangeError);
    expect(() => W.optimizerUpdate(adam, v, v, s, P, 5, 4, 1)).toThrow(RangeError);
    expect(() => W.optimizerUpdate(adam, v, v, s, P, 0, P, 0)).toThrow(/step is 1-based/);
    expect(() => W.optimizerUpdate(adam, v, v, s.subarray(0, P), P, 0, P, 1)).toThrow(RangeError);
    expect(() => W.optimizerUpdate(adam, v, v, new Float32Array(2 * P), P, 0, P, 1)).toThrow(
      /not a view of this WebAssembly memory/,
    );
    const sgd = createOptimizer({ name: 'sgd' });
    expect(() => W.optimizerUpdate(sgd, v, new Float32Array(P), s, P, 0, P, 1)).toThrow(/not a view/);
    const rms = createOptimizer({ name: 'rmsprop', momentum: 0.5, centered: true });
    expect(() => W.optimizerUpdate(rms, v, v, s, P, 0, P, 1)).toThrow(RangeError); // needs 3 slots
  });

  it('error summary (worst |wasm - ts| / max(|old|, |ts|, |ts - old|) of the updates)', () => {
    expect(worstUpdate).toBeLessThan(1e-6);
    console.log(`wasm optimizer updates: worst error ${worstUpdate.toExponential(2)} (bound 1e-6)`);
  });
});

describe('wasm loss gradients against lossAndGradient', () => {
  const CASES: Array<[LossName, ActivationName]> = [
    ['meanSquaredError', 'sigmoid'],
    ['meanSquaredError', 'linear'],
    ['meanSquaredError', 'tanh'],
    ['binaryCrossentropy', 'sigmoid'],
    ['binaryCrossentropy', 'linear'],
    ['categoricalCrossentropy', 'softmax'],
    ['categoricalCrossentropy', 'sigmoid'],
    ['sparseCategoricalCrossentropy', 'softmax'],
    ['sparseCategoricalCrossentropy', 'sigmoid'],
  ];

  /** Outputs `a` as the activation would make them (probabilities where the loss takes logs) and targets `y`. */
  function outputs(loss: LossName, act: ActivationName, rows: number, cols: number, rng: Rng) {
    const n = rows * cols;
    const a = K.alloc(Float32Array, n + 2);
    const y = K.alloc(Float32Array, n + 2);
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      for (let j = 0; j < cols; j++) {
        // Saturated outputs too (0, 1, 1e-9, 1 - 6e-8), where the clipping matters.
        const u = rng.next();
        const v = u < 0.05 ? 0 : u < 0.1 ? 1 : u < 0.15 ? 1e-9 : u < 0.2 ? 1 - 6e-8 : rng.next();
        a[1 + r * cols + j] = act === 'linear' && loss === 'meanSquaredError' ? rng.uniform(-3, 3) : v || 1e-9;
        sum += a[1 + r * cols + j];
      }
      if (act === 'softmax') for (let j = 0; j < cols; j++) a[1 + r * cols + j] /= sum;
      if (act === 'tanh') for (let j = 0; j < cols; j++) a[1 + r * cols + j] = 2 * a[1 + r * cols + j] - 1;
      const hot = rng.int(cols);
      if (loss === 'sparseCategoricalCrossentropy') y[1 + r] = hot;
      else for (let j = 0; j < cols; j++) y[1 + r * cols + j] = target(loss, j === hot, rng);
    }
    return { a, y };
  }

  /** Categorical: one-hot (mostly) or soft; otherwise 0, 1 or a probability. */
  function target(loss: LossName, hot: boolean, rng: Rng): number {
    if (loss === 'categoricalCrossentropy') return rng.next() < 0.8 ? Number(hot) : rng.next();
    return rng.next() < 0.5 ? Math.round(rng.next()) : rng.next();
  }

  for (const [loss, act] of CASES) {
    it(`${loss} + ${act}: dz bit for bit, the loss sum too (within 1e-12 where it takes logs)`, () => {
      const rng = new Rng(CASES.findIndex((c) => c[0] === loss && c[1] === act) + 100);
      for (const rows of AWKWARD) {
        for (const cols of AWKWARD) {
          const mark = K.mark();
          const { a, y } = outputs(loss, act, rows, cols, rng);
          const dz = K.alloc(Float32Array, rows * cols + 2).fill(99);
          const dzTs = dz.slice();
          const w = W.lossAndGradient(loss, act, a, 1, y, 1, dz, 1, rows, cols);
          const t = lossAndGradient(loss, act, a, 1, y, 1, dzTs, 1, rows, cols);
          expect(sameBits(dz, dzTs), `${loss} ${act} ${rows}x${cols}`).toBe(true);
          if (loss === 'meanSquaredError') expect(w).toBe(t);
          else expect(Math.abs(w - t)).toBeLessThanOrEqual(1e-12 * Math.abs(t));
          K.release(mark);
        }
      }
    });
  }

  it('NaN outputs give a NaN loss; bad sparse labels throw as in loss.ts', () => {
    const a = K.alloc(Float32Array, 4);
    const y = K.alloc(Float32Array, 4);
    const dz = K.alloc(Float32Array, 4);
    a.set([0.5, Number.NaN, 0.25, 0.25]);
    for (const loss of ['meanSquaredError', 'binaryCrossentropy', 'categoricalCrossentropy'] as const) {
      y.set([1, 0, 0, 1]);
      expect(W.lossAndGradient(loss, 'sigmoid', a, 0, y, 0, dz, 0, 2, 2)).toBeNaN();
    }
    y.set([0, 2]);
    a.set([0.5, 0.5, 0.5, 0.5]);
    const message = /sparse label 2 in row 1 is not an integer class in \[0, 2\)/;
    expect(() => lossAndGradient('sparseCategoricalCrossentropy', 'softmax', a, 0, y, 0, dz, 0, 2, 2)).toThrow(message);
    expect(() => W.lossAndGradient('sparseCategoricalCrossentropy', 'softmax', a, 0, y, 0, dz, 0, 2, 2)).toThrow(
      message,
    );
    y.set([0.5]);
    expect(() => W.lossAndGradient('sparseCategoricalCrossentropy', 'softmax', a, 0, y, 0, dz, 0, 1, 2)).toThrow(
      RangeError,
    );
    expect(() => W.lossAndGradient('meanSquaredError', 'sigmoid', a, 0, y, 0, dz, 0, 3, 2)).toThrow(RangeError);
  });
});
