/**
 * The worker side of `tune`: each pool thread receives the search's data once, as `workerData` views over shared
 * memory (nothing copied), and then runs one single-threaded fold fit per task.
 */
import { workerData } from 'node:worker_threads';
import type { Dataset } from '../data/dataset.js';
import { adoptWasmKernelsModule } from '../kernels/wasm/backend.js';
import { type FoldFitJob, type FoldFitResult, runFoldFit, SplitCache } from '../tune/fold-fit.js';

/** What every tune worker gets once: the encoded rows and the fold of each row, in SharedArrayBuffers. */
export interface TuneWorkerData {
  x: Float32Array;
  y: Float32Array;
  folds: Int32Array;
  rows: number;
  features: number;
  outputs: number;
  /** The main thread's compiled kernels: sharing them shares V8's optimised code instead of compiling per thread. */
  wasmModule?: WebAssembly.Module;
}

let splits: SplitCache | undefined;

export default async function tuneJob(job: FoldFitJob): Promise<FoldFitResult> {
  if (!splits) {
    const d = workerData as TuneWorkerData;
    if (d.wasmModule) adoptWasmKernelsModule(d.wasmModule);
    const data: Dataset = { x: d.x, y: d.y, rows: d.rows, features: d.features, outputs: d.outputs };
    splits = new SplitCache(data, d.folds);
  }
  return runFoldFit(splits, job);
}
