// Penalties, clipping, schedules, dropout and loss weights keep fitParallel's promise: the same bits as fit for
// 1..4 threads, in both ways a step is shared.
import { describe, expect, it } from 'vitest';
import { bits } from '../../../test-utils/bits.js';
import { paramLayout, trainFlopsPerRow } from '../src/model/layout.js';
import { Mlp } from '../src/model/mlp.js';
import { mlpSpec } from '../src/model/spec.js';
import { replicatesUpdate } from '../src/parallel/thread-choice.js';
import { fitParallel } from '../src/parallel/trainer.js';
import { Rng } from '../src/random.js';
import { fit } from '../src/train/fit.js';
import { randomData } from './helpers.js';

// Both ways a step is shared: every thread updating all of a small model in its own copy, and each thread its
// range of a wide model's parameters (the ranges cut through kernels and norm blocks differently per count).
const MODELS = [
  { name: 'replicated update', inputs: 10, hidden: 40 },
  { name: 'ranged update', inputs: 30, hidden: 1000 },
];

describe('fitParallel with penalties, clipping and a schedule', () => {
  it.each(MODELS.flatMap((m) => (['js', 'wasm'] as const).map((kernels) => ({ ...m, kernels }))))(
    'threads 1-4 give the bits of fit: $name, $kernels kernels',
    async ({ name, inputs, hidden, kernels }) => {
      const spec = mlpSpec(inputs, [hidden, 3], 'tanh', 'softmax');
      const data = randomData(300, inputs, 3, 'categoricalCrossentropy', 3);
      const work = {
        paramCount: paramLayout(spec).paramCount,
        flopsPerRow: trainFlopsPerRow(paramLayout(spec)),
        batchSize: 64,
        maxThreads: 4,
      };
      expect(replicatesUpdate(work)).toBe(name === 'replicated update');
      const opts = {
        loss: 'cce' as const,
        optimizer: { name: 'adam' as const, learningRate: 0.05 },
        epochs: 4,
        batchSize: 64,
        seed: 5,
        validationSplit: 0.1,
        kernels,
        l1: 0.001,
        l2: 0.01,
        clipNorm: 0.05,
        clipValue: 0.01,
        // minDelta so large that no epoch after the first improves: the rate halves every epoch.
        lrSchedule: { name: 'plateau' as const, patience: 1, decay: 0.5, minDelta: 1e3 },
      };
      const reference = Mlp.create(spec, { seed: 2 });
      const ref = await fit(reference, data, opts);
      // Every feature was active: the rate fell, and clipping changed the result.
      expect(new Set(ref.history.map((h) => h.learningRate)).size).toBeGreaterThan(1);
      const unclipped = Mlp.create(spec, { seed: 2 });
      await fit(unclipped, data, { ...opts, clipNorm: undefined, clipValue: undefined });
      expect(bits(unclipped.params).equals(bits(reference.params))).toBe(false);
      for (const threads of [1, 2, 3, 4]) {
        const m = Mlp.create(spec, { seed: 2 });
        const r = await fitParallel(m, data, { ...opts, threads });
        expect(bits(m.params).equals(bits(reference.params)), `threads=${threads}`).toBe(true);
        expect(r.history.map((h) => [h.loss, h.learningRate])).toEqual(
          ref.history.map((h) => [h.loss, h.learningRate]),
        );
        expect(r.lrScheduleState).toEqual(ref.lrScheduleState);
      }
    },
  );
});

describe('fitParallel with dropout and class and sample weights, beside the update rules', () => {
  it.each(MODELS.flatMap((m) => (['js', 'wasm'] as const).map((kernels) => ({ ...m, kernels }))))(
    'threads 1-4 give the bits of fit: $name, $kernels kernels',
    async ({ name, inputs, hidden, kernels }) => {
      // The mask is keyed by the epoch (a control word for the workers) and the weights sit in the arena: each
      // thread's copy (replicated) or range (ranged) must see the same ones.
      const spec = mlpSpec(inputs, [hidden, 3], 'tanh', 'softmax', 0.3);
      const data = randomData(300, inputs, 3, 'categoricalCrossentropy', 4);
      const work = {
        paramCount: paramLayout(spec).paramCount,
        flopsPerRow: trainFlopsPerRow(paramLayout(spec)),
        batchSize: 64,
        maxThreads: 4,
      };
      expect(replicatesUpdate(work)).toBe(name === 'replicated update');
      const rng = new Rng(11);
      const sampleWeight = Float32Array.from({ length: data.rows }, () => rng.uniform(0, 2));
      const opts = {
        loss: 'cce' as const,
        optimizer: { name: 'adam' as const, learningRate: 0.05 },
        epochs: 3,
        batchSize: 64,
        seed: 5,
        validationSplit: 0.1,
        kernels,
        l2: 0.01,
        clipNorm: 0.05,
        classWeight: 'balanced' as const,
        sampleWeight,
      };
      const reference = Mlp.create(spec, { seed: 2 });
      const ref = await fit(reference, data, opts);
      // Dropout and the weights were active: without them the same run ends elsewhere.
      const plain = Mlp.create(mlpSpec(inputs, [hidden, 3], 'tanh', 'softmax'), { seed: 2 });
      await fit(plain, data, { ...opts, classWeight: undefined, sampleWeight: undefined });
      expect(bits(plain.params).equals(bits(reference.params))).toBe(false);
      for (const threads of [1, 2, 3, 4]) {
        const m = Mlp.create(spec, { seed: 2 });
        const r = await fitParallel(m, data, { ...opts, threads });
        expect(bits(m.params).equals(bits(reference.params)), `threads=${threads}`).toBe(true);
        expect(r.history.map((h) => [h.loss, h.valLoss])).toEqual(ref.history.map((h) => [h.loss, h.valLoss]));
      }
    },
  );
});
