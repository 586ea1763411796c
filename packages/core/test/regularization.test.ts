// Weight penalties (Keras kernel_regularizer=L1L2): the same training as TensorFlow.js with the regularizer on
// every Dense kernel, weights and reported losses; and the penalized gradient against float64 finite differences.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { gradcheck } from '../src/gradcheck.js';
import { modelToArtifacts, toTfjsArtifacts } from '../src/io/artifacts.js';
import { Mlp } from '../src/model/mlp.js';
import { mlpSpec } from '../src/model/spec.js';
import { createOptimizer } from '../src/optim/create.js';
import type { OptimizerConfig } from '../src/optim/optimizer.js';
import { fit } from '../src/train/fit.js';
import { kernelPenalty } from '../src/train/penalty.js';
import { randomData } from './helpers.js';
import { maxAbsDiff, tfjsTwin } from './tfjs-build.js';
import { tfjsWeights, tfOptimizer } from './tfjs-helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const PENALTIES = [
  { l1: 0, l2: 0.01 },
  { l1: 0.005, l2: 0 },
  { l1: 0.003, l2: 0.02 },
];
const OPTIMIZERS: OptimizerConfig[] = [
  { name: 'sgd', learningRate: 0.1 },
  { name: 'adam', learningRate: 0.01 },
];

describe.each(['js', 'wasm'] as const)('L1/L2 kernel penalties match TensorFlow.js (%s kernels)', (kernels) => {
  for (const penalty of PENALTIES) {
    for (const opt of OPTIMIZERS) {
      it(`${JSON.stringify(penalty)}, ${opt.name}: weights and losses over two epochs of 5 steps`, async () => {
        const spec = mlpSpec(6, [8, 3], 'tanh', 'softmax');
        const data = randomData(80, 6, 3, 'categoricalCrossentropy', 11);
        const initial = Mlp.create(spec, { seed: 3 });
        const ours = initial.clone();
        const r = await fit(ours, data, {
          kernels,
          loss: 'cce',
          optimizer: opt,
          batchSize: 16,
          epochs: 2,
          shuffle: false,
          ...penalty,
        });
        const twin = tfjsTwin(spec, initial.params, penalty);
        twin.compile({ loss: 'categoricalCrossentropy', optimizer: tfOptimizer(createOptimizer(opt).config) });
        const x = tf.tensor2d(data.x, [data.rows, data.features]);
        const y = tf.tensor2d(data.y, [data.rows, data.outputs]);
        const h = await twin.fit(x, y, { batchSize: 16, epochs: 2, shuffle: false, verbose: 0 });
        expect(maxAbsDiff(ours.params, await tfjsWeights(twin))).toBeLessThan(1e-5);
        // The penalty moved the weights: without it the result differs by far more than the tolerance.
        const plain = initial.clone();
        await fit(plain, data, { kernels, loss: 'cce', optimizer: opt, batchSize: 16, epochs: 2, shuffle: false });
        expect(maxAbsDiff(plain.params, ours.params)).toBeGreaterThan(1e-4);
        for (let e = 0; e < 2; e++) {
          const theirs = h.history.loss[e] as number;
          expect(Math.abs(r.history[e].loss - theirs) / theirs).toBeLessThan(1e-5);
        }
        tf.dispose([x, y]);
        twin.dispose();
      });
    }
  }
});

