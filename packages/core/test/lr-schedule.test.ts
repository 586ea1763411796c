// Learning-rate schedules: each schedule's rates per epoch (written out by hand from the Keras formulas), the
// same training as TensorFlow.js with the optimizer's rate set before each epoch, plateau's Keras semantics,
// and exact resumption from the schedule's saved state.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { bits } from '../../../test-utils/bits.js';
import { Mlp } from '../src/model/mlp.js';
import { mlpSpec } from '../src/model/spec.js';
import { createOptimizer } from '../src/optim/create.js';
import type { OptimizerConfig } from '../src/optim/optimizer.js';
import { fit } from '../src/train/fit.js';
import {
  advanceLrSchedule,
  initialLrScheduleState,
  type LrScheduleOptions,
  resolveLrSchedule,
} from '../src/train/lr-schedule.js';
import { resolveFitOptions } from '../src/train/options.js';
import { randomData } from './helpers.js';
import { maxAbsDiff, tfjsTwin } from './tfjs-build.js';
import { tfjsWeights, tfOptimizer } from './tfjs-helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const cos = (e: number) => 0.01 + (0.09 * (1 + Math.cos((Math.PI * e) / 6))) / 2;
/** Six epochs from lr0 = 0.1: the rates each schedule must give, worked out from its formula. */
const CASES: Array<{ schedule: LrScheduleOptions; rates: number[] }> = [
  { schedule: { name: 'step', decay: 0.5, stepEpochs: 2 }, rates: [0.1, 0.1, 0.05, 0.05, 0.025, 0.025] },
  { schedule: { name: 'exponential', decay: 0.8 }, rates: [0.1, 0.08, 0.064, 0.0512, 0.04096, 0.032768] },
  { schedule: { name: 'cosine', minLearningRate: 0.01 }, rates: [0, 1, 2, 3, 4, 5].map(cos) },
  // A cosine shorter than the run (Keras CosineDecay's decay_steps): at the final rate from epoch T on, not back up.
  {
    schedule: { name: 'cosine', stepEpochs: 3, minLearningRate: 0.01 },
    rates: [0.1, 0.01 + 0.09 * 0.75, 0.01 + 0.09 * 0.25, 0.01, 0.01, 0.01],
  },
  {
    schedule: { name: 'step', decay: 0.5, stepEpochs: 2, warmupEpochs: 2 },
    rates: [0.05, 0.1, 0.1, 0.1, 0.05, 0.05],
  },
  // minDelta 100: no epoch after the first improves, so with patience 1 every epoch halves the rate, down to 0.02.
  {
    schedule: { name: 'plateau', decay: 0.5, patience: 1, minDelta: 100, minLearningRate: 0.02, monitor: 'loss' },
    rates: [0.1, 0.1, 0.05, 0.025, 0.02, 0.02],
  },
];

const OPTIMIZERS: OptimizerConfig[] = [
  { name: 'sgd', learningRate: 0.1 },
  { name: 'adam', learningRate: 0.1 },
];

function setRate(opt: tf.Optimizer, lr: number): void {
  // SGD (and momentum) keep -lr as a tensor that setLearningRate replaces; Adam reads its field every step.
  const sgd = opt as unknown as { setLearningRate?: (lr: number) => void; learningRate: number };
  if (opt.getClassName() === 'SGD' || opt.getClassName() === 'Momentum') sgd.setLearningRate?.(lr);
  else sgd.learningRate = lr;
}

describe.each(['js', 'wasm'] as const)('learning-rate schedules match TensorFlow.js (%s kernels)', (kernels) => {
  for (const c of CASES) {
    for (const opt of OPTIMIZERS) {
      it(`${JSON.stringify(c.schedule)}, ${opt.name}: rates, weights after 6 epochs of 4 steps`, async () => {
        const spec = mlpSpec(5, [6, 2], 'tanh', 'sigmoid');
        const data = randomData(32, 5, 2, 'binaryCrossentropy', 4);
        const initial = Mlp.create(spec, { seed: 6 });
        const ours = initial.clone();
        const r = await fit(ours, data, {
          kernels,
          loss: 'bce',
          optimizer: opt,
          batchSize: 8,
          epochs: 6,
          shuffle: false,
          lrSchedule: c.schedule,
        });
        for (const [e, h] of r.history.entries()) expect(h.learningRate).toBeCloseTo(c.rates[e], 12);
        const twin = tfjsTwin(spec, initial.params);
        const tfOpt = tfOptimizer(createOptimizer(opt).config);
        twin.compile({ loss: 'binaryCrossentropy', optimizer: tfOpt });
        const x = tf.tensor2d(data.x, [data.rows, data.features]);
        const y = tf.tensor2d(data.y, [data.rows, data.outputs]);
        for (const rate of c.rates) {
          setRate(tfOpt, rate);
          await twin.fit(x, y, { batchSize: 8, epochs: 1, shuffle: false, verbose: 0 });
        }
        expect(maxAbsDiff(ours.params, await tfjsWeights(twin))).toBeLessThan(1e-5);
        // The schedule mattered: at the constant rate the weights end elsewhere.
        const constant = initial.clone();
        await fit(constant, data, { kernels, loss: 'bce', optimizer: opt, batchSize: 8, epochs: 6, shuffle: false });
        expect(maxAbsDiff(constant.params, ours.params)).toBeGreaterThan(1e-4);
        tf.dispose([x, y]);
        twin.dispose();
      });
    }
  }
});

