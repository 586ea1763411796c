/**
 * Data-parallel training in the browser: the main-thread half of core's parallel trainer, over Web Workers.
 *
 * Core's `SharedMemoryEngine` (`@shardprop/core/parallel-shared`) does what it does for the Node trainer: one
 * shared arena (a shared `WebAssembly.Memory` when the kernels are WebAssembly SIMD, a SharedArrayBuffer
 * otherwise), one `WorkerTask` per worker, epochs driven through the control block and awaited with
 * `Atomics.waitAsync` (never `Atomics.wait`, so the page stays responsive), progress from worker 0 through comlink.
 * This file only supplies the workers: module Web Workers running core's `trainWorker` behind a comlink remote.
 * Epochs, validation, callbacks and the history come from core's `trainLoop`, so a run here reports exactly what
 * `fit` reports.
 *
 * Without cross-origin isolation there is no SharedArrayBuffer: `trainInBrowser` then runs core's single-thread
 * `fit` in one Web Worker instead (see fit.worker.ts), so the page still never blocks.
 */
import {
  compileWasmKernels,
  type Dataset,
  type FitOptions,
  type FitResult,
  type KernelBackend,
  type KernelPreference,
  type Mlp,
  prepareData,
  resolveBackend,
  resolveFitOptions,
  trainLoop,
  wasmKernelsSupported,
} from '@shardprop/core';
import {
  Ctl,
  checkThreads,
  parallelFailure,
  SharedMemoryEngine,
  type WorkerLauncher,
} from '@shardprop/core/parallel-shared';
import { proxy, type Remote, SharedArena, transfer, wrapRemote } from '@shardprop/worker-pool/browser';
import type { FitWorkerApi, FitWorkerResult, SerializableFitOptions } from './fit.worker.js';
import type { TrainWorkerApi } from './train.worker.js';

/** How the run was executed. */
export type TrainMode = 'parallel' | 'single-worker';

export interface BrowserFitOptions extends FitOptions {
  /**
   * Web Workers for the parallel trainer, or `'auto'`: up to `navigator.hardwareConcurrency`, as many as measure
   * fastest (default: `navigator.hardwareConcurrency`).
   */
  threads?: number | 'auto';
  /** Milliseconds a worker waits at the step barrier before giving up (default 60,000). */
  barrierTimeoutMs?: number;
  /** Minimum milliseconds between `onBatchEnd` progress reports (default 100). */
  progressIntervalMs?: number;
  /** Test hook (parallel mode): make worker `worker` throw just before optimizer step `step`. */
  injectFault?: { worker: number; step: number };
}

export interface BrowserFitResult extends FitResult {
  mode: TrainMode;
  /** Workers that trained: `threads` in parallel mode, 1 otherwise. */
  threads: number;
}

/** Whether this page can share memory between threads (cross-origin isolated, SharedArrayBuffer present). */
export function sharedMemoryAvailable(): boolean {
  return globalThis.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function';
}

/** Logical cores as the browser reports them: the default thread count. */
export function defaultThreads(): number {
  const n = globalThis.navigator?.hardwareConcurrency;
  return typeof n === 'number' && n > 0 ? n : 1;
}

/** The kernel backend a run would use here (without starting anything). */
export function plannedBackend(preference: KernelPreference): KernelBackend {
  return resolveBackend(preference, wasmKernelsSupported);
}

