/**
 * shardprop itself: `fit` (one thread, the main thread) and `fitParallel` (worker threads), each with the
 * WebAssembly SIMD kernels or the plain TypeScript kernels.
 */
import { type Dataset, fit, type KernelBackend, Mlp, sliceRows, wasmKernelsSupported } from '@shardprop/core';
import { fitParallel } from '@shardprop/core/parallel';
import { type Workload, workloadSpec } from '../workloads.js';
import { type EpochSample, quickRows, type Runner, type RunPlan, type RunRequest } from './types.js';

/** Rows of `data` as a dataset (the whole thing when `rows` covers it). */
export function firstRows(data: Dataset, rows: number): Dataset {
  return rows >= data.rows ? data : sliceRows(data, 0, rows);
}

/**
 * Epochs per run. Worker threads tier their JavaScript and WebAssembly up to optimised code lazily, each on its
 * own, so the first two or three epochs of a parallel run are slower: a run trains 4 epochs and the 4th is
 * timed. `fit` runs in the benchmark's own (already warm) thread: 2 epochs, the 2nd timed.
 */
export const FIT_EPOCHS = 2;
export const PARALLEL_EPOCHS = 4;

/** Rows the plain TypeScript kernels train on for workload B (about 3 s per 10,000 rows on one core). */
const JS_WIDE_ROWS = 2560;

function sharedOptions(w: Workload, epochs: number, kernels: KernelBackend) {
  return {
    loss: w.loss,
    optimizer: { name: 'sgd' as const, learningRate: w.learningRate },
    batchSize: w.batchSize,
    epochs,
    shuffle: false,
    kernels,
  };
}

/** `fit`: one thread, the caller's. */
export function shardpropFit(kernels: KernelBackend): Runner {
  return {
    id: `shardprop-${kernels}`,
    label: `shardprop ${kernels}, 1 thread`,
    family: 'shardprop',
    threads: 1,
    kernels,
    unsupported: () => (kernels === 'wasm' && !wasmKernelsSupported() ? 'WebAssembly SIMD is unavailable' : null),
    plan(w: Workload, quick: boolean): RunPlan {
      const rows = kernels === 'js' && w.family === 'B' ? JS_WIDE_ROWS : w.rows;
      return { rows: quickRows(w, rows, quick), epochs: FIT_EPOCHS };
    },
    describe: () => ({ trainer: 'fit (main thread)', kernels }),
    async run(req: RunRequest): Promise<EpochSample[]> {
      const model = new Mlp(workloadSpec(req.workload), req.params.slice());
      const result = await fit(model, firstRows(req.data, req.rows), sharedOptions(req.workload, req.epochs, kernels));
      if (result.kernels !== kernels) throw new Error(`asked for ${kernels} kernels, fit ran ${result.kernels}`);
      return result.history.map((h) => ({ ms: h.msPerEpoch, loss: h.loss }));
    },
  };
}

/** `fitParallel` on `threads` worker threads (a fresh pool per run, as a user's call would start one). */
export function shardpropParallel(kernels: KernelBackend, threads: number): Runner {
  return {
    id: `shardprop-par-${kernels}-t${threads}`,
    label: `shardprop ${kernels}, ${threads} worker${threads === 1 ? '' : 's'}`,
    family: 'shardprop',
    threads,
    kernels,
    unsupported(w: Workload): string | null {
      if (kernels === 'wasm' && !wasmKernelsSupported()) return 'WebAssembly SIMD is unavailable';
      if (w.batchSize === 1) return 'batch 1 is one shard per step: nothing to split over threads (see 1 thread)';
      return null;
    },
    plan(w: Workload, quick: boolean): RunPlan {
      const rows = kernels === 'js' && w.family === 'B' ? JS_WIDE_ROWS : w.rows;
      return { rows: quickRows(w, rows, quick), epochs: PARALLEL_EPOCHS };
    },
    describe: () => ({ trainer: 'fitParallel (worker threads, main thread idle)', kernels, threads }),
    async run(req: RunRequest): Promise<EpochSample[]> {
      const model = new Mlp(workloadSpec(req.workload), req.params.slice());
      const result = await fitParallel(model, firstRows(req.data, req.rows), {
        ...sharedOptions(req.workload, req.epochs, kernels),
        threads,
      });
      if (result.kernels !== kernels)
        throw new Error(`asked for ${kernels} kernels, fitParallel ran ${result.kernels}`);
      return result.history.map((h) => ({ ms: h.msPerEpoch, loss: h.loss }));
    },
  };
}

/**
 * The reference loss of a run plan: shardprop's epoch-1 loss on the same rows from the same weights (one
 * thread; every shardprop runner gives the same bits for one kernel backend). Peers' losses are compared to it.
 */
export async function referenceLoss(w: Workload, data: Dataset, rows: number, params: Float32Array): Promise<number> {
  const model = new Mlp(workloadSpec(w), params.slice());
  const kernels: KernelBackend = wasmKernelsSupported() ? 'wasm' : 'js';
  const result = await fit(model, firstRows(data, rows), sharedOptions(w, 1, kernels));
  return result.history[0].loss;
}
