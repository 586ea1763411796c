// Dropout: the counter-based mask, gradients with a fixed mask, the same bits for any thread count and across a
// resume, rate 0 as no dropout, and model.json Dropout layers that tfjs loads and predicts with as we do.
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bits } from '../../../test-utils/bits.js';
import { toOnnx, toSafetensors } from '../src/export/index.js';
import { gradcheck } from '../src/gradcheck.js';
import { modelFromArtifacts, modelToArtifacts, toTfjsArtifacts } from '../src/io/artifacts.js';
import { jsKernels } from '../src/kernels/kernels.js';
import { dropoutBits, dropoutMask, dropoutThreshold } from '../src/model/dropout.js';
import { Mlp } from '../src/model/mlp.js';
import { mlpSpec, validateSpec } from '../src/model/spec.js';
import { fitParallel } from '../src/parallel/trainer.js';
import { fit } from '../src/train/fit.js';
import { shardGradient } from '../src/train/step.js';
import { createWorkspace } from '../src/train/workspace.js';
import { GRADCHECK_HEADS, GRADCHECK_HIDDEN, offsetBiases, randomData } from './helpers.js';

describe('dropout mask', () => {
  it('a unit is dropped with probability rate, and kept units are scaled by 1 / (1 - rate)', () => {
    const rows = 400;
    const cols = 50;
    const order = Int32Array.from({ length: rows }, (_, i) => i);
    for (const rate of [0.1, 0.5, 0.8]) {
      const mask = new Float32Array(rows * cols);
      dropoutMask(mask, 0, rows, cols, rate, 7, 3, 1, order, 0);
      const dropped = mask.filter((m) => m === 0).length / mask.length;
      // 20,000 draws: 4 standard deviations of the fraction are at most 0.015.
      expect(Math.abs(dropped - rate)).toBeLessThan(0.015);
      expect(new Set(mask)).toEqual(new Set([0, Math.fround(1 / (1 - rate))]));
    }
  });

  it('depends only on (seed, epoch, dataset row, layer, unit): not on where the row sits in a batch', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 0, max: 19 }),
        (seed, epoch, rowIds, at) => {
          const order = Int32Array.from(rowIds);
          const cols = 9;
          const mask = new Float64Array(order.length * cols);
          dropoutMask(mask, 0, order.length, cols, 0.3, seed, epoch, 2, order, 0);
          const i = at % order.length;
          const single = new Float64Array(cols);
          dropoutMask(single, 0, 1, cols, 0.3, seed, epoch, 2, order, i);
          expect(Array.from(mask.subarray(i * cols, (i + 1) * cols))).toEqual(Array.from(single));
          for (let j = 0; j < cols; j++) {
            const keep = dropoutBits(seed, epoch, order[i], 2, j) >= dropoutThreshold(0.3);
            expect(single[j] !== 0).toBe(keep);
          }
        },
      ),
    );
  });

  it('different epochs, rows, layers and seeds draw different masks', () => {
    const order = Int32Array.from({ length: 64 }, (_, i) => i);
    const draw = (seed: number, epoch: number, layer: number, from = 0) => {
      const m = new Float32Array(32 * 16);
      dropoutMask(m, 0, 32, 16, 0.5, seed, epoch, layer, order, from);
      return bits(m);
    };
    const base = draw(1, 0, 0);
    expect(draw(1, 0, 0).equals(base)).toBe(true);
    expect(draw(2, 0, 0).equals(base)).toBe(false);
    expect(draw(1, 1, 0).equals(base)).toBe(false);
    expect(draw(1, 0, 1).equals(base)).toBe(false);
    expect(draw(1, 0, 0, 32).equals(base)).toBe(false);
  });
});

