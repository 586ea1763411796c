/**
 * Data-parallel training on worker threads (Node.js). `fitParallel` takes the same options as `fit`, plus
 * `threads` and `shards`, and produces bitwise-identical weights to `fit` for the same seed and shards,
 * whatever the thread count: the shards of every batch and the order of every sum are fixed, only the
 * assignment of shards and parameter ranges to threads changes.
 */
import { availableParallelism } from 'node:os';
import { WorkerPool } from '@shardprop/worker-pool';
import type { Dataset } from '../data/dataset.js';
import { resolveBackend } from '../kernels/kernels.js';
import { wasmKernelsModule, wasmKernelsSupported } from '../kernels/wasm/backend.js';
import type { Mlp } from '../model/mlp.js';
import { fit, prepareData } from '../train/fit.js';
import { type FitResult, trainLoop } from '../train/loop.js';
import type { FitOptions, ResolvedFitOptions } from '../train/options.js';
import { resolveFitOptions } from '../train/options.js';
import {
  autoThreadPlan,
  checkThreads,
  type EngineSettings,
  parallelFailure,
  SharedMemoryEngine,
  stepWorkOf,
  type WorkerLauncher,
} from './engine.js';
import type { WorkerTask } from './protocol.js';
import { workerFileUrl } from './worker-files.js';

export interface ParallelFitOptions
  extends FitOptions,
    Pick<EngineSettings, 'barrierTimeoutMs' | 'progressIntervalMs' | 'maxThreads' | 'autoThreads'> {
  /**
   * Worker threads, or `'auto'` (the default): up to `maxThreads` (default: every core), as many as measure
   * fastest on the run's own steps (see `measuredThreadPlan`); the weights are the same bits for any count, so
   * the choice only changes the speed. A number forces that count; more threads than cores is correct, but slower.
   */
  threads?: number | 'auto';
}

/** Number of logical cores: the most threads `'auto'` uses. */
export function defaultThreads(): number {
  return availableParallelism();
}

/**
 * Worker threads from a piscina pool, one long task each (grace 1 s after a failure), running the worker module
 * at `workerUrl` (core's own by default).
 */
export function threadLauncher(workerUrl: URL = workerFileUrl('worker.bundle.js')): WorkerLauncher {
  let pool: WorkerPool<WorkerTask, { steps: number }> | undefined;
  return {
    start: (tasks, onFailure) => {
      pool = new WorkerPool<WorkerTask, { steps: number }>({ filename: workerUrl, threads: tasks.length });
      return pool.runOnAll((index) => tasks[index], {
        transferList: (index) => {
          const port = tasks[index].progressPort;
          return port ? [port] : [];
        },
        onFailure,
        graceMs: 1_000,
      });
    },
    stop: async () => pool?.close(),
  };
}

/**
 * True when `threads: 'auto'` trains on one thread from the first step to the last: batches of one shard, one
 * core, or a run too short to time the counts whose cost model says that workers would cost more to start than
 * they save.
 */
function staysOnOneThread(model: Mlp, rows: number, opts: ResolvedFitOptions, options: ParallelFitOptions): boolean {
  const work = stepWorkOf(model, rows, opts, options.maxThreads ?? defaultThreads());
  const plan = autoThreadPlan(work, rows, opts, options.autoThreads);
  return plan.basis === 'only' || (plan.basis === 'estimated' && plan.threads === 1);
}

/**
 * True when `fitParallel(model, data, options)` with `threads: 'auto'` would start workers for a training set of
 * `rows` rows (validation rows excluded): the run is long enough to time the counts, or the cost model says more
 * threads pay. `tune` asks this before giving a fit several threads of its own.
 */
export function autoStartsWorkers(model: Mlp, rows: number, options: ParallelFitOptions): boolean {
  return !staysOnOneThread(model, rows, resolveFitOptions(options), options);
}

/**
 * Trains `model` in place on `data` on worker threads (default `threads: 'auto'`). Same semantics and results as
 * `fit`; progress (`onBatchEnd`) arrives a few times a second rather than after every step. The result's
 * `threads` and `threadTrials` say which count the run settled on and what was measured to choose it.
 */
export async function fitParallel(model: Mlp, data: Dataset, options: ParallelFitOptions): Promise<FitResult> {
  return fitWithLauncher(model, data, options, threadLauncher());
}

/** `fitParallel` with the workers started by `launcher` (tests start theirs through a wrapper). */
export async function fitWithLauncher(
  model: Mlp,
  data: Dataset,
  options: ParallelFitOptions,
  launcher: WorkerLauncher,
): Promise<FitResult> {
  const opts = resolveFitOptions(options);
  const threads = checkThreads(options.threads ?? 'auto');
  const maxThreads = options.maxThreads ?? defaultThreads();
  const { train, validation } = prepareData(model, data, opts);
  if (threads === 'auto' && staysOnOneThread(model, train.rows, opts, options)) {
    // One thread throughout: train on this thread, as `fit` does, without starting any worker.
    const { threads: _threads, maxThreads: _max, autoThreads: _auto, ...fitOptions } = options;
    const { barrierTimeoutMs: _timeout, progressIntervalMs: _interval, ...single } = fitOptions;
    return fit(model, data, single);
  }
  const backend = resolveBackend(opts.kernels, wasmKernelsSupported);
  const settings: EngineSettings = {
    threads,
    maxThreads,
    autoThreads: options.autoThreads,
    backend,
    ...(backend === 'wasm' ? { wasmModule: wasmKernelsModule() ?? undefined } : {}),
    barrierTimeoutMs: options.barrierTimeoutMs,
    progressIntervalMs: options.progressIntervalMs,
  };
  const engine = new SharedMemoryEngine(model, train, opts, settings, launcher);
  try {
    return await trainLoop(model, train, validation, opts, engine);
  } catch (error) {
    throw parallelFailure(error);
  } finally {
    await engine.close();
  }
}
