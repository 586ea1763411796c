/**
 * Data-parallel training in the browser: the main-thread half of core's parallel trainer, over Web Workers.
 *
 * The design is the Node trainer's (packages/core/src/parallel/trainer.ts), with Web Workers in place of the
 * piscina pool: the main thread allocates one shared arena (a shared `WebAssembly.Memory` when the kernels are
 * WebAssembly SIMD, a SharedArrayBuffer otherwise), starts N workers and hands each its `WorkerTask` through a
 * comlink remote (`@shardprop/worker-pool`'s `wrapRemote`). Every worker then runs core's own `trainWorker` loop
 * for the whole run: it sleeps on the control block between epochs and meets the others at the Atomics step
 * barrier twice per step. The main thread takes no part in the barrier: it issues a command per epoch, awaits
 * `Ctl.DONE` with `Atomics.waitAsync` (never `Atomics.wait`, so the page stays responsive), and receives progress
 * from worker 0 through a comlink-proxied callback a few times a second. Epochs, validation, callbacks and the
 * history come from core's `trainLoop`, so a run here reports exactly what `fit` reports.
 *
 * Without cross-origin isolation there is no SharedArrayBuffer: `trainInBrowser` then runs core's single-thread
 * `fit` in one Web Worker instead (see fit.worker.ts), so the page still never blocks.
 */
import {
  compileWasmKernels,
  createWasmMemory,
  type Dataset,
  type EpochEngine,
  type EpochResult,
  type FitOptions,
  type FitResult,
  initialOptimizerState,
  type KernelBackend,
  type KernelPreference,
  loadWasmKernels,
  type Mlp,
  type OptimizerSnapshot,
  prepareData,
  type ResolvedFitOptions,
  resolveBackend,
  resolveFitOptions,
  shardCount,
  TrainingError,
  targetWidth,
  trainLoop,
  wasmKernelsSupported,
} from '@shardprop/core';
import {
  arenaLayout,
  Command,
  Ctl,
  Status,
  type TrainArenaLayout,
  type WorkerTask,
} from '@shardprop/core/parallel-shared';
import {
  Barrier,
  type ExposedChannel,
  exposeOverChannel,
  proxy,
  type Remote,
  SharedArena,
  transfer,
  wrapRemote,
} from '@shardprop/worker-pool/browser';
import type { FitWorkerApi, FitWorkerResult, SerializableFitOptions } from './fit.worker.js';
import type { TrainWorkerApi } from './train.worker.js';

/** How the run was executed. */
export type TrainMode = 'parallel' | 'single-worker';

