// Class and sample weights: class weights against real tfjs `fit` with `classWeight`, sample weights against a
// float64 reference written here, the same bits for any thread count, gradients, and the checks on bad weights.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { bits } from '../../../test-utils/bits.js';
import type { Dataset } from '../src/data/dataset.js';
import { balancedClassWeights, rowWeights } from '../src/data/row-weights.js';
import { gradcheck } from '../src/gradcheck.js';
import type { LossName } from '../src/losses/loss.js';
import type { ActivationName } from '../src/model/activation-names.js';
import { Mlp } from '../src/model/mlp.js';
import { mlpSpec } from '../src/model/spec.js';
import { fitParallel } from '../src/parallel/trainer.js';
import { fit } from '../src/train/fit.js';
import { GRADCHECK_HEADS, offsetBiases, randomData } from './helpers.js';
import { tfjsWeights, toTfjs } from './tfjs-helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('class weights: the same training as tfjs fit with classWeight', () => {
  const cases: Array<{ loss: LossName; out: ActivationName; outputs: number; classWeight: 'balanced' | number[] }> = [
    { loss: 'categoricalCrossentropy', out: 'softmax', outputs: 3, classWeight: [1, 3, 0.5] },
    { loss: 'sparseCategoricalCrossentropy', out: 'softmax', outputs: 3, classWeight: 'balanced' },
    { loss: 'binaryCrossentropy', out: 'sigmoid', outputs: 1, classWeight: [0.3, 2] },
  ];
  for (const c of cases) {
    it.each(['js', 'wasm'] as const)(`${c.loss}, class weights ${JSON.stringify(c.classWeight)}, %s`, async (k) => {
      const spec = mlpSpec(6, [8, c.outputs], 'tanh', c.out);
      const data = unbalanced(randomData(96, 6, c.outputs, c.loss, 5), c.loss);
      const model = Mlp.create(spec, { seed: 4 });
      const tfModel = toTfjs(spec, model.params);
      const classWeight =
        c.classWeight === 'balanced' ? balancedClassWeights(data) : Object.fromEntries(c.classWeight.entries());
      tfModel.compile({ optimizer: tf.train.sgd(0.1), loss: c.loss });
      const x = tf.tensor2d(data.x, [data.rows, data.features]);
      const y = tf.tensor2d(data.y, [data.rows, data.outputs]);
      const tfHistory = await tfModel.fit(x, y, { batchSize: 16, epochs: 2, shuffle: false, classWeight, verbose: 0 });
      const ours = await fit(model, data, {
        loss: c.loss,
        optimizer: { name: 'sgd', learningRate: 0.1 },
        batchSize: 16,
        epochs: 2,
        shuffle: false,
        classWeight: c.classWeight === 'balanced' ? 'balanced' : classWeight,
        kernels: k,
      });
      expect(maxAbsDiff(model.params, await tfjsWeights(tfModel))).toBeLessThan(1e-5);
      const tfLoss = tfHistory.history.loss as number[];
      ours.history.forEach((h, i) => {
        expect(Math.abs(h.loss - tfLoss[i])).toBeLessThan(1e-5 * Math.max(1, tfLoss[i]));
      });
      // The weights matter here: unweighted training ends elsewhere.
      const plain = Mlp.create(spec, { seed: 4 });
      await fit(plain, data, {
        loss: c.loss,
        optimizer: { name: 'sgd', learningRate: 0.1 },
        batchSize: 16,
        epochs: 2,
        shuffle: false,
      });
      expect(maxAbsDiff(plain.params, model.params)).toBeGreaterThan(1e-4);
      tf.dispose([x, y]);
      tfModel.dispose();
    });
  }

  it("'balanced' is scikit-learn's n_samples / (n_classes * count) over the training rows", () => {
    const y = new Float32Array([0, 0, 0, 1, 2, 2]);
    const data: Dataset = { x: new Float32Array(6), y, rows: 6, features: 1, outputs: 1 };
    expect(balancedClassWeights(data)).toEqual({ 0: 6 / 9, 1: 6 / 3, 2: 6 / 6 });
    // A validation split holds out the last rows: 'balanced' counts only the rows that train.
    const w = rowWeights(
      { ...data, rows: 4, y: y.slice(0, 4) },
      'sparseCategoricalCrossentropy',
      'balanced',
      undefined,
    );
    expect(Array.from(w ?? [])).toEqual([4 / 6, 4 / 6, 4 / 6, 2].map(Math.fround));
  });
});

