// The optimizers against real TensorFlow.js 4.22 (cpu backend): the same random parameters and ten random
// gradients through `tf.train.*` on a tf.variable and through ours must give the same parameters (and the same
// optimizer state) after every step. Plus defaults, config validation and argument checks.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createOptimizer, OPTIMIZER_DEFAULTS, OPTIMIZER_NAMES, resolveOptimizerConfig } from '../src/optim/create.js';
import type { OptimizerConfig, ResolvedOptimizerConfig } from '../src/optim/optimizer.js';
import { Rng } from '../src/random.js';
import type { FloatArray } from '../src/types.js';
import { tfOptimizer } from './tfjs-helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const P = 101;
const STEPS = 10;

/** Random gradients: magnitudes in [0.05, 2), random signs (kept off zero: see the centered-RMSprop test). */
function randomGradients(rng: Rng, steps: number, n: number): Float32Array[] {
  return Array.from({ length: steps }, () =>
    new Float32Array(n).map(() => (rng.next() < 0.5 ? -1 : 1) * rng.uniform(0.05, 2)),
  );
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = d; // NaN propagates
  }
  return m;
}

/** Largest |a - b| over each slot of `slotSize` values, relative to the slot's largest |b|; the worst slot. */
function maxSlotDiff(a: ArrayLike<number>, b: ArrayLike<number>, slotSize: number): number {
  let worst = 0;
  for (let start = 0; start < b.length; start += slotSize) {
    let diff = 0;
    let scale = 0;
    for (let i = start; i < start + slotSize; i++) {
      const d = Math.abs(a[i] - b[i]);
      if (!(d <= diff)) diff = d;
      scale = Math.max(scale, Math.abs(b[i]));
    }
    const rel = diff / scale;
    if (!(rel <= worst)) worst = rel;
  }
  return worst;
}

/** The tfjs optimizer-weight suffix held in each of our state slots, in slot order. */
function tfSlotNames(c: ResolvedOptimizerConfig): string[] {
  switch (c.name) {
    case 'sgd':
      return [];
    case 'momentum':
      return ['momentum'];
    case 'adam':
    case 'adamw':
      return ['m', 'v'];
    case 'rmsprop':
      return ['rms', ...(c.momentum > 0 ? ['momentum'] : []), ...(c.centered ? ['mg'] : [])];
  }
}

let varCounter = 0;

interface Trace {
  /** Parameters after each step. */
  params: Float32Array[];
  /** Optimizer state after each step, in our slot order, concatenated. */
  state: Float32Array[];
}

/** Runs tfjs over the gradients; AdamW's decoupled decay is applied by hand (as Keras 3) before each Adam step. */
async function runTfjs(c: ResolvedOptimizerConfig, init: Float32Array, grads: Float32Array[]): Promise<Trace> {
  const name = `optim_test_${varCounter++}`;
  const variable = tf.variable(tf.tensor1d(init), true, name);
  const opt = tfOptimizer(c);
  const slots = tfSlotNames(c);
  const trace: Trace = { params: [], state: [] };
  for (const g of grads) {
    if (c.name === 'adamw') {
      tf.tidy(() => {
        variable.assign(tf.sub(variable, tf.mul(tf.mul(variable, c.weightDecay), c.learningRate)));
      });
    }
    const grad = tf.tensor1d(g);
    opt.applyGradients({ [name]: grad });
    grad.dispose();
    trace.params.push((await variable.data()) as Float32Array);
    const weights = await opt.getWeights();
    const state = new Float32Array(slots.length * init.length);
    slots.forEach((suffix, k) => {
      const w = weights.find((nt) => nt.name === `${name}/${suffix}`);
      if (!w) throw new Error(`tfjs has no optimizer weight ${name}/${suffix}`);
      state.set(w.tensor.dataSync() as Float32Array, k * init.length);
    });
    trace.state.push(state);
  }
  opt.dispose();
  variable.dispose();
  return trace;
}

type ArrayKind = 'float32' | 'float64';

function makeArray(kind: ArrayKind, n: number): FloatArray {
  return kind === 'float32' ? new Float32Array(n) : new Float64Array(n);
}