export interface BrowserFitOptions extends FitOptions {
  /** Web Workers for the parallel trainer (default: `navigator.hardwareConcurrency`). */
  threads?: number;
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

/** The same words as core's trainers for a batch whose loss is not finite. */
function nonFiniteLoss(loss: number, epoch: number, step: number): TrainingError {
  return new TrainingError(
    `loss became ${loss} at epoch ${epoch + 1}, step ${step}: lower the learning rate or check the data for extreme values`,
    epoch,
    step,
  );
}

function errorOf(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/** The Web Workers of one run, each running core's `trainWorker` over the shared arena. */
class BrowserParallelEngine implements EpochEngine {
  private readonly control: Int32Array;
  /** The workers' step barrier; the main thread never waits on it, it only aborts it. */
  private readonly barrier: Barrier;
  private readonly workers: Worker[] = [];
  private readonly runs: Promise<{ steps: number }>[] = [];
  private readonly channel: ExposedChannel;
  private readonly failed: Promise<never>;
  private failure: Error | undefined;
  private rejectFailed: (error: Error) => void = () => {};
  private commands = 0;
  private progress: ((step: number, lossSum: number, rowsDone: number) => void) | null = null;

  private constructor(
    private readonly model: Mlp,
    private readonly opts: ResolvedFitOptions,
    private readonly arena: SharedArena<TrainArenaLayout>,
    readonly backend: KernelBackend,
    readonly threads: number,
  ) {
    this.control = arena.views.control;
    this.barrier = new Barrier(this.control, { participants: threads, index: Ctl.BARRIER });
    this.failed = new Promise<never>((_, reject) => {
      this.rejectFailed = reject;
    });
    // Observed through runEpoch/close; keep the browser from reporting it as unhandled meanwhile.
    this.failed.catch(() => {});
    this.channel = exposeOverChannel({
      progress: (step: number, lossSum: number, rowsDone: number) => this.progress?.(step, lossSum, rowsDone),
    });
  }

  /** Builds the arena, copies the data in and starts `threads` workers on their long task. */
  static async start(
    model: Mlp,
    train: Dataset,
    opts: ResolvedFitOptions,
    options: BrowserFitOptions,
    threads: number,
  ): Promise<BrowserParallelEngine> {
    const P = model.paramCount;
    const targetCols = targetWidth(opts.loss, model.outputSize);
    const maxShards = shardCount(Math.min(opts.batchSize, train.rows), opts.shards);
    const layout = arenaLayout(P, opts.optimizer.stateSlots, maxShards, train.rows, train.features, targetCols);
    let backend = resolveBackend(opts.kernels, wasmKernelsSupported);
    let arena: SharedArena<TrainArenaLayout> | undefined;
    let wasmModule: WebAssembly.Module | undefined;
    if (backend === 'wasm') {
      // Compiled asynchronously: a browser's main thread may refuse to compile synchronously.
      wasmModule = (await compileWasmKernels()) ?? undefined;
      if (wasmModule) arena = wasmArena(layout, wasmModule);
      else if (opts.kernels === 'wasm') throw new Error('kernels "wasm" requested, but they failed to compile here');
      else backend = 'js';
    }
    arena ??= SharedArena.create(layout);

    const engine = new BrowserParallelEngine(model, opts, arena, backend, threads);
    const v = arena.views;
    v.params.set(model.params);
    const init = initialOptimizerState(model, opts);
    if (init.state.length > 0) v.optState.set(init.state);
    v.x.set(train.x.subarray(0, train.rows * train.features));
    v.y.set(train.y.subarray(0, train.rows * targetCols));
    Atomics.store(engine.control, Ctl.OPT_STEP, init.step);
    if (options.injectFault) {
      Atomics.store(engine.control, Ctl.FAULT_KIND, 1);
      Atomics.store(engine.control, Ctl.FAULT_WORKER, options.injectFault.worker);
      Atomics.store(engine.control, Ctl.FAULT_STEP, options.injectFault.step);
    }

    const description = arena.describe();
    for (let index = 0; index < threads; index++) {
      const task: WorkerTask = {
        arena: description,
        index,
        threads,
        spec: model.spec,
        loss: opts.loss,
        targetCols,
        optimizer: opts.optimizer.config,
        batchSize: opts.batchSize,
        shards: opts.shards,
        initialStep: init.step,
        barrierTimeoutMs: options.barrierTimeoutMs ?? 60_000,
        kernels: backend,
        ...(wasmModule ? { wasmModule } : {}),
        progressIntervalMs: options.progressIntervalMs ?? 100,
        ...(index === 0 ? { progressPort: engine.channel.port } : {}),
      };
      engine.spawn(index, task);
    }
    return engine;
  }

  private spawn(index: number, task: WorkerTask): void {
    const worker = new Worker(new URL('./train.worker.ts', import.meta.url), {
      type: 'module',
      name: `shardprop-train-${index}`,
    });
    this.workers.push(worker);
    // A worker that fails to load or dies outside its task: comlink would never answer, so fail the run here.
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      this.fail(new Error(`worker ${index}: ${event.message || 'failed to start or crashed'}`));
    });
    worker.addEventListener('messageerror', () => this.fail(new Error(`worker ${index}: a message could not be read`)));
    const remote: Remote<TrainWorkerApi> = wrapRemote<TrainWorkerApi>(worker);
    const run = remote.train(task.progressPort ? transfer(task, [task.progressPort]) : task);
    run.then(
      () => {
        // Every worker returns only on EXIT or abort: finishing while epochs are still expected is a failure.
        if (this.commands === 0 || Atomics.load(this.control, Ctl.COMMAND_KIND) !== Command.EXIT) {
          this.fail(new Error(`worker ${index} exited before training finished`));
        }
      },
      (error: unknown) => this.fail(new Error(`worker ${index}: ${errorOf(error).message}`, { cause: error })),
    );
    this.runs.push(run);
  }