/** Makes class 0 three times as frequent as in `d` (so that 'balanced' is not all ones). */
function unbalanced(d: Dataset, loss: LossName): Dataset {
  const y = d.y.slice();
  for (let r = 0; r < d.rows; r += 2) {
    if (loss === 'categoricalCrossentropy') {
      for (let j = 0; j < d.outputs; j++) y[r * d.outputs + j] = j === 0 ? 1 : 0;
    } else y[r] = 0;
  }
  return { ...d, y };
}

/**
 * Float64 reference: a tanh hidden layer and a linear output trained with plain SGD on mean squared error, batch
 * loss `sum(w * loss) / batchRows`, rows in order.
 */
function referenceTrain(
  params: Float64Array,
  data: Dataset,
  weights: ArrayLike<number>,
  rows: number,
  hidden: number,
  lr: number,
  batch: number,
  epochs: number,
): void {
  const n = data.features;
  const o = data.outputs;
  const w1 = 0;
  const b1 = n * hidden;
  const w2 = b1 + hidden;
  const b2 = w2 + hidden * o;
  for (let e = 0; e < epochs; e++) {
    for (let from = 0; from < rows; from += batch) {
      const to = Math.min(rows, from + batch);
      const g = new Float64Array(params.length);
      for (let r = from; r < to; r++) {
        const h = new Float64Array(hidden);
        for (let j = 0; j < hidden; j++) {
          let z = params[b1 + j];
          for (let i = 0; i < n; i++) z += data.x[r * n + i] * params[w1 + i * hidden + j];
          h[j] = Math.tanh(z);
        }
        const dOut = new Float64Array(o);
        for (let k = 0; k < o; k++) {
          let out = params[b2 + k];
          for (let j = 0; j < hidden; j++) out += h[j] * params[w2 + j * o + k];
          dOut[k] = (weights[r] * 2 * (out - data.y[r * o + k])) / o / (to - from);
        }
        for (let j = 0; j < hidden; j++) {
          let dh = 0;
          for (let k = 0; k < o; k++) {
            g[w2 + j * o + k] += h[j] * dOut[k];
            dh += dOut[k] * params[w2 + j * o + k];
          }
          const dz = dh * (1 - h[j] * h[j]);
          g[b1 + j] += dz;
          for (let i = 0; i < n; i++) g[w1 + i * hidden + j] += data.x[r * n + i] * dz;
        }
        for (let k = 0; k < o; k++) g[b2 + k] += dOut[k];
      }
      for (let i = 0; i < params.length; i++) params[i] -= lr * g[i];
    }
  }
}

