/**
 * The worker side of `tune`: each pool thread runs one single-threaded fold fit per task, on its search's data in
 * shared memory (nothing copied). A thread outlives its search (see `search-workers.ts`), so every task names its
 * data, and the thread keeps the splits it gathered for the latest search only.
 */
import { workerData } from 'node:worker_threads';
import type { Dataset } from '../data/dataset.js';
import { adoptWasmKernelsModule } from '../kernels/wasm/backend.js';
import { type FoldFitJob, type FoldFitResult, runFoldFit, SplitCache } from '../tune/fold-fit.js';

/** What every search worker gets once, at its start. */
export interface TuneWorkerData {
  /** The main thread's compiled kernels: sharing them shares V8's optimised code instead of compiling per thread. */
  wasmModule?: WebAssembly.Module;
}

/** One search's data: the encoded rows and the fold of each row, in SharedArrayBuffers, and an id per search. */
export interface SearchData {
  id: number;
  x: Float32Array;
  y: Float32Array;
  folds: Int32Array;
  rows: number;
  features: number;
  outputs: number;
}

/** One task: a fit, and the data of the search it belongs to. */
export interface TuneWorkerJob {
  data: SearchData;
  job: FoldFitJob;
}

const { wasmModule } = (workerData ?? {}) as TuneWorkerData;
if (wasmModule) adoptWasmKernelsModule(wasmModule);

let latest: { id: number; splits: SplitCache } | undefined;

export default async function tuneJob({ data, job }: TuneWorkerJob): Promise<FoldFitResult> {
  if (latest?.id !== data.id) {
    const dataset: Dataset = { x: data.x, y: data.y, rows: data.rows, features: data.features, outputs: data.outputs };
    // The previous search's splits go with it: a worker holds one search's gathered rows at most.
    latest = { id: data.id, splits: new SplitCache(dataset, data.folds) };
  }
  return runFoldFit(latest.splits, job);
}
