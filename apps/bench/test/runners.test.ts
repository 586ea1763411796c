import { fit, Mlp } from '@shardprop/core';
import { describe, expect, it } from 'vitest';
import { brainNetwork, brainRunner, brainTrainOptions } from '../src/runners/brain.js';
import { naiveEpoch, naiveNetwork, naiveParams, naiveRunner } from '../src/runners/naive.js';
import { referenceLoss, shardpropFit, shardpropParallel } from '../src/runners/shardprop.js';
import { getTfjsWeights, tfjsRunner, tfjsWasmFeatures } from '../src/runners/tfjs.js';
import { initialParams, workloadData, workloadSpec } from '../src/workloads.js';
import { rel, request, tiny } from './helpers.js';

const A1 = tiny('A-b1');
const A32 = tiny('A-b32');
const B = tiny('B-b256', 256, 64);

/** shardprop's epoch-1 loss and weights after one epoch (single thread, js kernels: the reference). */
async function shardpropAfterEpoch(w: typeof A1) {
  const model = new Mlp(workloadSpec(w), initialParams(w));
  const r = await fit(model, workloadData(w), {
    loss: w.loss,
    optimizer: { name: 'sgd', learningRate: w.learningRate },
    batchSize: w.batchSize,
    epochs: 1,
    shuffle: false,
    kernels: 'js',
  });
  return { loss: r.history[0].loss, params: model.params };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('shardprop runners', () => {
  it('fit (wasm, js) and fitParallel (2 workers) report the same epoch loss', async () => {
    const ref = await referenceLoss(A32, workloadData(A32), A32.rows, initialParams(A32));
    expect(Number.isFinite(ref)).toBe(true);
    for (const runner of [shardpropFit('wasm'), shardpropFit('js'), shardpropParallel('wasm', 2)]) {
      const samples = await runner.run(request(A32, 2));
      expect(samples).toHaveLength(2);
      expect(samples.every((s) => s.ms > 0 && Number.isFinite(s.loss))).toBe(true);
      expect(rel(samples[0].loss, ref)).toBeLessThan(1e-6);
    }
  });

  it('parallel runners decline batch 1 and say why', () => {
    expect(shardpropParallel('wasm', 2).unsupported(A1)).toMatch(/one shard/);
    expect(shardpropParallel('wasm', 2).unsupported(A32)).toBeNull();
  });
});

describe('naive per-sample loop', () => {
  it('matches shardprop per-sample SGD: loss within 1e-5 relative, weights within 1e-5', async () => {
    const ref = await shardpropAfterEpoch(A1);
    const [sample] = await naiveRunner().run(request(A1));
    expect(rel(sample.loss, ref.loss)).toBeLessThan(1e-5);
    const net = naiveNetwork(A1, initialParams(A1));
    expect(maxAbsDiff(naiveParams(A1, net), initialParams(A1))).toBe(0);
    const data = workloadData(A1);
    const inputs = Array.from({ length: A1.rows }, (_, r) => Array.from(data.x.subarray(r * 39, r * 39 + 39)));
    const targets = Array.from({ length: A1.rows }, (_, r) => [data.y[r]]);
    naiveEpoch(net, inputs, targets, A1.learningRate);
    expect(maxAbsDiff(naiveParams(A1, net), ref.params)).toBeLessThan(1e-5);
  });

  it('runs batch 1 of workload A only', () => {
    expect(naiveRunner().unsupported(A1)).toBeNull();
    expect(naiveRunner().unsupported(A32)).toMatch(/per-sample/);
    expect(naiveRunner().unsupported(B)).toMatch(/sigmoid/);
  });
});

describe('brain.js', () => {
  it('loads the same weights and matches shardprop per-sample SGD within 1e-5 relative', async () => {
    const ref = await shardpropAfterEpoch(A1);
    const net = brainNetwork(A1, initialParams(A1));
    // Kernel [in x out] transposed into brain.js's per-node incoming weights.
    const params = initialParams(A1);
    expect(net.weights[1][3][5]).toBeCloseTo(params[5 * 39 + 3], 7);
    expect(brainTrainOptions(A1)).toMatchObject({ iterations: 1, learningRate: 0.5 });
    const [sample] = await brainRunner().run(request(A1));
    expect(Number.isFinite(sample.loss)).toBe(true);
    expect(rel(sample.loss, ref.loss)).toBeLessThan(1e-5);
  });

  it('declines mini-batches and workload B with a reason', () => {
    expect(brainRunner().unsupported(A1)).toBeNull();
    expect(brainRunner().unsupported(A32)).toMatch(/per sample/);
    expect(brainRunner().unsupported(B)).toMatch(/softmax/);
  });
});

describe('tfjs', () => {
  it('cpu at batch 1 matches shardprop per-sample SGD: loss within 1e-5 relative', async () => {
    const ref = await shardpropAfterEpoch(A1);
    const runner = tfjsRunner('cpu');
    await runner.setup?.();
    const [sample] = await runner.run(request(A1));
    expect(rel(sample.loss, ref.loss)).toBeLessThan(1e-5);
  });

  it('cpu at batch 32 and on workload B matches shardprop within 1e-5 relative', async () => {
    const runner = tfjsRunner('cpu');
    await runner.setup?.();
    for (const w of [A32, B]) {
      const ref = await shardpropAfterEpoch(w);
      const [sample] = await runner.run(request(w));
      expect(rel(sample.loss, ref.loss)).toBeLessThan(1e-5);
    }
  });

  it('wasm initialises, reports SIMD/threads, and matches shardprop at batch 32 within 1e-5 relative', async () => {
    const runner = tfjsRunner('wasm');
    await runner.setup?.();
    const features = await tfjsWasmFeatures();
    expect(typeof features.simd).toBe('boolean');
    expect(runner.describe?.()).toMatchObject({ backend: 'wasm', simd: features.simd });
    const ref = await shardpropAfterEpoch(A32);
    const [sample] = await runner.run(request(A32));
    expect(rel(sample.loss, ref.loss)).toBeLessThan(1e-5);
  });

  it('getTfjsWeights reads back the layout setTfjsWeights wrote', async () => {
    const tf = await import('@tensorflow/tfjs');
    const { setTfjsWeights } = await import('../src/runners/tfjs.js');
    await tf.setBackend('cpu');
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [39], units: 39, activation: 'sigmoid' }),
        tf.layers.dense({ units: 39, activation: 'sigmoid' }),
        tf.layers.dense({ units: 39, activation: 'sigmoid' }),
        tf.layers.dense({ units: 1, activation: 'sigmoid' }),
      ],
    });
    const params = initialParams(A1);
    setTfjsWeights(model, A1, params);
    expect(maxAbsDiff(getTfjsWeights(model), params)).toBe(0);
    model.dispose();
  });
});