/** Runs ours over the whole range [0, P) with arrays of the given kind. */
function runOurs(config: OptimizerConfig, init: Float32Array, grads: Float32Array[], kind: ArrayKind): Trace {
  const opt = createOptimizer(config);
  const n = init.length;
  const params = makeArray(kind, n);
  params.set(init);
  const state = makeArray(kind, opt.stateSlots * n);
  const grad = makeArray(kind, n);
  const trace: Trace = { params: [], state: [] };
  grads.forEach((g, s) => {
    grad.set(g);
    opt.update(params, grad, state, n, 0, n, s + 1);
    trace.params.push(Float32Array.from(params));
    trace.state.push(Float32Array.from(state));
  });
  return trace;
}

const ORACLE_CONFIGS: OptimizerConfig[] = [
  { name: 'sgd' },
  { name: 'sgd', learningRate: 0.1 },
  { name: 'momentum' },
  { name: 'momentum', learningRate: 0.05, momentum: 0.5 },
  { name: 'momentum', nesterov: true },
  { name: 'momentum', learningRate: 0.05, momentum: 0.99, nesterov: true },
  { name: 'adam' },
  { name: 'adam', learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-6 },
  // A large epsilon, so that where it goes (after the bias-corrected square root) is visible.
  { name: 'adam', learningRate: 0.01, epsilon: 0.1 },
  { name: 'adamw' },
  { name: 'adamw', learningRate: 0.01, weightDecay: 0.1 },
  { name: 'adamw', learningRate: 0.02, beta1: 0.5, beta2: 0.9, epsilon: 1e-5, weightDecay: 0.5 },
  { name: 'rmsprop' },
  { name: 'rmsprop', learningRate: 0.01, rho: 0.5, epsilon: 1e-6 },
  { name: 'rmsprop', momentum: 0.9 },
  { name: 'rmsprop', learningRate: 0.01, momentum: 0.5, epsilon: 0.1 },
  { name: 'rmsprop', centered: true },
  { name: 'rmsprop', learningRate: 0.005, momentum: 0.5, centered: true },
];

describe('optimizers match TensorFlow.js 4.22 step for step', () => {
  for (const kind of ['float32', 'float64'] as const) {
    ORACLE_CONFIGS.forEach((config, index) => {
      it(`${JSON.stringify(config)} (${kind})`, async () => {
        const rng = new Rng(1000 + index);
        const init = new Float32Array(P).map(() => rng.uniform(-1, 1));
        const grads = randomGradients(rng, STEPS, P);
        const resolved = resolveOptimizerConfig(config);
        const ref = await runTfjs(resolved, init, grads);
        const ours = runOurs(config, init, grads, kind);
        for (let s = 0; s < STEPS; s++) {
          const at = `after step ${s + 1}`;
          expect(maxAbsDiff(ours.params[s], ref.params[s]), at).toBeLessThan(1e-5);
          // Centered RMSprop adds epsilon where tfjs subtracts it (see rmsprop.ts and the centered tests below):
          // its momentum slot then differs by about epsilon / (ms - mg^2) relative.
          const stateTolerance = resolved.centered ? 1e-3 : 1e-5;
          expect(maxSlotDiff(ours.state[s], ref.state[s], P), `state ${at}`).toBeLessThan(stateTolerance);
        }
        // The steps must have moved the weights, or the comparison proves nothing.
        expect(maxAbsDiff(ours.params[STEPS - 1], init)).toBeGreaterThan(1e-3);
      });
    });
  }
});