function errorOf(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/**
 * Web Workers for core's parallel engine: one module worker per task, each running core's `trainWorker` through a
 * comlink remote (see train.worker.ts). With `fault` (the page's test hook), worker `fault.worker` is terminated
 * and reported failed once the run reaches optimizer step `fault.step`.
 */
function webWorkerLauncher(fault?: { worker: number; step: number }): WorkerLauncher {
  const workers: Worker[] = [];
  let watch: ReturnType<typeof setInterval> | undefined;
  return {
    start(tasks, onFailure) {
      if (fault) {
        const control = SharedArena.fromDescription(tasks[0].arena).views.control;
        watch = setInterval(() => {
          if (Atomics.load(control, Ctl.OPT_STEP) + 1 < fault.step) return;
          clearInterval(watch);
          workers[fault.worker]?.terminate();
          onFailure(
            new Error(`worker ${fault.worker}: injected fault in worker ${fault.worker} at step ${fault.step}`),
          );
        }, 1);
      }
      const runs = tasks.map((task, index) => {
        const worker = new Worker(new URL('./train.worker.ts', import.meta.url), {
          type: 'module',
          name: `shardprop-train-${index}`,
        });
        workers.push(worker);
        // A worker that fails to load or dies outside its task: comlink would never answer, so fail the run here.
        worker.addEventListener('error', (event) => {
          event.preventDefault();
          onFailure(new Error(`worker ${index}: ${event.message || 'failed to start or crashed'}`));
        });
        worker.addEventListener('messageerror', () =>
          onFailure(new Error(`worker ${index}: a message could not be read`)),
        );
        const remote: Remote<TrainWorkerApi> = wrapRemote<TrainWorkerApi>(worker);
        return remote.train(task.progressPort ? transfer(task, [task.progressPort]) : task).catch((error: unknown) => {
          const failure = new Error(`worker ${index}: ${errorOf(error).message}`);
          onFailure(failure);
          throw failure;
        });
      });
      return Promise.all(runs);
    },
    async stop() {
      clearInterval(watch);
      for (const w of workers) w.terminate();
    },
  };
}

/** The kernels for a parallel run, compiled asynchronously: a page's main thread may refuse to compile synchronously. */
async function parallelKernels(
  preference: KernelPreference,
): Promise<{ backend: KernelBackend; wasmModule?: WebAssembly.Module }> {
  if (resolveBackend(preference, wasmKernelsSupported) !== 'wasm') return { backend: 'js' };
  const wasmModule = (await compileWasmKernels()) ?? undefined;
  if (wasmModule) return { backend: 'wasm', wasmModule };
  if (preference === 'wasm') throw new Error('kernels "wasm" requested, but they failed to compile here');
  return { backend: 'js' };
}

/**
 * Trains `model` in place on `data` with `threads` Web Workers over shared memory. Same semantics and results as
 * core's `fit` and `fitParallel` (bitwise identical weights for the same seed, shards and kernels, whatever the
 * thread count); progress (`onBatchEnd`) arrives a few times a second. Needs a cross-origin isolated page.
 */
export async function fitParallelInBrowser(
  model: Mlp,
  data: Dataset,
  options: BrowserFitOptions,
): Promise<BrowserFitResult> {
  if (!sharedMemoryAvailable()) {
    throw new Error('parallel training needs SharedArrayBuffer: serve the page cross-origin isolated');
  }
  const opts = resolveFitOptions(options);
  const threads = checkThreads(options.threads ?? defaultThreads());
  const { train, validation } = prepareData(model, data, opts);
  const settings = {
    threads,
    ...(await parallelKernels(opts.kernels)),
    barrierTimeoutMs: options.barrierTimeoutMs,
    progressIntervalMs: options.progressIntervalMs ?? 100,
  };
  const engine = new SharedMemoryEngine(model, train, opts, settings, webWorkerLauncher(options.injectFault));
  try {
    const result = await trainLoop(model, train, validation, opts, engine);
    return { ...result, mode: 'parallel', threads: engine.threads };
  } catch (error) {
    throw parallelFailure(error);
  } finally {
    await engine.close();
  }
}

/**
 * The fallback without shared memory: core's single-thread `fit` in one Web Worker, so the page stays
 * responsive. Callbacks are relayed from the worker; `onEpochEnd`'s optimizer state is not available. Stopping
 * terminates the worker and keeps the weights of the last completed epoch.
 */
export async function fitInOneWorker(model: Mlp, data: Dataset, options: BrowserFitOptions): Promise<BrowserFitResult> {
  // Validate here, with core's messages, before anything starts.
  const opts = resolveFitOptions(options);
  prepareData(model, data, opts);
  const callbacks = opts.callbacks;
  const worker = new Worker(new URL('./fit.worker.ts', import.meta.url), { type: 'module', name: 'shardprop-fit' });
  const remote = wrapRemote<FitWorkerApi>(worker);
  const history: FitResult['history'] = [];
  let lastParams: Float32Array | undefined;
  let stopped: () => void = () => {};
  const stop = new Promise<'stopped'>((resolve) => {
    stopped = () => resolve('stopped');
  });
  let crashed: (error: Error) => void = () => {};
  const crash = new Promise<never>((_, reject) => {
    crashed = reject;
  });
  worker.addEventListener('error', (event) => {
    event.preventDefault();
    crashed(new Error(`worker: ${event.message || 'failed to start or crashed'}`));
  });
  if (opts.signal?.aborted) stopped();
  opts.signal?.addEventListener('abort', stopped);
  const sink = {
    batch: (log: Parameters<NonNullable<typeof callbacks.onBatchEnd>>[0]) => callbacks.onBatchEnd?.(log),
    epoch: async (log: FitResult['history'][number], params: Float32Array) => {
      history.push(log);
      lastParams = params;
      model.params.set(params);
      await callbacks.onEpochEnd?.(log, {
        optimizerState: () => {
          throw new Error('the optimizer state is not available when training in one worker');
        },
        threadTrials: () => [],
      });
    },
  };
  const serializable: SerializableFitOptions = {
    loss: opts.loss,
    optimizer: opts.optimizer.config,
    epochs: opts.epochs,
    batchSize: opts.batchSize,
    shuffle: opts.shuffle,
    seed: opts.seed,
    ...(opts.shards !== undefined ? { shards: opts.shards } : {}),
    validationSplit: opts.validationSplit,
    ...(opts.validationData ? { validationData: opts.validationData } : {}),
    ...(options.earlyStopping ? { earlyStopping: options.earlyStopping } : {}),
    initialEpoch: opts.initialEpoch,
    ...(opts.optimizerState ? { optimizerState: opts.optimizerState } : {}),
    kernels: opts.kernels,
    progressIntervalMs: options.progressIntervalMs ?? 100,
  };
  try {
    await callbacks.onTrainBegin?.();
    const outcome: FitWorkerResult | 'stopped' = await Promise.race([
      remote.fit(model.spec, model.params, data, serializable, proxy(sink)),
      stop,
      crash,
    ]);
    if (outcome === 'stopped') {
      if (lastParams) model.params.set(lastParams);
      await callbacks.onTrainEnd?.(history);
      return {
        history,
        epochsRun: history.length,
        nextEpoch: opts.initialEpoch + history.length,
        stoppedEarly: false,
        aborted: true,
        optimizerState: { step: 0, state: new Float32Array(0) },
        resumeParams: model.params.slice(),
        kernels: 'js',
        mode: 'single-worker',
        threads: 1,
      };
    }
    model.params.set(outcome.params);
    await callbacks.onTrainEnd?.(outcome.result.history);
    return { ...outcome.result, mode: 'single-worker', threads: 1 };
  } finally {
    opts.signal?.removeEventListener('abort', stopped);
    worker.terminate();
  }
}

/**
 * Trains with every core when the page can share memory (`fitParallelInBrowser`), and otherwise in one worker
 * (`fitInOneWorker`).
 */
export function trainInBrowser(model: Mlp, data: Dataset, options: BrowserFitOptions): Promise<BrowserFitResult> {
  return sharedMemoryAvailable() ? fitParallelInBrowser(model, data, options) : fitInOneWorker(model, data, options);
}
