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
  type Callbacks,
  compileWasmKernels,
  createKernels,
  type Dataset,
  evaluate,
  type FitOptions,
  type FitResult,
  initialLrScheduleState,
  type KernelBackend,
  type KernelPreference,
  type LrScheduleState,
  type Mlp,
  type OptimizerSnapshot,
  type TrainEndContext,
  wasmKernelsSupported,
} from '@shardprop/core';
import { prepareData, resolveBackend, resolveFitOptions, trainLoop } from '@shardprop/core/internal';
import {
  checkThreads,
  parallelFailure,
  SharedMemoryEngine,
  type WorkerLauncher,
} from '@shardprop/core/parallel-shared';
import { proxy, type Remote, transfer, wrapRemote } from '@shardprop/worker-pool/browser';
import type { FitWorkerApi, FitWorkerResult, SerializableFitOptions } from './fit.worker.js';
import type { TrainWorkerApi } from './train.worker.js';

/** How the run was executed. */
export type TrainMode = 'parallel' | 'single-worker';

export interface BrowserFitOptions extends FitOptions {
  /**
   * Web Workers for the parallel trainer: a count, or `auto` (the default): core's engine times 1 up to one
   * worker per core on the run's own steps and keeps the fastest (the weights are the same bits either way).
   */
  threads?: number | 'auto';
  /** Milliseconds a worker waits at the step barrier before giving up (default 60,000). */
  barrierTimeoutMs?: number;
  /** Minimum milliseconds between `onBatchEnd` progress reports (default 100). */
  progressIntervalMs?: number;
  /** Called at the start and whenever the number of training workers or its reason changes (as in the result). */
  onThreads?: (threads: number, reason: string) => void;
}

/**
 * What a run returns. When the abort signal stops a run mid-epoch, the result describes the last complete epoch,
 * as the CLI's stop does: the weights and optimizer state at that boundary, and a history without the cut-short
 * epoch (whose `onEpochEnd` is not called either).
 */