describe('adamw', () => {
  it('with weightDecay 0 is adam, bit for bit (params and state)', () => {
    for (const kind of ['float32', 'float64'] as const) {
      const rng = new Rng(5);
      const init = new Float32Array(P).map(() => rng.uniform(-1, 1));
      init[0] = -0;
      init[1] = 0;
      const grads = randomGradients(rng, STEPS, P);
      const shared = { learningRate: 0.01, beta1: 0.8, beta2: 0.95, epsilon: 1e-6 };
      const adam = runOurs({ name: 'adam', ...shared }, init, grads, kind);
      const adamw = runOurs({ name: 'adamw', ...shared, weightDecay: 0 }, init, grads, kind);
      for (let s = 0; s < STEPS; s++) {
        expect(new Uint8Array(adamw.params[s].buffer)).toEqual(new Uint8Array(adam.params[s].buffer));
        expect(new Uint8Array(adamw.state[s].buffer)).toEqual(new Uint8Array(adam.state[s].buffer));
      }
    }
  });

  it('decays the weights (decoupled: the decay does not enter the moments)', () => {
    const rng = new Rng(6);
    const init = new Float32Array(P).map(() => rng.uniform(-1, 1));
    const grads = randomGradients(rng, STEPS, P);
    const adam = runOurs({ name: 'adam', learningRate: 0.01 }, init, grads, 'float64');
    const adamw = runOurs({ name: 'adamw', learningRate: 0.01, weightDecay: 0.5 }, init, grads, 'float64');
    expect(maxAbsDiff(adamw.params[STEPS - 1], adam.params[STEPS - 1])).toBeGreaterThan(1e-3);
    expect(adamw.state[STEPS - 1]).toEqual(adam.state[STEPS - 1]);
  });

  it('with zero gradients only shrinks the weights by (1 - lr * weightDecay) per step', () => {
    const opt = createOptimizer({ name: 'adamw', learningRate: 0.1, weightDecay: 0.5 });
    const params = new Float64Array([2, -4, 0]);
    const state = new Float64Array(2 * 3);
    const zero = new Float64Array(3);
    for (let s = 1; s <= 3; s++) opt.update(params, zero, state, 3, 0, 3, s);
    expect(params[0]).toBeCloseTo(2 * 0.95 ** 3, 14);
    expect(params[1]).toBeCloseTo(-4 * 0.95 ** 3, 14);
    expect(params[2]).toBe(0);
  });
});

describe('centered rmsprop', () => {
  it('stays finite where tfjs 4.22 gives NaN (tfjs subtracts epsilon inside the square root)', async () => {
    // A zero gradient, and one so small that ms - mg^2 < epsilon on the first step.
    const init = new Float32Array([0.5, -0.25, 1]);
    const grad = new Float32Array([0.5, 0, 1e-4]);
    const config = resolveOptimizerConfig({ name: 'rmsprop', centered: true });
    const ref = await runTfjs(config, init, [grad]);
    expect(Number.isNaN(ref.params[0][1])).toBe(true);
    expect(Number.isNaN(ref.params[0][2])).toBe(true);
    const ours = runOurs(config, init, [grad], 'float32');
    expect(ours.params[0].every(Number.isFinite)).toBe(true);
    expect(Math.abs(ours.params[0][0] - ref.params[0][0])).toBeLessThan(1e-6);
    expect(ours.params[0][1]).toBe(init[1]); // zero gradient: no move
    // Keras 3 / TensorFlow: lr * g / sqrt(ms - mg^2 + eps), ms - mg^2 = rho (1 - rho) g^2 on step 1.
    const g = grad[2];
    const expected = init[2] - (0.001 * g) / Math.sqrt(0.9 * 0.1 * g * g + 1e-7);
    expect(ours.params[0][2]).toBeCloseTo(expected, 7);
  });

  it('matches the TensorFlow / Keras 3 formula, sqrt(ms - mg^2 + epsilon), built from tfjs ops', async () => {
    for (const momentum of [0, 0.5]) {
      const c = resolveOptimizerConfig({ name: 'rmsprop', learningRate: 0.005, momentum, centered: true });
      const rng = new Rng(77);
      const init = new Float32Array(P).map(() => rng.uniform(-1, 1));
      const grads = randomGradients(rng, STEPS, P);
      const ours = runOurs(c, init, grads, 'float32');
      let p: tf.Tensor = tf.tensor1d(init);
      let ms: tf.Tensor = tf.zerosLike(p);
      let mg: tf.Tensor = tf.zerosLike(p);
      let mom: tf.Tensor = tf.zerosLike(p);
      for (let s = 0; s < STEPS; s++) {
        const next = tf.tidy(() => {
          const g = tf.tensor1d(grads[s]);
          const ms1 = tf.add(tf.mul(ms, c.rho), tf.mul(tf.square(g), 1 - c.rho));
          const mg1 = tf.add(tf.mul(mg, c.rho), tf.mul(g, 1 - c.rho));
          const denom = tf.sqrt(tf.add(tf.sub(ms1, tf.square(mg1)), c.epsilon));
          const mom1 = tf.add(tf.mul(mom, c.momentum), tf.div(tf.mul(g, c.learningRate), denom));
          return [tf.sub(p, mom1), ms1, mg1, mom1];
        });
        tf.dispose([p, ms, mg, mom]);
        [p, ms, mg, mom] = next;
        expect(maxAbsDiff(ours.params[s], p.dataSync())).toBeLessThan(1e-5);
        const slots = [ms, ...(momentum > 0 ? [mom] : []), mg].map((t) => Array.from(t.dataSync()));
        expect(maxSlotDiff(ours.state[s], slots.flat(), P)).toBeLessThan(1e-5);
      }
      tf.dispose([p, ms, mg, mom]);
    }
  });

  it('stays finite under a nearly constant gradient, where float32 rounding makes ms - mg^2 negative', () => {
    // Without the clamp at 0, about one update in ten here takes the square root of a negative number.
    const rng = new Rng(3);
    const n = 64;
    const scale = Float64Array.from({ length: n }, () => Math.exp(rng.uniform(-5, 5)));
    for (const rho of [0.5, 0.9, 0.99]) {
      const opt = createOptimizer({ name: 'rmsprop', centered: true, momentum: 0.5, rho });
      const params = new Float32Array(n);
      const state = new Float32Array(opt.stateSlots * n);
      const grad = new Float32Array(n);
      for (let s = 1; s <= 300; s++) {
        for (let i = 0; i < n; i++) grad[i] = scale[i] * (1 + 1e-6 * (rng.next() - 0.5));
        opt.update(params, grad, state, n, 0, n, s);
      }
      expect(params.every(Number.isFinite)).toBe(true);
    }
  });
});

