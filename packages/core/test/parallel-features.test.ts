// Penalties, clipping and schedules keep fitParallel's promise: the same bits as fit for 1..4 threads.
import { describe, expect, it } from 'vitest';
import { bits } from '../../../test-utils/bits.js';
import { paramLayout, trainFlopsPerRow } from '../src/model/layout.js';
import { Mlp } from '../src/model/mlp.js';
import { mlpSpec } from '../src/model/spec.js';
import { replicatesUpdate } from '../src/parallel/thread-choice.js';
import { fitParallel } from '../src/parallel/trainer.js';
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
