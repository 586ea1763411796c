import { slotTreeScratchLength } from '@shardprop/worker-pool';
import { describe, expect, it } from 'vitest';
import { sameBits } from '../../../test-utils/bits.js';
import type { Dataset } from '../src/data/dataset.js';
import { createKernels } from '../src/kernels/kernels.js';
import { loadWasmKernels, wasmKernelsSupported } from '../src/kernels/wasm/backend.js';
import { type LossName, targetWidth } from '../src/losses/loss.js';
import { paramLayout } from '../src/model/layout.js';
import { Mlp } from '../src/model/mlp.js';
import { type ModelSpec, mlpSpec } from '../src/model/spec.js';
import { createOptimizer } from '../src/optim/create.js';
import type { OptimizerConfig } from '../src/optim/optimizer.js';
import { normBlockCount } from '../src/train/clipping.js';
import { checkStepBuffers, runSteps, type StepBuffers, singleThreadShare } from '../src/train/epoch-steps.js';
import { rowsInKernelsMemory } from '../src/train/fit.js';
import { maxShareRows, plainUpdateRules, shardCount } from '../src/train/step.js';
import { createWorkspace } from '../src/train/workspace.js';
import type { FloatArray } from '../src/types.js';
import { randomData } from './helpers.js';

// The wasm step kernels skip the per-call checks because checkStepBuffers made them once: it must refuse every
// buffer the kernels could not address at the size the steps use, and the unchecked calls must compute the steps
// of the TypeScript kernels.
/** A model, loss and optimizer to take steps with. */
interface StepCase {
  name: string;
  optimizer: OptimizerConfig;
  loss: LossName;
  spec: ModelSpec;
}

/** A copy of `rows` made by `alloc` (in the kernels' memory, for wasm). */
function inMemory(alloc: (length: number) => FloatArray, rows: Float32Array): FloatArray {
  const copy = alloc(rows.length);
  copy.set(rows);
  return copy;
}