  /** The first failure wins: record it, release every worker from the barrier and its idle wait. */
  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.barrier.abort(1);
    Atomics.notify(this.control, Ctl.COMMAND);
    this.rejectFailed(error);
  }

  private issue(kind: number): void {
    Atomics.store(this.control, Ctl.COMMAND_KIND, kind);
    this.commands++;
    Atomics.store(this.control, Ctl.COMMAND, this.commands);
    Atomics.notify(this.control, Ctl.COMMAND);
  }

  /** Resolves once `Ctl.DONE` reaches `target`, without ever blocking the main thread. */
  private async waitDone(target: number): Promise<void> {
    for (;;) {
      const done = Atomics.load(this.control, Ctl.DONE);
      if (done >= target) return;
      if (typeof Atomics.waitAsync === 'function') {
        const w = Atomics.waitAsync(this.control, Ctl.DONE, done);
        if (w.async) await Promise.race([w.value, this.failed]);
      } else {
        // Browsers without Atomics.waitAsync: poll.
        await Promise.race([new Promise((resolve) => setTimeout(resolve, 5)), this.failed]);
      }
    }
  }

  private requestStop(): void {
    Atomics.store(this.control, Ctl.STOP_REQUEST, 1);
  }

  async runEpoch(
    order: Int32Array,
    epoch: number,
    report: (step: number, lossSum: number, rowsDone: number) => void,
  ): Promise<EpochResult> {
    if (this.failure) throw this.failure;
    // Like fit: an already-aborted run takes no step.
    if (this.opts.signal?.aborted) return { lossSum: 0, rowsDone: 0, aborted: true };
    const v = this.arena.views;
    const c = this.control;
    v.order.set(order);
    v.stats[0] = 0;
    for (const w of [Ctl.STATUS, Ctl.STEPS_DONE, Ctl.ROWS_DONE, Ctl.STOP_DECISION]) Atomics.store(c, w, 0);
    Atomics.store(c, Ctl.EPOCH_ROWS, order.length);
    const onAbort = () => this.requestStop();
    this.opts.signal?.addEventListener('abort', onAbort);
    this.progress = report;
    const doneBefore = Atomics.load(c, Ctl.DONE);
    try {
      this.issue(Command.RUN_EPOCH);
      await this.waitDone(doneBefore + this.threads);
    } finally {
      this.progress = null;
      this.opts.signal?.removeEventListener('abort', onAbort);
    }
    this.model.params.set(v.params);
    const status = Atomics.load(c, Ctl.STATUS);
    const rowsDone = Atomics.load(c, Ctl.ROWS_DONE);
    if (status === Status.NON_FINITE) throw nonFiniteLoss(v.stats[1], epoch, Atomics.load(c, Ctl.FAIL_STEP));
    if (rowsDone > 0) report(Atomics.load(c, Ctl.STEPS_DONE), v.stats[0], rowsDone);
    return { lossSum: v.stats[0], rowsDone, aborted: status === Status.STOPPED };
  }

  optimizerSnapshot(): OptimizerSnapshot {
    const state = this.arena.views.optState.slice(0, this.opts.optimizer.stateSlots * this.model.paramCount);
    return { step: Atomics.load(this.control, Ctl.OPT_STEP), state };
  }

  /** Ends the workers' long tasks and the workers themselves. */
  async close(): Promise<void> {
    try {
      if (!this.failure) this.issue(Command.EXIT);
      // The workers return after EXIT, or once released by an abort; terminate any that does not within 1 s.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = await Promise.race([
        Promise.allSettled(this.runs).then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), 1_000);
        }),
      ]);
      clearTimeout(timer);
      if (late)
        console.warn('shardprop: a training worker did not return within 1 s of the end of the run; terminated');
    } finally {
      this.channel.close();
      for (const w of this.workers) w.terminate();
    }
  }
}

/**
 * An arena inside a shared WebAssembly.Memory, so every worker's kernels address the same bytes as the views
 * (as trainer.ts's `wasmArena`). The block is reserved through the kernels' allocator; workers allocate their
 * workspaces after it.
 */
function wasmArena(layout: TrainArenaLayout, module: WebAssembly.Module): SharedArena<TrainArenaLayout> {
  const bytes = SharedArena.byteLengthOf(layout);
  const memory = createWasmMemory({ initialBytes: bytes + 16 * 1024 * 1024 });
  const k = loadWasmKernels(memory, module);
  if (!k) throw new Error('WebAssembly kernels are unavailable');
  const block = k.alloc(Float32Array, Math.ceil(bytes / 4) + 16);
  return SharedArena.create(layout, { buffer: memory, byteOffset: block.byteOffset });
}

function describeFailure(error: unknown): unknown {
  if (error instanceof TrainingError || !(error instanceof Error)) return error;
  return new Error(`parallel training failed: ${error.message}`, { cause: error });
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
  const threads = options.threads ?? defaultThreads();
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(`options.threads must be a positive integer, got ${String(options.threads)}`);
  }
  const { train, validation } = prepareData(model, data, opts);
  const engine = await BrowserParallelEngine.start(model, train, opts, options, threads);
  try {
    const result = await trainLoop(model, train, validation, opts, engine);
    return { ...result, mode: 'parallel', threads };
  } catch (error) {
    throw describeFailure(error);
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
