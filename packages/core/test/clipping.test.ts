// Gradient clipping against a float64 reference written here (tfjs 4.22's optimizers have no global-norm or
// value clipping): one SGD step from the mean gradient, computed in float64, clipped as Keras clips.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsKernels } from '../src/kernels/kernels.js';
import { targetWidth } from '../src/losses/loss.js';
import { Mlp } from '../src/model/mlp.js';
import { mlpSpec } from '../src/model/spec.js';
import { blockSquares, NORM_BLOCK, normBlockCount, normOfParts } from '../src/train/clipping.js';
import { fit } from '../src/train/fit.js';
import { shardGradient } from '../src/train/step.js';
import { createWorkspace } from '../src/train/workspace.js';
import { randomData } from './helpers.js';

const spec = mlpSpec(6, [9, 3], 'tanh', 'softmax');
const data = randomData(20, 6, 3, 'categoricalCrossentropy', 12);
const LR = 0.5;

/** The batch-mean gradient over all of `data`, in float64, plus 2 * l2 * w on the kernels. */
function meanGradient64(model: Mlp, l2: number): Float64Array {
  const layout = model.layout;
  const targetCols = targetWidth('categoricalCrossentropy', layout.outputSize);
  const order = Int32Array.from({ length: data.rows }, (_, i) => i);
  const ws = createWorkspace(layout, targetCols, data.rows, (n) => new Float64Array(n));
  const g = new Float64Array(layout.paramCount);
  const ctx = { kernels: jsKernels, layout, loss: 'categoricalCrossentropy' as const, targetCols };
  const p = Float64Array.from(model.params);
  shardGradient(ctx, p, Float64Array.from(data.x), Float64Array.from(data.y), order, 0, data.rows, ws, g, 0);
  for (let i = 0; i < g.length; i++) g[i] /= data.rows;
  for (const l of layout.layers) {
    for (let i = l.kernelOffset; i < l.kernelOffset + l.inSize * l.outSize; i++) g[i] += 2 * l2 * p[i];
  }
  return g;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe.each(['js', 'wasm'] as const)('clipping matches a float64 reference step (%s kernels)', (kernels) => {
  for (const l2 of [0, 0.05]) {
    it(`global norm (Keras global_clipnorm), l2 ${l2}: the step is lr * g * clipNorm / ||g||`, async () => {
      const initial = Mlp.create(spec, { seed: 5 });
      const g = meanGradient64(initial, l2);
      const norm = Math.sqrt(g.reduce((s, v) => s + v * v, 0));
      const clipNorm = norm / 4; // active: the step shrinks to a quarter
      const ours = initial.clone();
      await fit(ours, data, {
        kernels,
        loss: 'cce',
        optimizer: { name: 'sgd', learningRate: LR },
        batchSize: 20,
        clipNorm,
        l2,
      });
      const expected = Array.from(initial.params, (p, i) => p - LR * g[i] * (clipNorm / norm));
      expect(maxAbsDiff(ours.params, expected)).toBeLessThan(1e-6);
      // Above the norm, clipping changes nothing.
      const loose = initial.clone();
      await fit(loose, data, {
        kernels,
        loss: 'cce',
        optimizer: { name: 'sgd', learningRate: LR },
        batchSize: 20,
        clipNorm: norm * 2,
        l2,
      });
      expect(
        maxAbsDiff(
          loose.params,
          Array.from(initial.params, (p, i) => p - LR * g[i]),
        ),
      ).toBeLessThan(1e-6);
    });

    it(`per value (Keras clipvalue), l2 ${l2}: every element clipped to [-v, v]`, async () => {
      const initial = Mlp.create(spec, { seed: 5 });
      const g = meanGradient64(initial, l2);
      const sorted = Array.from(g, Math.abs).sort((a, b) => a - b);
      const clipValue = sorted[Math.floor(sorted.length / 2)]; // half the elements are clipped
      const ours = initial.clone();
      await fit(ours, data, {
        kernels,
        loss: 'cce',
        optimizer: { name: 'sgd', learningRate: LR },
        batchSize: 20,
        clipValue,
        l2,
      });
      const clamp = (v: number) => Math.max(-clipValue, Math.min(clipValue, v));
      const expected = Array.from(initial.params, (p, i) => p - LR * clamp(g[i]));
      expect(maxAbsDiff(ours.params, expected)).toBeLessThan(1e-6);
    });
  }
});

describe('the norm is summed in fixed blocks', () => {
  it('any split of the vector at block boundaries gives the same bits as one pass', () => {
    fc.assert(
      fc.property(
        fc.array(fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e3, max: 1e3 }), {
          minLength: 1,
          maxLength: 200,
        }),
        fc.array(fc.nat(), { maxLength: 4 }),
        (values, cuts) => {
          const g = Float32Array.from(values);
          const blocks = normBlockCount(g.length);
          const whole = new Float64Array(blocks);
          blockSquares(g, 0, g.length, whole);
          const bounds = [...new Set(cuts.map((c) => Math.min(g.length, (c % (blocks + 1)) * NORM_BLOCK)))];
          bounds.push(0, g.length);
          bounds.sort((a, b) => a - b);
          const split = new Float64Array(blocks);
          for (let i = 0; i + 1 < bounds.length; i++) blockSquares(g, bounds[i], bounds[i + 1], split);
          expect(normOfParts(split, blocks)).toBe(normOfParts(whole, blocks));
          const direct = Math.sqrt(values.reduce((s, v) => s + Math.fround(v) * Math.fround(v), 0));
          expect(Math.abs(normOfParts(whole, blocks) - direct)).toBeLessThanOrEqual(1e-9 * Math.max(1, direct));
        },
      ),
    );
  });
});