describe.skipIf(!wasmKernelsSupported())('checkStepBuffers (wasm)', () => {
  const spec = mlpSpec(5, [7, 3], 'sigmoid');
  const layout = paramLayout(spec);
  const data = randomData(50, 5, 3, 'meanSquaredError');
  const batchSize = 16;
  const shards = 4;

  /** Step buffers on `backend`'s kernels for `c` (its data and weights fixed by seeds), as fit sets them up. */
  function setUp(backend: 'js' | 'wasm', c: StepCase, data: Dataset): StepBuffers {
    const kernels = createKernels(backend);
    const alloc = kernels.allocF32;
    const layout = paramLayout(c.spec);
    const tCols = targetWidth(c.loss, layout.outputSize);
    const optimizer = createOptimizer(c.optimizer);
    const params = alloc(layout.paramCount);
    params.set(Mlp.create(c.spec, { seed: 3 }).params);
    const slots = shardCount(batchSize, shards);
    return {
      ctx: { kernels, layout: layout, loss: c.loss, targetCols: tCols },
      optimizer,
      batchSize,
      shards,
      // As fit: the wasm kernels gather the rows in their memory.
      x: inMemory(alloc, data.x),
      y: inMemory(alloc, data.y),
      params,
      slotSets: [{ grad: alloc(slots * layout.paramCount), loss: new Float64Array(slots) }],
      grad: alloc(layout.paramCount),
      slotScratch: alloc(slotTreeScratchLength(slots)),
      optState: alloc(optimizer.stateSlots * layout.paramCount),
      rules: plainUpdateRules(c.optimizer.learningRate ?? 0.01),
      normParts: new Float64Array(normBlockCount(layout.paramCount)),
      ws: createWorkspace(layout, tCols, maxShareRows(batchSize, shards, 1), alloc),
    };
  }

  const adamMse: StepCase = {
    name: 'adam, mse',
    optimizer: { name: 'adam', learningRate: 0.01 },
    loss: 'meanSquaredError',
    spec,
  };
  const buffers = (): StepBuffers => setUp('wasm', adamMse, data);

  it('refuses a buffer outside the kernels memory, naming why', () => {
    const b = buffers();
    expect(() => checkStepBuffers({ ...b, grad: new Float32Array(layout.paramCount) })).toThrow(
      /not a view of this WebAssembly memory/,
    );
    const ws = { ...b.ws, acts: [b.ws.acts[0], new Float32Array(b.ws.acts[1].length)] };
    expect(() => checkStepBuffers({ ...b, ws })).toThrow(TypeError);
  });

  it('gathers rows outside the kernels memory with the TypeScript loop, to the same bits', () => {
    // Data or an order that does not lie in the kernels' memory (rows too large for it stay where they are) takes
    // the TypeScript gather; inside it, the WebAssembly one. Two epochs of each must take the same steps.
    const sync = { shardsDone: () => {}, gradientDone: () => {}, stepDone: () => false };
    const share = singleThreadShare(layout.paramCount);
    const fixed = Int32Array.from({ length: data.rows }, (_, i) => (i * 7) % data.rows);
    const run = (inside: boolean) => {
      const set = buffers();
      const wasm = set.ctx.kernels.wasm as NonNullable<typeof set.ctx.kernels.wasm>;
      const b = checkStepBuffers(inside ? set : { ...set, x: Float32Array.from(set.x), y: Float32Array.from(set.y) });
      const order = inside ? wasm.alloc(Int32Array, data.rows) : new Int32Array(data.rows);
      order.set(fixed);
      let lossSum = 0;
      for (let epoch = 0; epoch < 2; epoch++) {
        const at = { step: 1, lossSum: 0, rowsDone: 0, optimizerStep: epoch * 4 };
        lossSum += runSteps(b, share, sync, order, data.rows, at, Infinity).lossSum;
      }
      return { params: Float32Array.from(b.params), lossSum };
    };
    const inside = run(true);
    const outside = run(false);
    expect(outside.lossSum).toBe(inside.lossSum);
    expect(sameBits(outside.params, inside.params)).toBe(true);
  });

  it('refuses an order outside the kernels memory when the rows are gathered there', () => {
    const b = checkStepBuffers(buffers());
    const sync = { shardsDone: () => {}, gradientDone: () => {}, stepDone: () => false };
    const at = { step: 1, lossSum: 0, rowsDone: 0, optimizerStep: 0 };
    expect(() =>
      runSteps(b, singleThreadShare(layout.paramCount), sync, new Int32Array(data.rows), data.rows, at, Infinity),
    ).toThrow('runSteps: the order must be an Int32Array of the kernels memory, where the rows are gathered');
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
    const slotScratch = k.allocF32(slotTreeScratchLength(shardCount(batchSize, shards)) - 1);
    expect(() => checkStepBuffers({ ...b, slotScratch })).toThrow(RangeError);
  });

  // The reference is the TypeScript kernels (the optimizers in float64, gemm in plain loops): the checked
  // wrappers now call the unchecked ones, so comparing the two with each other would prove nothing. A wrong
  // address in an unchecked call (another state slot, an offset in elements instead of bytes) is far off it.
  const cases: StepCase[] = [
    {
      name: 'adamw, mse',
      optimizer: { name: 'adamw', learningRate: 0.01, weightDecay: 0.1 },
      loss: 'meanSquaredError',
      spec: mlpSpec(5, [7, 3], 'sigmoid'),
    },
    {
      name: 'centered rmsprop with momentum, categorical cross-entropy',
      optimizer: { name: 'rmsprop', learningRate: 0.01, momentum: 0.5, centered: true },
      loss: 'categoricalCrossentropy',
      spec: mlpSpec(5, [7, 3], 'tanh', 'softmax'),
    },
    {
      name: 'nesterov momentum, sparse categorical cross-entropy',
      optimizer: { name: 'momentum', learningRate: 0.1, momentum: 0.9, nesterov: true },
      loss: 'sparseCategoricalCrossentropy',
      spec: mlpSpec(5, [7, 3], 'relu', 'softmax'),
    },
    {
      name: 'sgd, binary cross-entropy',
      optimizer: { name: 'sgd', learningRate: 0.5 },
      loss: 'binaryCrossentropy',
      spec: mlpSpec(5, [7, 3], 'elu', 'sigmoid'),
    },
  ];
  for (const c of cases) {
    it(`the unchecked wasm kernels take the TypeScript kernels' steps (${c.name})`, () => {
      const cLayout = paramLayout(c.spec);
      const cData = randomData(50, 5, 3, c.loss, 11);
      // Two epochs' worth of steps in a fixed order, the last batch of each partial (50 rows, batches of 16).
      const fixedOrder = Int32Array.from({ length: cData.rows }, (_, i) => (i * 7) % cData.rows);
      const sync = { shardsDone: () => {}, gradientDone: () => {}, stepDone: () => false };
      const run = (b: StepBuffers) => {
        const wasm = b.ctx.kernels.wasm;
        const order = wasm ? wasm.alloc(Int32Array, fixedOrder.length) : fixedOrder;
        order.set(fixedOrder);
        let lossSum = 0;
        for (let epoch = 0; epoch < 2; epoch++) {
          const at = { step: 1, lossSum: 0, rowsDone: 0, optimizerStep: epoch * 4 };
          lossSum += runSteps(b, singleThreadShare(cLayout.paramCount), sync, order, cData.rows, at, Infinity).lossSum;
        }
        return { params: b.params, state: b.optState, lossSum };
      };
      const reference = run(setUp('js', c, cData));
      const unchecked = checkStepBuffers(setUp('wasm', c, cData));
      const checked = setUp('wasm', c, cData);
      expect(unchecked.ctx.kernels.gemmBias).not.toBe(checked.ctx.kernels.gemmBias);
      for (const [what, got] of [
        ['unchecked', run(unchecked)],
        ['checked', run(checked)],
      ] as const) {
        // float32 SIMD against float64 updates and other summation orders: a few float32 ulps per step.
        expect(maxRelativeError(got.params, reference.params), `${what} params`).toBeLessThan(1e-4);
        expect(maxRelativeError(got.state, reference.state), `${what} optimizer state`).toBeLessThan(1e-4);
        expect(Math.abs(got.lossSum - reference.lossSum) / reference.lossSum, `${what} loss`).toBeLessThan(1e-5);
      }
      // The parameters moved: the comparison is of the updates, not of the initial weights alone.
      expect(maxRelativeError(reference.params, Mlp.create(c.spec, { seed: 3 }).params)).toBeGreaterThan(1e-2);
    });
  }
});