describe('plateau follows Keras ReduceLROnPlateau', () => {
  it('a trace of monitored values: reductions after `patience` epochs without improvement, floored', () => {
    const s = resolveLrSchedule(
      { name: 'plateau', decay: 0.5, patience: 2, minDelta: 0.01, minLearningRate: 0.03, monitor: 'valLoss' },
      0.1,
      20,
      true,
    );
    let state = initialLrScheduleState(s, 0.1);
    const values = [1.0, 0.9, 0.895, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8];
    const rates: number[] = [];
    values.forEach((v, e) => {
      rates.push(state.learningRate);
      state = advanceLrSchedule(s, e, v, state);
    });
    // 0.895 is within minDelta of 0.9 (no improvement), then 0.9: two misses -> halve before epoch 4; 0.8
    // improves; two misses later 0.05 halves to 0.025, floored at 0.03, where it stays.
    expect(rates).toEqual([0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.03, 0.03, 0.03, 0.03]);
    expect(state.best).toBe(0.8);
  });

  it('watching an accuracy, higher is better', () => {
    const s = resolveLrSchedule({ name: 'plateau', patience: 1, monitor: 'valAccuracy', minDelta: 0 }, 1, 5, true);
    let state = initialLrScheduleState(s, 1);
    state = advanceLrSchedule(s, 0, 0.5, state);
    state = advanceLrSchedule(s, 1, 0.6, state);
    expect(state.learningRate).toBe(1);
    state = advanceLrSchedule(s, 2, 0.55, state);
    expect(state.learningRate).toBeCloseTo(0.1, 15);
  });
});

describe('schedule options are checked up front', () => {
  const base = { loss: 'mse' as const, optimizer: { name: 'sgd' as const, learningRate: 0.1 } };
  it.each([
    [{ name: 'linear' }, /lrSchedule.name must be one of constant, step, exponential, cosine, plateau/],
    [{ name: 'step', decay: -0.5 }, /decay must be a finite number > 0/],
    [{ name: 'step', decay: 1.5 }, /decay must be below 1 for step/],
    [{ name: 'step', stepEpochs: 0 }, /stepEpochs must be an integer >= 1/],
    [{ name: 'cosine', minLearningRate: 0.5 }, /minLearningRate \(0.5\) is above the learning rate/],
    [{ name: 'plateau', monitor: 'valLoss' }, /no validation data/],
    [{ name: 'exponential', warmupEpochs: -1 }, /warmupEpochs must be an integer >= 0/],
  ])('%j', (schedule, message) => {
    expect(() => resolveFitOptions({ ...base, lrSchedule: schedule as LrScheduleOptions })).toThrow(message);
  });
});

describe('a schedule resumes exactly from its saved state', () => {
  it.each(['js', 'wasm'] as const)('plateau, 3 + 3 epochs == 6 epochs, bit for bit (%s kernels)', async (kernels) => {
    const spec = mlpSpec(5, [6, 1], 'tanh', 'sigmoid');
    const data = randomData(64, 5, 1, 'meanSquaredError', 9);
    const opts = {
      kernels,
      loss: 'mse' as const,
      optimizer: { name: 'adam' as const, learningRate: 0.05 },
      batchSize: 16,
      seed: 3,
      validationSplit: 0.25,
      lrSchedule: { name: 'plateau' as const, patience: 1, decay: 0.5, minDelta: 1e-3 },
      l2: 0.001,
    };
    const whole = Mlp.create(spec, { seed: 1 });
    const all = await fit(whole, data, { ...opts, epochs: 6 });
    // The schedule reduced the rate at least once, so the state matters.
    expect(new Set(all.history.map((h) => h.learningRate)).size).toBeGreaterThan(1);
    const parts = Mlp.create(spec, { seed: 1 });
    const first = await fit(parts, data, { ...opts, epochs: 3 });
    const second = await fit(parts, data, {
      ...opts,
      epochs: 3,
      initialEpoch: first.nextEpoch,
      optimizerState: first.optimizerState,
      lrScheduleState: first.lrScheduleState,
    });
    expect(bits(parts.params).equals(bits(whole.params))).toBe(true);
    expect([...first.history, ...second.history].map((h) => h.learningRate)).toEqual(
      all.history.map((h) => h.learningRate),
    );
  });
});