describe('dropout spec', () => {
  it('one rate for every hidden layer, or one per hidden layer; never on the output layer', () => {
    expect(mlpSpec(3, [4, 5, 1], 'relu', 'sigmoid', 0.2).layers.map((l) => l.dropout)).toEqual([0.2, 0.2, undefined]);
    expect(mlpSpec(3, [4, 5, 1], 'relu', 'sigmoid', [0.2, 0.1]).layers.map((l) => l.dropout)).toEqual([
      0.2,
      0.1,
      undefined,
    ]);
    expect(() => mlpSpec(3, [4, 5, 1], 'relu', 'sigmoid', [0.2])).toThrow(
      'dropout lists 1 rate, the model has 2 hidden layers',
    );
    expect(() => mlpSpec(3, [4, 1], 'relu', 'sigmoid', 1)).toThrow('layer 1: dropout must be a rate in [0, 1), got 1');
    expect(() => mlpSpec(3, [4, 1], 'relu', 'sigmoid', -0.1)).toThrow('must be a rate in [0, 1)');
    expect(() => validateSpec({ inputSize: 2, layers: [{ units: 1, activation: 'linear', dropout: 0.5 }] })).toThrow(
      'layer 1: dropout is only supported after hidden layers',
    );
  });
});

describe('dropout gradients (float64 finite differences with the mask held fixed)', () => {
  for (const hidden of GRADCHECK_HIDDEN) {
    for (const [out, loss, outputs] of GRADCHECK_HEADS.slice(0, 6)) {
      it(`${hidden} hidden with dropout 0.3 and 0.5, ${out} + ${loss}`, () => {
        const model = Mlp.create(mlpSpec(5, [7, 6, outputs], hidden, out, [0.3, 0.5]), { seed: 3 });
        offsetBiases(model);
        const result = gradcheck(model, randomData(9, 5, outputs, loss, 11), { loss, runSeed: 4, epoch: 2 });
        expect(result.maxRelError).toBeLessThan(1e-6);
      });
    }
  }

  it('the mask really is on: dropout changes the gradient, and a dropped unit gets no kernel gradient', () => {
    const data = randomData(1, 5, 1, 'meanSquaredError', 11);
    const spec = mlpSpec(5, [40, 1], 'tanh', 'linear');
    const plain = Mlp.create(spec, { seed: 3 });
    const layout = plain.layout;
    const gradient = (rate: number): Float64Array => {
      const s = mlpSpec(5, [40, 1], 'tanh', 'linear', rate);
      const l = new Mlp(s, plain.params).layout;
      const ws = createWorkspace(l, 1, 1, (n) => new Float64Array(n));
      const g = new Float64Array(l.paramCount);
      const ctx = { kernels: jsKernels, layout: l, loss: 'meanSquaredError' as const, targetCols: 1, seed: 4 };
      shardGradient(ctx, Float64Array.from(plain.params), data.x, data.y, new Int32Array([0]), 0, 1, ws, g, 0, 2);
      return g;
    };
    const without = gradient(0);
    const withDropout = gradient(0.5);
    const out = layout.layers[1];
    let zeroed = 0;
    for (let j = 0; j < 40; j++) {
      const kept = dropoutBits(4, 2, 0, 0, j) >= dropoutThreshold(0.5);
      // The output layer's kernel row j sees hidden unit j: zero when it was dropped, doubled input when kept.
      const g = withDropout[out.kernelOffset + j];
      if (!kept) {
        expect(g).toBe(0);
        zeroed++;
      } else expect(g).not.toBe(0);
    }
    expect(zeroed).toBeGreaterThan(5);
    expect(Array.from(withDropout)).not.toEqual(Array.from(without));
  });
});

