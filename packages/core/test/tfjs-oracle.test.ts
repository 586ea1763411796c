// The golden test: the same network, initial weights, data and optimizer in real TensorFlow.js (cpu backend)
// and in shardprop must produce the same weights and losses after 1 and after 10 training steps.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../src/data/dataset.js';
import { type LossName, lossAndGradient } from '../src/losses/loss.js';
import type { ActivationName } from '../src/model/activation-names.js';
import { Mlp } from '../src/model/mlp.js';
import { mlpSpec } from '../src/model/spec.js';
import { createOptimizer } from '../src/optim/create.js';
import type { OptimizerConfig } from '../src/optim/optimizer.js';
import { fit } from '../src/train/fit.js';
import { randomData } from './helpers.js';
import { tfjsWeights, tfOptimizer, toTfjs } from './tfjs-helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function rowsOf(d: Dataset, from: number, to: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  return {
    x: tf.tensor2d(d.x.slice(from * d.features, to * d.features), [to - from, d.features]),
    y: tf.tensor2d(d.y.slice(from * d.outputs, to * d.outputs), [to - from, d.outputs]),
  };
}

function firstRows(d: Dataset, rows: number): Dataset {
  return { ...d, rows, x: d.x.slice(0, rows * d.features), y: d.y.slice(0, rows * d.outputs) };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const ARCHS: Array<{ name: string; hidden: ActivationName; out: ActivationName; loss: LossName; outputs: number }> = [
  { name: 'sigmoid / mse (the seed problem)', hidden: 'sigmoid', out: 'sigmoid', loss: 'meanSquaredError', outputs: 1 },
  { name: 'tanh / sigmoid + bce', hidden: 'tanh', out: 'sigmoid', loss: 'binaryCrossentropy', outputs: 2 },
  { name: 'relu / softmax + cce', hidden: 'relu', out: 'softmax', loss: 'categoricalCrossentropy', outputs: 4 },
  {
    name: 'elu / softmax + sparse cce',
    hidden: 'elu',
    out: 'softmax',
    loss: 'sparseCategoricalCrossentropy',
    outputs: 3,
  },
  { name: 'leakyRelu / linear + mse', hidden: 'leakyRelu', out: 'linear', loss: 'meanSquaredError', outputs: 2 },
];

const OPTIMIZERS: OptimizerConfig[] = [
  { name: 'sgd', learningRate: 0.1 },
  { name: 'momentum', learningRate: 0.05, momentum: 0.9 },
  { name: 'momentum', learningRate: 0.05, momentum: 0.9, nesterov: true },
  { name: 'adam', learningRate: 0.001 },
  { name: 'rmsprop', learningRate: 0.001 },
  // Centered RMSprop is left out here: tfjs 4.22 computes sqrt(ms - mg^2 - eps), which is NaN for small
  // gradients. test/optim.test.ts checks our sqrt(max(ms - mg^2, 0) + eps) against that formula built from tf ops.
  { name: 'rmsprop', learningRate: 0.001, momentum: 0.5 },
];

const BATCH = 16;

describe.each(['js', 'wasm'] as const)('training matches TensorFlow.js step for step (%s kernels)', (kernels) => {
  for (const arch of ARCHS) {
    for (const opt of OPTIMIZERS) {
      it(`${arch.name}, ${JSON.stringify(opt)}`, async () => {
        const spec = mlpSpec(6, [8, 7, arch.outputs], arch.hidden, arch.out);
        const data = randomData(10 * BATCH, 6, arch.outputs, arch.loss, 5);
        const initial = Mlp.create(spec, { seed: 9 });

        const tfModel = toTfjs(spec, initial.params);
        const ours1 = initial.clone();
        const r1 = await fit(ours1, firstRows(data, BATCH), {
          kernels,
          loss: arch.loss,
          optimizer: opt,
          batchSize: BATCH,
          shuffle: false,
        });
        tfModel.compile({ loss: arch.loss, optimizer: tfOptimizer(createOptimizer(opt).config) });
        const tfLosses: number[] = [];
        for (let s = 0; s < 10; s++) {
          const { x, y } = rowsOf(data, s * BATCH, (s + 1) * BATCH);
          tfLosses.push((await tfModel.trainOnBatch(x, y)) as number);
          if (s === 0) {
            expect(maxAbsDiff(ours1.params, await tfjsWeights(tfModel))).toBeLessThan(1e-5);
            expect(r1.history[0].loss).toBeCloseTo(tfLosses[0], 5);
            expect(Math.abs(r1.history[0].loss - tfLosses[0]) / tfLosses[0]).toBeLessThan(1e-5);
          }
          tf.dispose([x, y]);
        }
        const ours10 = initial.clone();
        const r10 = await fit(ours10, data, {
          kernels,
          loss: arch.loss,
          optimizer: opt,
          batchSize: BATCH,
          shuffle: false,
        });
        expect(r10.kernels).toBe(kernels);
        const tfMean = tfLosses.reduce((a, b) => a + b, 0) / tfLosses.length;
        expect(maxAbsDiff(ours10.params, await tfjsWeights(tfModel))).toBeLessThan(1e-5);
        expect(Math.abs(r10.history[0].loss - tfMean) / tfMean).toBeLessThan(1e-5);
        // Ten steps must actually have moved the weights, or the comparison proves nothing.
        expect(maxAbsDiff(ours10.params, initial.params)).toBeGreaterThan(1e-4);
        tfModel.dispose();
      });
    }
  }
});

describe.each(['js', 'wasm'] as const)(
  'a partial last batch matches TensorFlow.js model.fit (%s kernels)',
  (kernels) => {
    // 37 rows in batches of 16: the last step averages over 5 rows, not 16.
    for (const opt of [
      { name: 'sgd', learningRate: 0.1 },
      { name: 'adam', learningRate: 0.01 },
    ] as OptimizerConfig[]) {
      it(`37 rows, batch 16, ${opt.name}: weights and epoch loss`, async () => {
        const rows = 2 * BATCH + 5;
        const spec = mlpSpec(6, [8, 2], 'tanh', 'sigmoid');
        const data = randomData(rows, 6, 2, 'binaryCrossentropy', 8);
        const initial = Mlp.create(spec, { seed: 4 });
        const ours = initial.clone();
        const result = await fit(ours, data, {
          kernels,
          loss: 'bce',
          optimizer: opt,
          batchSize: BATCH,
          shuffle: false,
        });

        const tfModel = toTfjs(spec, initial.params);
        tfModel.compile({ loss: 'binaryCrossentropy', optimizer: tfOptimizer(createOptimizer(opt).config) });
        const { x, y } = rowsOf(data, 0, rows);
        const history = await tfModel.fit(x, y, { batchSize: BATCH, epochs: 1, shuffle: false, verbose: 0 });
        const tfLoss = history.history.loss[0] as number;
        expect(maxAbsDiff(ours.params, await tfjsWeights(tfModel))).toBeLessThan(1e-5);
        expect(Math.abs(result.history[0].loss - tfLoss) / tfLoss).toBeLessThan(1e-5);
        tf.dispose([x, y]);
        tfModel.dispose();
      });
    }
  },
);

describe('cross-entropy at saturated outputs matches TensorFlow.js (Keras clipping, both ends)', () => {
  // Probabilities at and beyond the clip points 1e-7 and 1 - 1e-7, against both targets.
  const p = Float32Array.from([1, 0, 1 - 1e-9, 1e-9, 1e-30, 0.9999999, 1e-7, 0.5]);

  it('binaryCrossentropy: per-row losses equal tf.metrics.binaryCrossentropy', () => {
    for (const target of [0, 1]) {
      const y = new Float32Array(p.length).fill(target);
      const dz = new Float32Array(p.length);
      const theirs = tf.metrics.binaryCrossentropy(tf.tensor2d(y, [p.length, 1]), tf.tensor2d(p, [p.length, 1]));
      const expected = theirs.dataSync();
      for (let r = 0; r < p.length; r++) {
        const ours = lossAndGradient('binaryCrossentropy', 'sigmoid', p, r, y, r, dz, r, 1, 1);
        expect(Number.isFinite(ours)).toBe(true);
        expect(Math.abs(ours - expected[r])).toBeLessThan(1e-5 * Math.max(1, expected[r]));
      }
      theirs.dispose();
    }
  });

  it('categoricalCrossentropy: per-row losses equal tf.metrics.categoricalCrossentropy', () => {
    // Three classes; each row puts probability p on class 0 and splits the rest.
    const rows = p.length;
    const a = new Float32Array(rows * 3);
    for (let r = 0; r < rows; r++) a.set([p[r], (1 - p[r]) / 2, (1 - p[r]) / 2], r * 3);
    for (const cls of [0, 1]) {
      const y = new Float32Array(rows * 3);
      for (let r = 0; r < rows; r++) y[r * 3 + cls] = 1;
      const dz = new Float32Array(3);
      const theirs = tf.metrics.categoricalCrossentropy(tf.tensor2d(y, [rows, 3]), tf.tensor2d(a, [rows, 3]));
      const expected = theirs.dataSync();
      for (let r = 0; r < rows; r++) {
        const ours = lossAndGradient('categoricalCrossentropy', 'softmax', a, r * 3, y, r * 3, dz, 0, 1, 3);
        expect(Number.isFinite(ours)).toBe(true);
        expect(Math.abs(ours - expected[r])).toBeLessThan(1e-5 * Math.max(1, expected[r]));
      }
      theirs.dispose();
    }
  });
});