describe('the reported loss includes the penalty as Keras reports it', () => {
  it('one step of one batch: loss = mean data loss + penalty of the weights before the step', async () => {
    const spec = mlpSpec(4, [5, 1], 'relu', 'linear');
    const data = randomData(12, 4, 1, 'meanSquaredError', 2);
    const initial = Mlp.create(spec, { seed: 8 });
    const penalty = { l1: 0.01, l2: 0.1 };
    const withPenalty = await fit(initial.clone(), data, { loss: 'mse', batchSize: 12, kernels: 'js', ...penalty });
    const without = await fit(initial.clone(), data, { loss: 'mse', batchSize: 12, kernels: 'js' });
    const expected = without.history[0].loss + kernelPenalty(initial.layout, initial.params, penalty.l1, penalty.l2);
    expect(withPenalty.history[0].loss).toBeCloseTo(expected, 12);
    expect(withPenalty.history[0].loss - without.history[0].loss).toBeGreaterThan(0.01);
  });

  it('biases are not penalized: a model whose kernels are zero has penalty 0 whatever its biases', () => {
    const m = Mlp.create(mlpSpec(3, [4, 2], 'tanh', 'linear'), { seed: 1 });
    for (const l of m.layout.layers) {
      m.params.fill(0, l.kernelOffset, l.kernelOffset + l.inSize * l.outSize);
      m.params.fill(5, l.biasOffset, l.biasOffset + l.outSize);
    }
    expect(kernelPenalty(m.layout, m.params, 1, 1)).toBe(0);
  });
});

describe('gradient check with penalties on (float64 finite differences)', () => {
  for (const penalty of PENALTIES) {
    it(`${JSON.stringify(penalty)}: every kernel and bias entry within 1e-6`, () => {
      const spec = mlpSpec(5, [7, 6, 3], 'tanh', 'softmax');
      const model = Mlp.create(spec, { seed: 4 });
      const batch = randomData(9, 5, 3, 'categoricalCrossentropy', 6);
      // Scale the penalties up so they dominate some entries' gradients: an error in them cannot hide.
      const r = gradcheck(model, batch, { loss: 'cce', l1: penalty.l1 * 10, l2: penalty.l2 * 10 });
      expect(r.maxRelError).toBeLessThan(1e-6);
      const plain = gradcheck(model, batch, { loss: 'cce' });
      expect(plain.maxRelError).toBeLessThan(1e-6);
    });
  }

  it('penalties with dropout and row weights: the loss and gradient of all of them together', () => {
    const model = Mlp.create(mlpSpec(5, [7, 6, 3], 'tanh', 'softmax', [0.3, 0.5]), { seed: 4 });
    const batch = randomData(9, 5, 3, 'categoricalCrossentropy', 6);
    const weights = [0.5, 2, 1, 0, 3, 1.5, 1, 0.25, 2];
    const options = { loss: 'cce' as const, l1: 0.01, l2: 0.1, weights, runSeed: 4, epoch: 1 };
    // (Each part alone is checked, and shown to change the gradient, in its own tests.)
    expect(gradcheck(model, batch, options).maxRelError).toBeLessThan(1e-6);
  });
});

describe('model.json records the penalties as Keras L1L2 kernel regularizers', () => {
  it('tfjs loads every Dense layer with the same regularizer config it writes itself', async () => {
    const spec = mlpSpec(3, [4, 2], 'relu', 'softmax');
    const m = Mlp.create(spec, { seed: 1 });
    const penalty = { l1: 0.001, l2: 0.02 };
    const artifacts = modelToArtifacts(spec, m.params, {}, { kernelRegularizer: penalty });
    const loaded = await tf.loadLayersModel(
      tf.io.fromMemory(toTfjsArtifacts(artifacts.modelJson, artifacts.weightData) as tf.io.ModelArtifacts),
    );
    const twin = tfjsTwin(spec, m.params, penalty);
    for (let i = 0; i < spec.layers.length; i++) {
      const ours = loaded.layers[i].getConfig().kernelRegularizer;
      expect(ours).toEqual({ className: 'L1L2', config: penalty });
      expect(ours).toEqual(twin.layers[i].getConfig().kernelRegularizer);
      expect(loaded.layers[i].getConfig().biasRegularizer).toBeNull();
    }
    // No penalty, no regularizer.
    const plain = modelToArtifacts(spec, m.params, {}, { kernelRegularizer: { l1: 0, l2: 0 } });
    const layers = (plain.modelJson.modelTopology as { config: { layers: Array<{ config: Record<string, unknown> }> } })
      .config.layers;
    expect(layers.every((l) => l.config.kernel_regularizer === null)).toBe(true);
    loaded.dispose();
    twin.dispose();
  });
});
