import { describe, expect, it } from 'vitest';
import { gradcheck } from '../src/gradcheck.js';
import { Mlp } from '../src/model/mlp.js';
import { mlpSpec } from '../src/model/spec.js';
import { GRADCHECK_HEADS, GRADCHECK_HIDDEN, offsetBiases, randomData } from './helpers.js';

describe('gradcheck: analytic gradients match float64 finite differences', () => {
  for (const hidden of GRADCHECK_HIDDEN) {
    for (const [out, loss, outputs] of GRADCHECK_HEADS) {
      it(`${hidden} hidden, ${out} + ${loss}`, () => {
        const spec = mlpSpec(5, [7, 6, outputs], hidden, out);
        const model = Mlp.create(spec, { seed: 3 });
        offsetBiases(model);
        const data = randomData(9, 5, outputs, loss, 11);
        const result = gradcheck(model, data, { loss });
        expect(result.tensors).toHaveLength(6);
        expect(result.maxRelError).toBeLessThan(1e-6);
      });
    }
  }

  it('the seed network (39-39-39-1 sigmoid, mse) passes', () => {
    const model = Mlp.create(mlpSpec(39, [39, 39, 39, 1], 'sigmoid'), { seed: 1 });
    const result = gradcheck(model, randomData(16, 39, 1, 'meanSquaredError'), { loss: 'mse', maxPerTensor: 200 });
    expect(result.maxRelError).toBeLessThan(1e-6);
    expect(result.tensors[0].checked).toBe(200);
  });
});
