// gradcheck must fail when the analytic gradient is wrong. The backward kernels are wrapped here so that a test
// can plant one realistic bug at a time (the forward pass, which the finite differences use, stays right).
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { gradcheck } from '../src/gradcheck.js';
import type * as Activations from '../src/kernels/activations.js';
import { Mlp } from '../src/model/mlp.js';
import { mlpSpec } from '../src/model/spec.js';
import { offsetBiases, randomData } from './helpers.js';

const planted = vi.hoisted(() => ({ bug: 'none' as 'none' | 'tanh-derivative' | 'half-gradient' }));

vi.mock('../src/kernels/activations.js', async (importOriginal) => {
  const real = await importOriginal<typeof Activations>();
  const activationBackward: typeof real.activationBackward = (act, dz, dzOff, a, aOff, rows, cols) => {
    if (planted.bug === 'tanh-derivative' && act === 'tanh') {
      // The classic slip: 1 - a instead of 1 - a^2.
      for (let i = 0; i < rows * cols; i++) dz[dzOff + i] *= 1 - a[aOff + i];
      return;
    }
    real.activationBackward(act, dz, dzOff, a, aOff, rows, cols);
    if (planted.bug === 'half-gradient') for (let i = 0; i < rows * cols; i++) dz[dzOff + i] *= 0.5;
  };
  return { ...real, activationBackward };
});

describe('gradcheck catches a wrong analytic gradient', () => {
  const spec = mlpSpec(4, [5, 1], 'tanh', 'linear');
  const data = randomData(6, 4, 1, 'meanSquaredError', 1);
  const model = Mlp.create(spec, { seed: 5 });
  offsetBiases(model);
  beforeEach(() => {
    planted.bug = 'none';
  });

  it('passes with the real kernels (the wrapper itself changes nothing)', () => {
    expect(gradcheck(model, data, { loss: 'mse' }).maxRelError).toBeLessThan(1e-6);
  });

  it('fails on a wrong activation derivative, in the tensors below that activation only', () => {
    planted.bug = 'tanh-derivative';
    const result = gradcheck(model, data, { loss: 'mse' });
    expect(result.maxRelError).toBeGreaterThan(1e-2);
    // The output layer's gradient does not pass through the hidden tanh's derivative.
    expect(result.tensors.filter((t) => t.maxRelError > 1e-2).map((t) => t.name)).toEqual([
      'dense_1/kernel',
      'dense_1/bias',
    ]);
    expect(Math.max(...result.tensors.slice(2).map((t) => t.maxRelError))).toBeLessThan(1e-6);
  });

  it('fails on a gradient off by a constant factor (e.g. a 1/N applied twice)', () => {
    planted.bug = 'half-gradient';
    expect(gradcheck(model, data, { loss: 'mse' }).maxRelError).toBeGreaterThan(0.3);
  });
});
