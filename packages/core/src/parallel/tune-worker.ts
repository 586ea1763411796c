/**
 * The worker side of `tune`: each pool thread runs one single-threaded fold fit per task, on its search's data in
 * shared memory (nothing copied). A thread outlives its search (see `search-workers.ts`), so every task names its
 * data, and the thread keeps the splits it gathered for the latest search only.
 */
import { workerData } from 'node:worker_threads';
import { adoptWasmKernelsModule } from '../kernels/wasm/backend.js';
import { type FoldFitJob, type FoldFitResult, runFoldFit, SplitCache } from '../tune/fold-fit.js';
import { type SearchData, searchDataset } from './search-data.js';

/** What every search worker gets once, at its start. */
export interface TuneWorkerData {
  /** The main thread's compiled kernels: sharing them shares V8's optimised code instead of compiling per thread. */
  wasmModule?: WebAssembly.Module;
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
    // The previous search's splits go with it: a worker holds one search's gathered rows at most.
    latest = { id: data.id, splits: new SplitCache(searchDataset(data), data.folds) };
  }
  return runFoldFit(latest.splits, job);
}
