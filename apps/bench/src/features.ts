/**
 * What the training features cost per step: the shard compute of one full batch (forward and backward over every
 * shard, one thread, wasm kernels, the trainer's own `shardRangeGradients`) with each feature on, against the same
 * step with none. Dropout adds its mask (a hash per unit) and two elementwise passes per hidden layer; row weights
 * turn the loss into one call per row and scale each row's gradient. The optimizer update is the same for all of
 * them and is left out.
 */
import {
  createKernels,
  createWorkspace,
  type Dataset,
  epochOrder,
  Mlp,
  type ModelSpec,
  maxShareRows,
  mlpSpec,
  paramLayout,
  resolveFitOptions,
  shardCount,
  shardRangeGradients,
  targetWidth,
} from '@shardprop/core';
import { spread } from './stats.js';
import type { Workload } from './workloads.js';

/** One configuration of the step: which features are on. */
export interface FeatureCase {
  name: string;
  /** Dropout rate after every hidden layer (0: none). */
  dropout: number;
  /** Whether every row carries a loss weight. */
  weighted: boolean;
}

export const FEATURE_CASES: readonly FeatureCase[] = [
  { name: 'none', dropout: 0, weighted: false },
  { name: 'dropout 0.2', dropout: 0.2, weighted: false },
  { name: 'row weights', dropout: 0, weighted: true },
  { name: 'dropout + weights', dropout: 0.2, weighted: true },
];

/** The median microseconds of one step's shard compute, per case. */
export interface FeatureCost {
  name: string;
  stepUs: number;
  /** `stepUs` over the `none` case's. */
  relative: number;
}

function specOf(w: Workload, dropout: number): ModelSpec {
  return mlpSpec(w.inputSize, w.units, w.activation, w.outputActivation, dropout);
}

/** Times every case of {@link FEATURE_CASES} on `w`, interleaved over `reps` rounds (after a warm-up round). */
export function measureFeatures(w: Workload, data: Dataset, reps = 7): FeatureCost[] {
  const kernels = createKernels('wasm');
  const alloc = kernels.allocF32;
  const opts = resolveFitOptions({ loss: w.loss });
  const x = alloc(data.x.length);
  x.set(data.x);
  const y = alloc(data.y.length);
  y.set(data.y);
  const weights = Float32Array.from({ length: data.rows }, (_, r) => 0.5 + (r % 4) * 0.5);
  const order = epochOrder(data.rows, 1, 0, true);
  const shards = shardCount(w.batchSize);
  const steps = FEATURE_CASES.map((c) => {
    const layout = paramLayout(specOf(w, c.dropout));
    const targetCols = targetWidth(opts.loss, layout.outputSize);
    const params = alloc(layout.paramCount);
    params.set(Mlp.create(specOf(w, c.dropout), { seed: w.seed }).params);
    const ws = createWorkspace(layout, targetCols, maxShareRows(w.batchSize, undefined, 1), alloc);
    const slots = alloc(shards * layout.paramCount);
    const losses = new Float64Array(shards);
    const ctx = { kernels, layout, loss: opts.loss, targetCols, seed: 1 };
    const w8 = c.weighted ? weights : undefined;
    let from = 0;
    return () => {
      shardRangeGradients(ctx, params, x, y, order, from, w.batchSize, shards, 0, shards, ws, slots, 0, losses, 0, w8);
      from = (from + w.batchSize) % (data.rows - w.batchSize);
    };
  });
  const inner = Math.max(1, Math.round(20_000 / w.batchSize));
  const samples = FEATURE_CASES.map((): number[] => []);
  for (let round = -1; round < reps; round++) {
    steps.forEach((step, i) => {
      const t0 = performance.now();
      for (let k = 0; k < inner; k++) step();
      if (round >= 0) samples[i].push(((performance.now() - t0) * 1000) / inner);
    });
  }
  const medians = samples.map((s) => spread(s).median);
  return FEATURE_CASES.map((c, i) => ({ name: c.name, stepUs: medians[i], relative: medians[i] / medians[0] }));
}
