// Penalties, clipping and schedules keep fitParallel's promise: the same bits as fit for 1..4 threads.
import { describe, expect, it } from 'vitest';
import { bits } from '../../../test-utils/bits.js';
import { Mlp } from '../src/model/mlp.js';
import { mlpSpec } from '../src/model/spec.js';
import { fitParallel } from '../src/parallel/trainer.js';
import { fit } from '../src/train/fit.js';
import { randomData } from './helpers.js';

describe('fitParallel with penalties, clipping and a schedule', () => {
  it.each(['js', 'wasm'] as const)('threads 1-4 give the bits of fit (%s kernels)', async (kernels) => {
    // Wide enough that the parameter ranges of 2-4 threads cut through kernels and norm blocks differently.
    const spec = mlpSpec(10, [40, 3], 'tanh', 'softmax');
    const data = randomData(300, 10, 3, 'categoricalCrossentropy', 3);
    const opts = {
      loss: 'cce',
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
      lrSchedule: { name: 'plateau' as const, patience: 1, decay: 0.5, minDelta: 0.5 },
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
      expect(r.history.map((h) => [h.loss, h.learningRate])).toEqual(ref.history.map((h) => [h.loss, h.learningRate]));
      expect(r.lrScheduleState).toEqual(ref.lrScheduleState);
    }
  });
});
