/**
 * The pool workers of `tune`, kept from one search to the next. A fresh worker costs a search twice: Node takes
 * 50-90 ms to start it, and its first fits run at about half speed while V8 compiles the step's JavaScript in the
 * worker's own isolate (about 100 ms of compiling on the seed problem, on cores the other lanes are using). On a
 * small search that is most of what a second thread gains, and it is paid again by every search whose workers are
 * new. So a finished search leaves its workers to the next one for a while (`SEARCH_WORKERS_IDLE_MS` unless the
 * search says otherwise), then closes them.
 *
 * The workers hold no search's data of their own: every job names its search's data (views over shared memory and
 * an id), and a worker keeps the splits it gathered for the latest id only. Idle workers never keep the process
 * alive (piscina unreferences a thread while it has no task), nor does the timer.
 */
import { WorkerPool } from '@shardprop/worker-pool';
import { wasmKernelsModule } from '../kernels/wasm/backend.js';
import type { FoldFitResult } from '../tune/fold-fit.js';
import type { TuneWorkerData, TuneWorkerJob } from './tune-worker.js';
import { workerFileUrl } from './worker-files.js';

/**
 * How long the workers of a finished search wait for the next search before they exit, by default (ms): long
 * enough for a program that searches in a loop, or a person at a prompt, to find them warm.
 */
export const SEARCH_WORKERS_IDLE_MS = 30_000;

export type SearchPool = WorkerPool<TuneWorkerJob, FoldFitResult>;

/**
 * Workers lent to one search; `release` gives them back, to wait `idleMs` for the next search (0, or `broken`: a
 * job failed unexpectedly, close them now).
 */
export interface SearchWorkersLease {
  pool: SearchPool;
  release(broken: boolean, idleMs?: number): Promise<void>;
}

interface Kept {
  pool: SearchPool;
  /** A search holds the pool. */
  lent: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
}

let kept: Kept | undefined;

function newPool(threads: number): SearchPool {
  // The kernels' module whatever a search's kernels: compiled once per process, shared with every worker (its
  // optimised code included); null where WebAssembly SIMD is missing, and each worker then uses TypeScript.
  const wasmModule = wasmKernelsModule();
  const workerData: TuneWorkerData = wasmModule ? { wasmModule } : {};
  return new WorkerPool<TuneWorkerJob, FoldFitResult>({
    filename: workerFileUrl('tune-worker.bundle.js'),
    threads,
    workerData,
  });
}

function forget(entry: Kept): Promise<void> {
  clearTimeout(entry.timer);
  if (kept === entry) kept = undefined;
  return entry.pool.close();
}

/**
 * At least `threads` search workers for one search: the kept ones when they are idle and enough, otherwise new
 * ones (kept in their place when no search holds the old ones; a search running beside another gets its own,
 * closed when it is released).
 */
export function leaseSearchWorkers(threads: number): SearchWorkersLease {
  if (kept?.lent) {
    const pool = newPool(threads);
    return { pool, release: () => pool.close() };
  }
  if (kept && (kept.pool.size < threads || kept.pool.closed)) void forget(kept);
  const entry: Kept = kept ?? { pool: newPool(threads), lent: false, timer: undefined };
  kept = entry;
  clearTimeout(entry.timer);
  entry.timer = undefined;
  entry.lent = true;
  return {
    pool: entry.pool,
    release: (broken, idleMs = SEARCH_WORKERS_IDLE_MS) => {
      entry.lent = false;
      if (broken || kept !== entry || idleMs <= 0) return forget(entry);
      // Infinity keeps them until closeSearchWorkers (setTimeout would take it for 1 ms).
      if (idleMs === Number.POSITIVE_INFINITY) return Promise.resolve();
      entry.timer = setTimeout(() => void forget(entry), Math.min(idleMs, 2 ** 31 - 1));
      entry.timer.unref();
      return Promise.resolve();
    },
  };
}

/** Options of {@link startSearchWorkers}. */
export interface StartSearchWorkersOptions {
  /** How long they wait for a search before they exit, in ms (default `SEARCH_WORKERS_IDLE_MS`). */
  idleMs?: number;
}

/**
 * Starts `threads` search workers now, for the next `tune` call in this process with `threads + 1` threads (the
 * calling thread is a lane of its own): a program that reads its data first can start them meanwhile, so that the
 * search finds them started. They exit after `idleMs` if no search comes. Idle workers enough already there are
 * kept (their wait starts again).
 */
export function startSearchWorkers(threads: number, options: StartSearchWorkersOptions = {}): void {
  if (!(Number.isSafeInteger(threads) && threads >= 1)) {
    throw new RangeError(`threads must be a positive integer, got ${String(threads)}`);
  }
  const { idleMs = SEARCH_WORKERS_IDLE_MS } = options;
  if (!(typeof idleMs === 'number' && idleMs > 0)) {
    throw new RangeError(`options.idleMs must be a positive number of milliseconds, got ${String(idleMs)}`);
  }
  if (kept?.lent) return;
  void leaseSearchWorkers(threads).release(false, idleMs);
}

/**
 * Closes the search workers kept for later searches, and resolves once their threads have exited; a running
 * search keeps its workers until it ends, and they close then instead of waiting for the next search.
 */
export function closeSearchWorkers(): Promise<void> {
  const entry = kept;
  kept = undefined;
  return entry && !entry.lent ? forget(entry) : Promise.resolve();
}
