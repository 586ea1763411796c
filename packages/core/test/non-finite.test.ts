// Non-finite numbers: data checked up front (named by row and column), and one policy for every trainer when
// training diverges: a TrainingError whose message and `epoch` agree, and the weights of the failed epoch's
// start. Needs the compiled worker for fitParallel (the test task builds first).
import { describe, expect, it } from 'vitest';
import { bits } from '../../../test-utils/bits.js';
import type { Dataset } from '../src/data/dataset.js';
import { checkFiniteData, firstNonFinite } from '../src/data/finite.js';
import { Mlp } from '../src/model/mlp.js';
import { mlpSpec } from '../src/model/spec.js';
import { fitParallel } from '../src/parallel/trainer.js';
import { fit } from '../src/train/fit.js';
import { TrainingError } from '../src/train/loop.js';
import type { FitOptions } from '../src/train/options.js';
import { randomData } from './helpers.js';

type Trainer = (m: Mlp, data: Dataset, opts: FitOptions) => Promise<unknown>;
// Name, backend (results are bitwise equal per backend), trainer.
const TRAINERS: [string, 'js' | 'wasm', Trainer][] = [
  ['fit, js kernels', 'js', (m, d, o) => fit(m, d, o)],
  ['fit, wasm kernels', 'wasm', (m, d, o) => fit(m, d, o)],
  ['fitParallel, 2 threads, js kernels', 'js', (m, d, o) => fitParallel(m, d, { ...o, threads: 2 })],
  ['fitParallel, 2 threads, wasm kernels', 'wasm', (m, d, o) => fitParallel(m, d, { ...o, threads: 2 })],
];

/** Large inputs in a few rows: the loss turns non-finite in the middle of the second epoch (epoch 1, step 3). */
function diverging(): { data: Dataset; spec: ReturnType<typeof mlpSpec>; opts: FitOptions } {
  const data = randomData(128, 5, 1, 'meanSquaredError');
  data.x.fill(30, 0, 5 * 10);
  return {
    data,
    spec: mlpSpec(5, [8, 1], 'relu', 'linear'),
    opts: { loss: 'mse', optimizer: { name: 'sgd', learningRate: 0.05 }, epochs: 8, batchSize: 16, shuffle: false },
  };
}

describe('non-finite data is refused before the first step', () => {
  it.each([
    ['NaN', 'x', 7, 2],
    ['Infinity', 'x', 0, 0],
    ['-Infinity', 'y', 99, 0],
  ] as const)('%s in %s is named by row and column', async (value, part, row, col) => {
    const data = randomData(100, 3, 1, 'meanSquaredError');
    const width = part === 'x' ? 3 : 1;
    data[part][row * width + col] = Number(value);
    let steps = 0;
    const err = await fit(Mlp.create(mlpSpec(3, [4, 1]), { seed: 1 }), data, {
      loss: 'mse',
      epochs: 1,
      callbacks: { onBatchEnd: () => void steps++ },
    }).catch((e) => e);
    expect(err).toBeInstanceOf(RangeError);
    expect(err.message).toBe(
      `training data: ${part === 'x' ? 'feature' : 'target'} ${col} of row ${row} (counted from 0) is ${value}; ` +
        'features and targets must be finite numbers (float32: beyond +-3.4e38 is Infinity)',
    );
    expect(steps).toBe(0);
  });

  it('validation data is checked too, and by fitParallel', async () => {
    const data = randomData(100, 3, 1, 'meanSquaredError');
    const validationData = randomData(20, 3, 1, 'meanSquaredError');
    validationData.x[5] = Number.NaN;
    const err = await fitParallel(Mlp.create(mlpSpec(3, [4, 1]), { seed: 1 }), data, {
      loss: 'mse',
      validationData,
      threads: 2,
    }).catch((e) => e);
    expect(err.message).toMatch(/^validation data: feature 2 of row 1 \(counted from 0\) is NaN/);
  });

  it('firstNonFinite finds the first NaN or Infinity, and checkFiniteData passes finite data', () => {
    expect(firstNonFinite(new Float32Array([1, -3.4e38, 0]))).toBe(-1);
    expect(firstNonFinite(new Float32Array([1, 2, Number.POSITIVE_INFINITY, Number.NaN]))).toBe(2);
    expect(firstNonFinite(new Float32Array([Number.NaN]))).toBe(0);
    expect(() => checkFiniteData(randomData(10, 2, 2, 'meanSquaredError'))).not.toThrow();
  });
});

describe('divergence: one documented behaviour for every trainer', () => {
  it.each(TRAINERS)(
    '%s: a non-finite loss leaves the weights of the failed epoch start; message and e.epoch agree',
    async (_name, kernels, train) => {
      const { data, spec, opts } = diverging();
      const m = Mlp.create(spec, { seed: 1 });
      const err = await train(m, data, { ...opts, kernels }).catch((e) => e);
      expect(err).toBeInstanceOf(TrainingError);
      const e = err as TrainingError;
      // Mid-epoch in a later epoch, so that both "the updated weights" and "the initial weights" would differ.
      expect(e.epoch).toBeGreaterThan(0);
      expect(e.step).toBeGreaterThan(1);
      expect(e.message).toMatch(/^loss became (NaN|Infinity|-Infinity) at epoch (\d+) \(counted from 0\), step (\d+):/);
      const [, epochInMessage, stepInMessage] = /at epoch (\d+) \(counted from 0\), step (\d+)/.exec(e.message) ?? [];
      expect([Number(epochInMessage), Number(stepInMessage)]).toEqual([e.epoch, e.step]);
      // The same weights as a run of exactly the epochs before the failed one.
      const reference = Mlp.create(spec, { seed: 1 });
      await fit(reference, data, { ...opts, epochs: e.epoch, kernels });
      expect(bits(m.params).equals(bits(reference.params))).toBe(true);
    },
    30_000,
  );

  it.each(TRAINERS)(
    '%s: weights that overflow in the last step (the loss never saw them) stop the run too',
    async (_name, kernels, train) => {
      // One step per epoch and a learning rate of 1e300: the first step's loss is finite, its update is not.
      const data = randomData(64, 4, 1, 'meanSquaredError');
      const m = Mlp.create(mlpSpec(4, [6, 1], 'relu', 'linear'), { seed: 3 });
      const start = m.params.slice();
      const opts: FitOptions = { loss: 'mse', optimizer: { name: 'sgd', learningRate: 1e300 }, batchSize: 64, kernels };
      const err = (await train(m, data, { ...opts, epochs: 3 }).catch((e) => e)) as TrainingError;
      expect(err).toBeInstanceOf(TrainingError);
      expect(err.message).toMatch(
        /^weight \d+ became (NaN|Infinity|-Infinity) at epoch 0 \(counted from 0\), by step 1: lower the learning rate$/,
      );
      expect([err.epoch, err.step]).toEqual([0, 1]);
      expect(bits(m.params).equals(bits(start))).toBe(true);
    },
    30_000,
  );
});