describe('training with dropout', () => {
  const spec = mlpSpec(10, [16, 12, 3], 'relu', 'softmax', [0.3, 0.2]);
  const data = randomData(300, 10, 3, 'categoricalCrossentropy', 3);
  const opts = {
    loss: 'cce' as const,
    optimizer: { name: 'adam' as const, learningRate: 0.01 },
    epochs: 3,
    batchSize: 64,
    seed: 5,
    validationSplit: 0.1,
  };

  it.each(['js', 'wasm'] as const)('threads 1-4 give the same bits as fit (%s kernels)', async (kernels) => {
    const reference = Mlp.create(spec, { seed: 2 });
    const ref = await fit(reference, data, { ...opts, kernels });
    for (const threads of [1, 2, 3, 4]) {
      const m = Mlp.create(spec, { seed: 2 });
      const r = await fitParallel(m, data, { ...opts, kernels, threads });
      expect(bits(m.params).equals(bits(reference.params)), `threads=${threads}`).toBe(true);
      expect(r.history.map((h) => h.loss)).toEqual(ref.history.map((h) => h.loss));
    }
  });

  it('changes training, and a rate of 0 trains bit for bit as no dropout', async () => {
    const plainSpec = mlpSpec(10, [16, 12, 3], 'relu', 'softmax');
    const plain = Mlp.create(plainSpec, { seed: 2 });
    await fit(plain, data, opts);
    const zero = Mlp.create(mlpSpec(10, [16, 12, 3], 'relu', 'softmax', [0, 0]), { seed: 2 });
    await fit(zero, data, opts);
    expect(bits(zero.params).equals(bits(plain.params))).toBe(true);
    const dropped = Mlp.create(spec, { seed: 2 });
    await fit(dropped, data, opts);
    expect(bits(dropped.params).equals(bits(plain.params))).toBe(false);
  });

  it('resumes exactly: 1 epoch then 2 more equals 3 at once', async () => {
    const whole = Mlp.create(spec, { seed: 2 });
    await fit(whole, data, opts);
    const m = Mlp.create(spec, { seed: 2 });
    const first = await fit(m, data, { ...opts, epochs: 1 });
    await fitParallel(m, data, {
      ...opts,
      epochs: 2,
      initialEpoch: first.nextEpoch,
      optimizerState: first.optimizerState,
      threads: 2,
    });
    expect(bits(m.params).equals(bits(whole.params))).toBe(true);
  });

  it('prediction ignores dropout: the same outputs as the model without it', () => {
    const m = Mlp.create(spec, { seed: 2 });
    const plain = new Mlp(mlpSpec(10, [16, 12, 3], 'relu', 'softmax'), m.params);
    expect(bits(m.predict(data.x)).equals(bits(plain.predict(data.x)))).toBe(true);
  });
});

describe('dropout in model.json', () => {
  it('is saved as Dropout layers that tfjs loads and predicts with as we do; our loader reads the rates back', async () => {
    const m = Mlp.create(mlpSpec(6, [8, 5, 2], 'tanh', 'softmax', [0.25, 0.4]), { seed: 9 });
    const a = modelToArtifacts(m.spec, m.params);
    const layers = (a.modelJson as { modelTopology: { config: { layers: Array<{ class_name: string }> } } })
      .modelTopology.config.layers;
    expect(layers.map((l) => l.class_name)).toEqual(['Dense', 'Dropout', 'Dense', 'Dropout', 'Dense']);
    const loaded = modelFromArtifacts(a.modelJson, a.weightData);
    expect(loaded.spec.layers.map((l) => l.dropout)).toEqual([0.25, 0.4, undefined]);
    const tfModel = await tf.loadLayersModel(
      tf.io.fromMemory(toTfjsArtifacts(a.modelJson, a.weightData) as tf.io.ModelArtifacts),
    );
    expect(tfModel.layers.map((l) => l.getClassName())).toEqual(['Dense', 'Dropout', 'Dense', 'Dropout', 'Dense']);
    const x = randomData(20, 6, 2, 'categoricalCrossentropy', 4).x;
    const ours = m.predict(x);
    const theirs = tf.tidy(() => (tfModel.predict(tf.tensor2d(x, [20, 6])) as tf.Tensor).dataSync());
    for (let i = 0; i < ours.length; i++) expect(Math.abs(ours[i] - theirs[i])).toBeLessThan(1e-6);
    tfModel.dispose();
  });

  it('ONNX and safetensors exports ignore it: the same bytes as the model without dropout', () => {
    const m = Mlp.create(mlpSpec(6, [8, 5, 2], 'tanh', 'softmax', [0.25, 0.4]), { seed: 9 });
    const plain = mlpSpec(6, [8, 5, 2], 'tanh', 'softmax');
    expect(Buffer.from(toOnnx(m.spec, m.params)).equals(Buffer.from(toOnnx(plain, m.params)))).toBe(true);
    expect(Buffer.from(toSafetensors(m.spec, m.params)).equals(Buffer.from(toSafetensors(plain, m.params)))).toBe(true);
  });
});
