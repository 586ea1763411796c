import { describe, expect, it } from 'vitest';
import { bits } from '../../../test-utils/bits.js';
import { createKernels } from '../src/kernels/kernels.js';
import { wasmKernelsSupported } from '../src/kernels/wasm/backend.js';
import { paramLayout } from '../src/model/layout.js';
import { Mlp } from '../src/model/mlp.js';
import { mlpSpec } from '../src/model/spec.js';
import { createOptimizer } from '../src/optim/create.js';
import { checkStepBuffers, runSteps, type StepBuffers, singleThreadShare } from '../src/train/epoch-steps.js';
import { maxShareRows, shardCount } from '../src/train/step.js';
import { createWorkspace } from '../src/train/workspace.js';
import { randomData } from './helpers.js';

// The wasm step kernels skip the per-call checks because checkStepBuffers made them once: it must refuse every
// buffer the kernels could not address at the size the steps use, and the unchecked calls must compute what the
// checked ones do.
describe.skipIf(!wasmKernelsSupported())('checkStepBuffers (wasm)', () => {
  const spec = mlpSpec(5, [7, 3], 'sigmoid');
  const layout = paramLayout(spec);
  const data = randomData(50, 5, 3, 'meanSquaredError');
  const batchSize = 16;
  const shards = 4;

  function buffers(): StepBuffers {
    const kernels = createKernels('wasm');
    const alloc = kernels.allocF32;
    const model = Mlp.create(spec, { seed: 3 });
    const optimizer = createOptimizer({ name: 'adam', learningRate: 0.01 });
    const params = alloc(layout.paramCount);
    params.set(model.params);
    const slots = shardCount(batchSize, shards);
    return {
      ctx: { kernels, layout, loss: 'meanSquaredError', targetCols: 3 },
      optimizer,
      batchSize,
      shards,
      x: data.x,
      y: data.y,
      params,
      slotSets: [{ grad: alloc(slots * layout.paramCount), loss: new Float64Array(slots) }],
      grad: alloc(layout.paramCount),
      optState: alloc(optimizer.stateSlots * layout.paramCount),
      ws: createWorkspace(layout, 3, maxShareRows(batchSize, shards, 1), alloc),
    };
  }

  it('refuses a buffer outside the kernels memory, naming why', () => {
    const b = buffers();
    expect(() => checkStepBuffers({ ...b, grad: new Float32Array(layout.paramCount) })).toThrow(
      /not a view of this WebAssembly memory/,
    );
    const ws = { ...b.ws, acts: [b.ws.acts[0], new Float32Array(b.ws.acts[1].length)] };
    expect(() => checkStepBuffers({ ...b, ws })).toThrow(TypeError);
  });

  it('refuses a buffer shorter than the steps use', () => {
    const b = buffers();
    const k = b.ctx.kernels;
    // One gradient slot short of one per shard of the largest batch.
    const grad = k.allocF32((shardCount(batchSize, shards) - 1) * layout.paramCount);
    const loss = new Float64Array(shardCount(batchSize, shards));
    expect(() => checkStepBuffers({ ...b, slotSets: [b.slotSets[0], { grad, loss }] })).toThrow(RangeError);
    const ws = { ...b.ws, deltaB: k.allocF32(b.ws.capacity * layout.maxWidth - 1) };
    expect(() => checkStepBuffers({ ...b, ws })).toThrow(RangeError);
  });

  it('the unchecked kernels take the same steps as the checked ones, bit for bit', () => {
    const order = Int32Array.from({ length: data.rows }, (_, i) => (i * 7) % data.rows);
    const sync = { shardsDone: () => {}, stepDone: () => false };
    const run = (b: StepBuffers) => {
      const start = { step: 1, lossSum: 0, rowsDone: 0, optimizerStep: 0 };
      const r = runSteps(b, singleThreadShare(layout.paramCount), sync, order, data.rows, start, Infinity);
      return { params: bits(b.params), state: bits(b.optState), lossSum: r.lossSum };
    };
    const checked = buffers();
    const unchecked = checkStepBuffers(buffers());
    expect(unchecked.ctx.kernels.gemmBias).not.toBe(checked.ctx.kernels.gemmBias);
    const a = run(checked);
    const b = run(unchecked);
    expect(b.params.equals(a.params)).toBe(true);
    expect(b.state.equals(a.state)).toBe(true);
    expect(b.lossSum).toBe(a.lossSum);
  });
});
