// The gradient check on the WebAssembly backend. Finite differences need float64, and the wasm kernels are float32
// only, so the check is transitive: gradcheck.test.ts proves the float64 analytic gradient (TypeScript kernels)
// against float64 finite differences to 1e-6, and here the wasm backend's float32 gradient of the same model and
// batch must agree with that float64 gradient to float32 accuracy, tensor by tensor, for the same activation x
// loss pairs.
import { describe, expect, it } from 'vitest';
import { createKernels, jsKernels, type Kernels } from '../src/kernels/kernels.js';
import type { LossName } from '../src/losses/loss.js';
import { targetWidth } from '../src/losses/loss.js';
import { Mlp } from '../src/model/mlp.js';
import { mlpSpec } from '../src/model/spec.js';
import { shardGradient } from '../src/train/step.js';
import { createWorkspace } from '../src/train/workspace.js';
import type { FloatArray } from '../src/types.js';
import { GRADCHECK_HEADS, GRADCHECK_HIDDEN, offsetBiases, randomData } from './helpers.js';

/** Largest |wasm - float64| in a tensor, as a fraction of the tensor's largest |gradient|. */
const TOLERANCE = 1e-5;

function gradient(kernels: Kernels, model: Mlp, loss: LossName, f64: boolean): Float64Array {
  const layout = model.layout;
  const data = randomData(9, layout.inputSize, layout.outputSize, loss, 11);
  const targetCols = targetWidth(loss, layout.outputSize);
  const alloc: (n: number) => FloatArray = f64 ? (n) => new Float64Array(n) : kernels.allocF32;
  const params = alloc(layout.paramCount);
  params.set(model.params);
  const ws = createWorkspace(layout, targetCols, data.rows, alloc);
  const grad = alloc(layout.paramCount);
  // The wasm kernels gather the rows in their own memory: the data and the order go there.
  const x = alloc(data.x.length);
  x.set(data.x);
  const y = alloc(data.y.length);
  y.set(data.y);
  const order = kernels.wasm ? kernels.wasm.alloc(Int32Array, data.rows) : new Int32Array(data.rows);
  order.forEach((_, i) => {
    order[i] = i;
  });
  shardGradient({ kernels, layout, loss, targetCols }, params, x, y, order, 0, data.rows, ws, grad, 0);
  return Float64Array.from(grad);
}

describe('gradcheck on the wasm backend: float32 gradients match the finite-difference-checked float64 ones', () => {
  const wasm = createKernels('wasm');
  for (const hidden of GRADCHECK_HIDDEN) {
    for (const [out, loss, outputs] of GRADCHECK_HEADS) {
      it(`${hidden} hidden, ${out} + ${loss}`, () => {
        const model = Mlp.create(mlpSpec(5, [7, 6, outputs], hidden, out), { seed: 3 });
        offsetBiases(model);
        const ref = gradient(jsKernels, model, loss, true);
        const got = gradient(wasm, model, loss, false);
        for (const l of model.layout.layers) {
          for (const [from, length] of [
            [l.kernelOffset, l.inSize * l.outSize],
            [l.biasOffset, l.outSize],
          ]) {
            let scale = 0;
            let err = 0;
            for (let i = from; i < from + length; i++) {
              scale = Math.max(scale, Math.abs(ref[i]));
              err = Math.max(err, Math.abs(got[i] - ref[i]));
            }
            expect(scale).toBeGreaterThan(0);
            expect(err / scale).toBeLessThan(TOLERANCE);
          }
        }
      });
    }
  }

  it('would notice a wrong gradient: the float64 gradient of another batch is far off', () => {
    const model = Mlp.create(mlpSpec(5, [7, 1], 'tanh', 'linear'), { seed: 3 });
    const a = gradient(jsKernels, model, 'meanSquaredError', true);
    const other = Mlp.create(mlpSpec(5, [7, 1], 'tanh', 'linear'), { seed: 4 });
    const b = gradient(wasm, other, 'meanSquaredError', false);
    let err = 0;
    let scale = 0;
    for (let i = 0; i < a.length; i++) {
      err = Math.max(err, Math.abs(a[i] - b[i]));
      scale = Math.max(scale, Math.abs(a[i]));
    }
    expect(err / scale).toBeGreaterThan(1e-2);
  });
});