describe('defaults and resolved configs', () => {
  it('fills in the tfjs / Keras defaults', () => {
    expect(resolveOptimizerConfig({ name: 'sgd' })).toEqual({
      name: 'sgd',
      learningRate: 0.01,
      momentum: 0,
      nesterov: false,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-7,
      weightDecay: 0,
      rho: 0.9,
      centered: false,
    });
    expect(resolveOptimizerConfig({ name: 'momentum' })).toMatchObject({
      learningRate: 0.01,
      momentum: 0.9,
      nesterov: false,
    });
    expect(resolveOptimizerConfig({ name: 'adam' })).toMatchObject({
      learningRate: 0.001,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-7,
      weightDecay: 0,
    });
    expect(resolveOptimizerConfig({ name: 'adamw' })).toMatchObject({
      learningRate: 0.001,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-7,
      weightDecay: 0.004,
    });
    expect(resolveOptimizerConfig({ name: 'rmsprop' })).toMatchObject({
      learningRate: 0.001,
      rho: 0.9,
      momentum: 0,
      epsilon: 1e-7,
      centered: false,
    });
    expect(tf.backend().epsilon()).toBe(1e-7);
  });

  it('keeps given values, is idempotent, frozen, and survives JSON', () => {
    const c = resolveOptimizerConfig({ name: 'rmsprop', learningRate: 0.01, momentum: 0.3, centered: true, rho: 0.8 });
    expect(c).toMatchObject({ name: 'rmsprop', learningRate: 0.01, momentum: 0.3, centered: true, rho: 0.8 });
    expect(resolveOptimizerConfig(c)).toEqual(c);
    expect(resolveOptimizerConfig(JSON.parse(JSON.stringify(c)))).toEqual(c);
    expect(Object.isFrozen(c)).toBe(true);
    expect(createOptimizer(c).config).toEqual(c);
    for (const name of OPTIMIZER_NAMES) {
      const r = resolveOptimizerConfig({ name });
      expect(r).toEqual({ name, ...OPTIMIZER_DEFAULTS[name] });
      expect(resolveOptimizerConfig(r)).toEqual(r);
    }
  });

  it('treats fields set to undefined as absent', () => {
    expect(
      resolveOptimizerConfig({ name: 'adam', learningRate: undefined, momentum: undefined } as OptimizerConfig),
    ).toEqual(resolveOptimizerConfig({ name: 'adam' }));
  });

  it('reports the state slots each optimizer needs', () => {
    const slots = (c: OptimizerConfig) => createOptimizer(c).stateSlots;
    expect(slots({ name: 'sgd' })).toBe(0);
    expect(slots({ name: 'momentum' })).toBe(1);
    expect(slots({ name: 'momentum', nesterov: true })).toBe(1);
    expect(slots({ name: 'adam' })).toBe(2);
    expect(slots({ name: 'adamw' })).toBe(2);
    expect(slots({ name: 'rmsprop' })).toBe(1);
    expect(slots({ name: 'rmsprop', momentum: 0.9 })).toBe(2);
    expect(slots({ name: 'rmsprop', centered: true })).toBe(2);
    expect(slots({ name: 'rmsprop', centered: true, momentum: 0.9 })).toBe(3);
  });
});