export interface BrowserFitResult extends FitResult {
  mode: TrainMode;
  /** Workers that trained at the end: the count `auto` settled on or the one asked for; 1 without shared memory. */
  threads: number;
  /** Why that many: what `auto` measured, or that the count was asked for, or that memory is not shared. */
  threadsReason: string;
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

/** Core's fit options: `options` without the page's own. */
function fitOptionsOf(options: BrowserFitOptions): FitOptions {
  const { threads, barrierTimeoutMs, progressIntervalMs, onThreads, ...fitOptions } = options;
  return fitOptions;
}

function errorOf(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/**
 * Web Workers for core's parallel engine: one module worker per task, each running core's `trainWorker` through a
 * comlink remote (see train.worker.ts).
 */
function webWorkerLauncher(): WorkerLauncher {
  const workers: Worker[] = [];
  return {
    start(tasks, onFailure) {
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
  // Progress also tells the page when auto's count (or what it rests on) changes; `show` is set once the engine is.
  let show = () => {};
  const user = options.callbacks;
  const boundary = new EpochBoundary(model, {
    ...options,
    callbacks: {
      ...user,
      onBatchEnd: (log) => {
        show();
        user?.onBatchEnd?.(log);
      },
    },
  });
  const opts = resolveFitOptions({ ...fitOptionsOf(options), callbacks: boundary.callbacks });
  const { train, validation } = prepareData(model, data, opts);
  boundary.trainRows = train.rows;
  const auto = options.threads === undefined || options.threads === 'auto';
  const settings = {
    threads: auto ? ('auto' as const) : checkThreads(options.threads ?? 'auto'),
    maxThreads: defaultThreads(),
    ...(await parallelKernels(opts.kernels)),
    barrierTimeoutMs: options.barrierTimeoutMs,
    progressIntervalMs: options.progressIntervalMs ?? 100,
  };
  const engine = new SharedMemoryEngine(model, train, opts, settings, webWorkerLauncher());
  const reason = () => (auto ? engine.describeThreads('worker') : 'as chosen under Threads');
  let shown = '';
  show = () => {
    const now = `${engine.threads}\n${reason()}`;
    if (now === shown) return;
    shown = now;
    options.onThreads?.(engine.threads, reason());
  };
  show();
  try {
    const result = boundary.complete(await trainLoop(model, train, validation, opts, engine));
    return { ...result, mode: 'parallel', threads: engine.threads, threadsReason: reason() };
  } catch (error) {
    throw parallelFailure(error);
  } finally {
    await engine.close();
  }
}

const SINGLE_WORKER = {
  mode: 'single-worker',
  threads: 1,
  threadsReason: 'one worker: this page cannot share memory between threads',
} as const;

/**
 * Stop keeps what the CLI keeps: the last complete epoch. Core's loop reports an epoch cut short by the abort
 * signal like any other (a history entry, `onEpochEnd`) and leaves the weights mid-epoch. This class wraps the
 * run's callbacks so that such an epoch never reaches the caller, copies the weights and optimizer state at
 * every epoch boundary, and rolls the result back to the last boundary.
 */
class EpochBoundary {
  /** Training rows per epoch (set once the data is prepared): an epoch that trained fewer was cut short. */
  trainRows = Number.POSITIVE_INFINITY;
  readonly callbacks: Callbacks;
  private rowsDone = 0;
  private params: Float32Array;
  private optimizer: OptimizerSnapshot | undefined;
  private partial = false;

  constructor(
    private readonly model: Mlp,
    options: FitOptions,
  ) {
    this.params = model.params.slice();
    this.optimizer = options.optimizerState;
    const user = options.callbacks ?? {};
    this.callbacks = {
      ...user,
      onEpochBegin: (epoch) => {
        this.rowsDone = 0;
        return user.onEpochBegin?.(epoch);
      },
      // The engine reports the epoch's final totals before the epoch ends, so rowsDone is complete here.
      onBatchEnd: (log) => {
        this.rowsDone = log.rowsDone;
        user.onBatchEnd?.(log);
      },
      onEpochEnd: (log, context) => {
        if (this.rowsDone < this.trainRows) {
          this.partial = true;
          return;
        }
        this.params = this.model.params.slice();
        this.optimizer = context.optimizerState();
        return user.onEpochEnd?.(log, context);
      },
    };
  }

  /** `result` without an epoch cut short: the model's weights and the optimizer state go back to the boundary. */
  complete(result: FitResult): FitResult {
    if (!this.partial) return result;
    this.model.params.set(this.params);
    const cut = result.history[result.history.length - 1];
    const history = result.history.slice(0, -1);
    return {
      ...result,
      history,
      epochsRun: history.length,
      // Resuming runs the cut-short epoch again.
      nextEpoch: cut.epoch,
      optimizerState: this.optimizer ?? { step: 0, state: new Float32Array(0) },
    };
  }
}

/**
 * The fallback without shared memory: core's single-thread `fit` in one Web Worker, so the page stays
 * responsive. Callbacks are relayed from the worker; `onEpochEnd`'s optimizer state is not available. Stopping
 * terminates the worker and keeps the weights of the last completed epoch.
 */
export async function fitInOneWorker(model: Mlp, data: Dataset, options: BrowserFitOptions): Promise<BrowserFitResult> {
  // Validate here, with core's messages, before anything starts.
  const opts = resolveFitOptions(fitOptionsOf(options));
  prepareData(model, data, opts);
  options.onThreads?.(SINGLE_WORKER.threads, SINGLE_WORKER.threadsReason);
  const callbacks = opts.callbacks;
  const worker = new Worker(new URL('./fit.worker.ts', import.meta.url), { type: 'module', name: 'shardprop-fit' });
  const remote = wrapRemote<FitWorkerApi>(worker);
  const history: FitResult['history'] = [];
  let lastParams: Float32Array | undefined;
  let lastLrState: LrScheduleState | undefined;
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
  // The training rows' metrics on this thread: the worker that trains cannot be asked while it runs, and is gone
  // by the end.
  let trainRows: Dataset | undefined; // split off once, on the first evaluation asked for
  const trainEnd = (kernels: KernelPreference): TrainEndContext => ({
    evaluate: async (params = model.params) => {
      const weights = model.clone();
      weights.params.set(params);
      trainRows ??= prepareData(model, data, opts).train;
      return evaluate(weights, trainRows, opts.loss, createKernels(kernels));
    },
  });
  const sink = {
    batch: (log: Parameters<NonNullable<typeof callbacks.onBatchEnd>>[0]) => callbacks.onBatchEnd?.(log),
    epoch: async (log: FitResult['history'][number], params: Float32Array, lrState: LrScheduleState) => {
      history.push(log);
      lastParams = params;
      lastLrState = lrState;
      model.params.set(params);
      await callbacks.onEpochEnd?.(log, {
        ...trainEnd(opts.kernels),
        optimizerState: () => {
          throw new Error('the optimizer state is not available when training in one worker');
        },
        lrScheduleState: () => ({ ...lrState }),
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
    l1: opts.l1,
    l2: opts.l2,
    ...(opts.clipNorm > 0 ? { clipNorm: opts.clipNorm } : {}),
    ...(opts.clipValue > 0 ? { clipValue: opts.clipValue } : {}),
    ...(options.lrSchedule ? { lrSchedule: options.lrSchedule } : {}),
    ...(options.lrScheduleState ? { lrScheduleState: options.lrScheduleState } : {}),
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
      await callbacks.onTrainEnd?.(history, trainEnd('js'));
      return {
        history,
        epochsRun: history.length,
        nextEpoch: opts.initialEpoch + history.length,
        stoppedEarly: false,
        aborted: true,
        optimizerState: { step: 0, state: new Float32Array(0) },
        lrScheduleState: lastLrState ?? initialLrScheduleState(opts.lrSchedule, opts.optimizer.config.learningRate),
        resumeParams: model.params.slice(),
        kernels: 'js',
        ...SINGLE_WORKER,
      };
    }
    model.params.set(outcome.params);
    await callbacks.onTrainEnd?.(outcome.result.history, trainEnd(outcome.result.kernels));
    return { ...outcome.result, ...SINGLE_WORKER };
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