/** The largest `|a - b| / max(|b|, 1e-3)` over the elements. */
function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), 1e-3));
  return worst;
}

describe.skipIf(!wasmKernelsSupported())("fit's training rows in the kernels' memory", () => {
  it('copies rows that fit, keeps those already there, and leaves rows too large for the memory where they are', () => {
    // 4 pages (256 KiB) at most: 10 rows fit, 20,000 rows of 4 features (320 KB) do not.
    const k = loadWasmKernels(new WebAssembly.Memory({ initial: 1, maximum: 4, shared: true }));
    if (!k) throw new Error('unsupported');
    const small = randomData(10, 4, 1, 'meanSquaredError');
    const copied = rowsInKernelsMemory(k, small, 1);
    expect(copied && k.owns(copied.x) && k.owns(copied.y) && k.owns(copied.order)).toBe(true);
    expect([...(copied?.x ?? [])]).toEqual([...small.x]);
    expect(copied?.order.length).toBe(10);
    const kept = rowsInKernelsMemory(k, { ...small, x: copied?.x as Float32Array }, 1);
    // The same floats, not a copy of them.
    expect(kept?.x.buffer).toBe(copied?.x.buffer);
    expect(kept?.x.byteOffset).toBe(copied?.x.byteOffset);

    const top = k.mark();
    const large = { x: new Float32Array(80_000), y: new Float32Array(20_000), rows: 20_000, features: 4, outputs: 1 };
    expect(rowsInKernelsMemory(k, large, 1)).toBeNull();
    // What the failed copy took is given back.
    expect(k.mark()).toBe(top);
  });
});