describe('config validation', () => {
  const cases: Array<[string, unknown, string]> = [
    ['not an object', null, 'optimizer config must be an object with a name, got null'],
    ['an array', [], 'optimizer config must be an object with a name, got []'],
    ['missing name', {}, 'optimizer.name must be one of sgd, momentum, adam, adamw, rmsprop, got undefined'],
    [
      'unknown name',
      { name: 'adagrad' },
      'optimizer.name must be one of sgd, momentum, adam, adamw, rmsprop, got "adagrad"',
    ],
    ['an alias', { name: 'SGD' }, 'optimizer.name must be one of sgd, momentum, adam, adamw, rmsprop, got "SGD"'],
    [
      'negative learningRate',
      { name: 'sgd', learningRate: -1 },
      'optimizer.learningRate must be a positive finite number, got -1',
    ],
    [
      'zero learningRate',
      { name: 'adam', learningRate: 0 },
      'optimizer.learningRate must be a positive finite number, got 0',
    ],
    [
      'NaN learningRate',
      { name: 'adam', learningRate: Number.NaN },
      'optimizer.learningRate must be a positive finite number, got NaN',
    ],
    [
      'infinite learningRate',
      { name: 'sgd', learningRate: Infinity },
      'optimizer.learningRate must be a positive finite number, got Infinity',
    ],
    [
      'string learningRate',
      { name: 'sgd', learningRate: '0.1' },
      'optimizer.learningRate must be a positive finite number, got "0.1"',
    ],
    ['momentum > 1', { name: 'momentum', momentum: 1.5 }, 'optimizer.momentum must be a number in [0, 1], got 1.5'],
    [
      'negative momentum',
      { name: 'rmsprop', momentum: -0.1 },
      'optimizer.momentum must be a number in [0, 1], got -0.1',
    ],
    ['non-boolean nesterov', { name: 'momentum', nesterov: 1 }, 'optimizer.nesterov must be a boolean, got 1'],
    ['beta1 = 1', { name: 'adam', beta1: 1 }, 'optimizer.beta1 must be a number in [0, 1), got 1'],
    ['negative beta2', { name: 'adamw', beta2: -0.5 }, 'optimizer.beta2 must be a number in [0, 1), got -0.5'],
    ['zero epsilon', { name: 'adam', epsilon: 0 }, 'optimizer.epsilon must be a positive finite number, got 0'],
    [
      'negative weightDecay',
      { name: 'adamw', weightDecay: -0.01 },
      'optimizer.weightDecay must be a non-negative finite number, got -0.01',
    ],
    ['rho = 1', { name: 'rmsprop', rho: 1 }, 'optimizer.rho must be a number in [0, 1), got 1'],
    ['string centered', { name: 'rmsprop', centered: 'yes' }, 'optimizer.centered must be a boolean, got "yes"'],
    [
      'unknown option',
      { name: 'adam', lr: 0.1 },
      'optimizer has no option "lr"; the options are learningRate, momentum, nesterov, beta1, beta2, epsilon, weightDecay, rho, centered',
    ],
    [
      'momentum on sgd',
      { name: 'sgd', momentum: 0.9 },
      'optimizer.momentum does not apply to sgd (only to momentum, rmsprop), got 0.9; sgd takes learningRate',
    ],
    [
      'weightDecay on adam',
      { name: 'adam', weightDecay: 0.01 },
      'optimizer.weightDecay does not apply to adam (only to adamw), got 0.01; adam takes learningRate, beta1, beta2, epsilon',
    ],
    [
      'nesterov on rmsprop',
      { name: 'rmsprop', nesterov: true },
      'optimizer.nesterov does not apply to rmsprop (only to momentum), got true; rmsprop takes learningRate, rho, momentum, epsilon, centered',
    ],
    [
      'centered on adam',
      { name: 'adam', centered: true },
      'optimizer.centered does not apply to adam (only to rmsprop), got true; adam takes learningRate, beta1, beta2, epsilon',
    ],
  ];
  for (const [what, config, message] of cases) {
    it(`rejects ${what}`, () => {
      expect(() => createOptimizer(config as OptimizerConfig)).toThrow(message);
      expect(() => resolveOptimizerConfig(config as OptimizerConfig)).toThrow(message);
    });
  }

  it('throws TypeError for wrong types and RangeError for bad values', () => {
    expect(() => resolveOptimizerConfig({ name: 'sgd', learningRate: '1' as unknown as number })).toThrow(TypeError);
    expect(() => resolveOptimizerConfig({ name: 'rmsprop', centered: 0 as unknown as boolean })).toThrow(TypeError);
    expect(() => resolveOptimizerConfig({ name: 'sgd', learningRate: -1 })).toThrow(RangeError);
    expect(() => resolveOptimizerConfig({ name: 'nope' as 'sgd' })).toThrow(RangeError);
  });

  it('accepts the edges of each range, and unused fields at their resolved value', () => {
    expect(() => createOptimizer({ name: 'momentum', momentum: 0 })).not.toThrow();
    expect(() => createOptimizer({ name: 'momentum', momentum: 1 })).not.toThrow();
    expect(() => createOptimizer({ name: 'adam', beta1: 0, beta2: 0 })).not.toThrow();
    expect(() => createOptimizer({ name: 'adamw', weightDecay: 0 })).not.toThrow();
    expect(() => createOptimizer({ name: 'rmsprop', rho: 0 })).not.toThrow();
    expect(() =>
      createOptimizer({ name: 'sgd', momentum: 0, nesterov: false, weightDecay: 0 } as OptimizerConfig),
    ).not.toThrow();
  });
});

