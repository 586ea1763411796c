/** Evaluation on the WebAssembly kernels: the metrics of the TypeScript kernels, within float32 rounding. */
import { describe, expect, it } from 'vitest';
import { trainValidationSplit } from '../src/data/split.js';
import { createKernels } from '../src/kernels/kernels.js';
import { wasmKernelsSupported } from '../src/kernels/wasm/backend.js';
import type { LossName } from '../src/losses/loss.js';
import { Mlp } from '../src/model/mlp.js';
import { mlpSpec } from '../src/model/spec.js';
import { fit } from '../src/train/fit.js';
import { chunkEvaluator, combineMetricParts, evaluate, metricChunks, metricPartWidth } from '../src/train/metrics.js';
import { randomData } from './helpers.js';

describe.skipIf(!wasmKernelsSupported())('evaluate on wasm kernels', () => {
  it.each([
    ['meanSquaredError', 'linear', 2],
    ['binaryCrossentropy', 'sigmoid', 1],
    ['categoricalCrossentropy', 'softmax', 3],
    ['sparseCategoricalCrossentropy', 'softmax', 3],
  ] as const)('%s: the same metrics as js, and the memory it took released', (loss, output, units) => {
    const model = Mlp.create(mlpSpec(7, [16, 16, units], 'tanh', output), { seed: 4 });
    // 1,300 rows: more than two 512-row chunks and a partial one.
    const data = randomData(1300, 7, units, loss as LossName);
    const kernels = createKernels('wasm');
    const mark = kernels.wasm?.mark();
    const js = evaluate(model, data, loss);
    const wasm = evaluate(model, data, loss, kernels);
    expect(kernels.backend).toBe('wasm');
    expect(kernels.wasm?.mark()).toBe(mark);
    expect(wasm.loss).toBeCloseTo(js.loss, 5);
    expect(wasm.accuracy).toBe(js.accuracy);
    if (js.r2 !== undefined) {
      expect(wasm.r2).toBeCloseTo(js.r2, 5);
      expect(wasm.mae).toBeCloseTo(js.mae as number, 5);
    }
  });

  it.each(['wasm', 'js'] as const)(
    "fit's per-epoch validation loss and accuracy use the run's kernels (%s), as evaluate does on them",
    async (kernels) => {
      const model = Mlp.create(mlpSpec(7, [16, 3], 'tanh', 'softmax'), { seed: 4 });
      const data = randomData(1300, 7, 3, 'categoricalCrossentropy');
      const result = await fit(model, data, {
        loss: 'categoricalCrossentropy',
        optimizer: { name: 'adam', learningRate: 0.01 },
        epochs: 2,
        batchSize: 64,
        validationSplit: 0.2,
        kernels,
        // Early stopping on accuracy makes the loop evaluate the training rows' accuracy each epoch.
        earlyStopping: { monitor: 'accuracy', patience: 5 },
      });
      const { train, validation } = trainValidationSplit(data, 0.2);
      const backend = createKernels(kernels);
      const last = result.history.at(-1);
      expect(last?.valLoss).toBe(evaluate(model, validation, 'categoricalCrossentropy', backend).loss);
      expect(last?.accuracy).toBe(evaluate(model, train, 'categoricalCrossentropy', backend).accuracy);
    },
  );

  it('an evaluator used on small data and then on larger data makes room for the longer chunks', () => {
    const model = Mlp.create(mlpSpec(7, [16, 2], 'tanh', 'linear'), { seed: 4 });
    const kernels = createKernels('wasm');
    const small = randomData(40, 7, 2, 'meanSquaredError');
    const large = randomData(1300, 7, 2, 'meanSquaredError');
    const params = kernels.allocF32(model.layout.paramCount);
    params.set(model.params);
    const evaluator = chunkEvaluator(kernels, model.layout, 'meanSquaredError');
    const width = metricPartWidth(2);
    const chunks = metricChunks(large.rows);
    evaluator(params, small, 0, metricChunks(small.rows), new Float64Array(metricChunks(small.rows) * width));
    const reused = new Float64Array(chunks * width);
    evaluator(params, large, 0, chunks, reused);
    const fresh = new Float64Array(chunks * width);
    chunkEvaluator(kernels, model.layout, 'meanSquaredError')(params, large, 0, chunks, fresh);
    expect(Array.from(reused)).toEqual(Array.from(fresh));
    expect(combineMetricParts(reused, large.rows, 2, 'meanSquaredError').loss).toBeCloseTo(
      evaluate(model, large, 'meanSquaredError').loss,
      5,
    );
  });
});