describe('sample weights', () => {
  const data = randomData(120, 5, 2, 'meanSquaredError', 9);
  const sampleWeight = Float32Array.from({ length: 120 }, (_, r) => (r % 7 === 0 ? 0 : 0.25 + (r % 5)));

  it.each(['js', 'wasm'] as const)(
    'train as the float64 reference (validation split holds out theirs), %s',
    async (k) => {
      const spec = mlpSpec(5, [6, 2], 'tanh', 'linear');
      const model = Mlp.create(spec, { seed: 2 });
      const reference = Float64Array.from(model.params);
      await fit(model, data, {
        loss: 'mse',
        optimizer: { name: 'sgd', learningRate: 0.05 },
        batchSize: 16,
        epochs: 3,
        shuffle: false,
        validationSplit: 0.25,
        sampleWeight,
        kernels: k,
      });
      referenceTrain(reference, data, sampleWeight, 90, 6, 0.05, 16, 3);
      expect(maxAbsDiff(model.params, reference)).toBeLessThan(1e-5);
    },
  );

  it('the loss is the mean of weighted losses over the batch, not divided by the sum of the weights', async () => {
    const spec = mlpSpec(5, [6, 2], 'tanh', 'linear');
    // One batch of every row: the epoch's loss is the loss at the initial weights.
    const opts = { loss: 'mse' as const, batchSize: 120, kernels: 'js' as const };
    const plain = await fit(Mlp.create(spec, { seed: 2 }), data, opts);
    const doubled = await fit(Mlp.create(spec, { seed: 2 }), data, {
      ...opts,
      sampleWeight: new Float32Array(120).fill(2),
    });
    expect(doubled.history[0].loss).toBeCloseTo(2 * plain.history[0].loss, 12);
  });

  it.each(['js', 'wasm'] as const)('class and sample weights: threads 1-4 give the bits of fit, %s', async (k) => {
    const spec = mlpSpec(8, [12, 9, 3], 'relu', 'softmax', 0.2);
    const d = randomData(300, 8, 3, 'categoricalCrossentropy', 3);
    const opts = {
      loss: 'cce' as const,
      optimizer: { name: 'adam' as const, learningRate: 0.01 },
      epochs: 2,
      batchSize: 64,
      seed: 5,
      validationSplit: 0.1,
      classWeight: { 0: 0.5, 1: 2, 2: 1 },
      sampleWeight: Float32Array.from({ length: 300 }, (_, r) => 1 + (r % 3)),
      kernels: k,
    };
    const reference = Mlp.create(spec, { seed: 2 });
    const ref = await fit(reference, d, opts);
    for (const threads of [1, 2, 3, 4]) {
      const m = Mlp.create(spec, { seed: 2 });
      const r = await fitParallel(m, d, { ...opts, threads });
      expect(bits(m.params).equals(bits(reference.params)), `threads=${threads}`).toBe(true);
      expect(r.history.map((h) => h.loss)).toEqual(ref.history.map((h) => h.loss));
    }
  });

  for (const [out, loss, outputs] of GRADCHECK_HEADS) {
    it(`gradients with row weights match float64 finite differences: ${out} + ${loss}`, () => {
      const model = Mlp.create(mlpSpec(5, [7, 6, outputs], 'tanh', out, 0.3), { seed: 3 });
      offsetBiases(model);
      const weights = [0, 0.5, 1, 2, 3.5, 1, 0.25, 4, 1];
      const result = gradcheck(model, randomData(9, 5, outputs, loss, 11), { loss, weights });
      expect(result.maxRelError).toBeLessThan(1e-6);
    });
  }

  it('refuses bad weights with a message that says which', async () => {
    const spec = mlpSpec(5, [2], 'linear');
    const m = Mlp.create(spec);
    const bad = sampleWeight.slice();
    bad[17] = -1;
    await expect(fit(m, data, { loss: 'mse', sampleWeight: bad })).rejects.toThrow(
      'options.sampleWeight[17] is -1: weights must be finite numbers >= 0',
    );
    await expect(fit(m, data, { loss: 'mse', sampleWeight: new Float32Array(3) })).rejects.toThrow(
      'options.sampleWeight has 3 weights, the data has 120 rows',
    );
    await expect(fit(m, data, { loss: 'mse', classWeight: 'balanced' })).rejects.toThrow(
      'options.classWeight needs a classification loss',
    );
    const labels = randomData(40, 5, 3, 'sparseCategoricalCrossentropy', 2);
    const c = Mlp.create(mlpSpec(5, [3], 'softmax'));
    await expect(fit(c, labels, { loss: 'scce', classWeight: { 0: 1, 1: 2 } })).rejects.toThrow(
      'options.classWeight has no weight for class 2',
    );
    await expect(fit(c, labels, { loss: 'scce', classWeight: { a: 1 } as never })).rejects.toThrow(
      'options.classWeight has key "a", not a class index',
    );
    await expect(fit(c, labels, { loss: 'scce', classWeight: { 0: -1 } })).rejects.toThrow(
      'options.classWeight[0] must be a finite number >= 0',
    );
  });
});