describe('update arguments', () => {
  const opt = createOptimizer({ name: 'adam' });
  const p = new Float32Array(4);
  const g = new Float32Array(4);
  const st = new Float32Array(8);
  it('rejects a range outside [0, paramCount)', () => {
    expect(() => opt.update(p, g, st, 4, -1, 2, 1)).toThrow('adam.update: the range [-1, 2)');
    expect(() => opt.update(p, g, st, 4, 3, 2, 1)).toThrow('adam.update: the range [3, 2)');
    expect(() => opt.update(p, g, st, 4, 0, 5, 1)).toThrow('adam.update: the range [0, 5)');
    expect(() => opt.update(p, g, st, 4, 0.5, 2, 1)).toThrow(RangeError);
  });
  it('rejects short arrays', () => {
    expect(() => opt.update(p, g, new Float32Array(7), 4, 0, 4, 1)).toThrow(
      'adam.update: state has 7 values, 2 slots x 4 parameters need 8',
    );
    expect(() => opt.update(p, new Float32Array(3), st, 4, 0, 4, 1)).toThrow('adam.update: grads has 3 values');
    expect(() => createOptimizer({ name: 'sgd' }).update(new Float32Array(2), g, st, 4, 0, 4, 1)).toThrow(
      'sgd.update: params has 2 values',
    );
  });
  it('rejects a step that is not 1-based for adam and adamw', () => {
    expect(() => opt.update(p, g, st, 4, 0, 4, 0)).toThrow(
      'adam.update: step is 1-based and must be a positive integer, got 0',
    );
    expect(() => createOptimizer({ name: 'adamw' }).update(p, g, st, 4, 0, 4, 1.5)).toThrow(
      'adamw.update: step is 1-based',
    );
  });
  it('accepts an empty range and leaves everything alone', () => {
    opt.update(p, g, st, 4, 2, 2, 1);
    opt.update(new Float32Array(0), new Float32Array(0), new Float32Array(0), 0, 0, 0, 1);
    expect(p.every((x) => x === 0) && st.every((x) => x === 0)).toBe(true);
  });
});
