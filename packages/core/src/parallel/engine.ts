/**
 * The main-thread half of data-parallel training, for any kind of worker: Node.js worker threads (`trainer.ts`,
 * through piscina) or a page's Web Workers (apps/web). Browser-safe; what differs between the two is only how
 * workers are started and stopped, which a {@link WorkerLauncher} supplies.
 *
 * The engine owns the shared arena (weights, optimizer state, data, gradient slots, control block), hands every
 * worker its {@link WorkerTask} once, and then drives epochs through the control block: one command per epoch,
 * completion awaited with `Atomics.waitAsync`, so the main thread never blocks and never takes part in the step
 * barrier. Worker 0 reports progress through a comlink channel a few times a second.
 */
import {
  Barrier,
  detectCores,
  type ExposedChannel,
  exposeOverChannel,
  SharedArena,
} from '@shardprop/worker-pool/browser';
import type { KernelBackend } from '../kernels/kernels.js';
import { createWasmMemory, loadWasmKernels } from '../kernels/wasm/backend.js';
import { targetWidth } from '../losses/loss.js';
import { trainFlopsPerRow } from '../model/layout.js';
import type { Mlp } from '../model/mlp.js';
import { initialOptimizerState, type TrainingSet } from '../train/fit.js';
import { type EpochEngine, type EpochResult, nonFiniteLoss, TrainingError } from '../train/loop.js';
import { combineMetricParts, type Metrics } from '../train/metrics.js';
import type { OptimizerSnapshot, ResolvedFitOptions } from '../train/options.js';
import { shardCount } from '../train/step.js';
import {
  arenaLayout,
  Command,
  Ctl,
  dataLayout,
  Status,
  type TrainArenaLayout,
  type TrainDataLayout,
  type WorkerTask,
} from './protocol.js';
import { arenaInKernelsMemory, sharedDataArena } from './shared-data.js';
import {
  describeThreadChoice,
  fixedThreadPlan,
  type MeasuredPlanOptions,
  measuredThreadPlan,
  replicatesUpdate,
  type StepWork,
  type ThreadPlan,
  type ThreadTrial,
} from './thread-choice.js';

/** Starts and stops the workers of one run; everything else is the engine's. */
export interface WorkerLauncher {
  /**
   * Starts `tasks[i]` (core's `trainWorker` loop) on worker `i`, transferring each task's `progressPort`.
   * Calls `onFailure` at once with the first failure of any worker (a throw, a crash, a worker that cannot
   * start); the returned promise settles when every task has returned or failed.
   */
  start(tasks: readonly WorkerTask[], onFailure: (error: Error) => void): Promise<unknown>;
  /** Releases the workers, terminating any that is still running. Called once, after the tasks ended or failed. */
  stop(): Promise<void>;
}

/** How the engine runs, beyond the fit options. */
export interface EngineSettings {
  /**
   * Workers to start, or `'auto'`: start `maxThreads` and choose how many take part by measuring the run's own
   * steps ({@link measuredThreadPlan}); the weights are the same bits whatever the choice.
   */
  threads: number | 'auto';
  /** With `threads: 'auto'`: the most workers to use (default: the cores the runtime reports). */
  maxThreads?: number;
  /** With `threads: 'auto'`: how the counts are tried (warm-up, length and number of timed runs). */
  autoThreads?: Omit<MeasuredPlanOptions, 'totalSteps'>;
  /** Already resolved; with `wasm` the arena lives in a shared WebAssembly.Memory. */
  backend: KernelBackend;
  /** The compiled kernels, posted to every worker so they share V8's compiled code. */
  wasmModule?: WebAssembly.Module;
  /** Milliseconds a worker waits at the step barrier before giving up (default 60,000). */
  barrierTimeoutMs?: number;
  /** Minimum milliseconds between progress reports (default 200). */
  progressIntervalMs?: number;
}

/** Milliseconds the workers get to return after the last command before they are terminated. */
const EXIT_GRACE_MS = 1_000;

/** What one step of a run costs, for the thread choice (the engine's, and `fitParallel`'s before it starts one). */
export function stepWorkOf(model: Mlp, rows: number, opts: ResolvedFitOptions, maxThreads: number): StepWork {
  return {
    paramCount: model.paramCount,
    flopsPerRow: trainFlopsPerRow(model.layout),
    batchSize: Math.min(opts.batchSize, rows),
    shards: opts.shards,
    maxThreads,
  };
}

/** The `'auto'` plan of a run of `opts.epochs` epochs over `rows` rows: timed on its steps, or estimated. */
export function autoThreadPlan(
  work: StepWork,
  rows: number,
  opts: ResolvedFitOptions,
  tuning?: Omit<MeasuredPlanOptions, 'totalSteps'>,
): ThreadPlan {
  const epochSteps = Math.ceil(rows / opts.batchSize);
  return measuredThreadPlan(work, { ...tuning, totalSteps: opts.epochs * epochSteps, epochSteps });
}

/** One run's workers over one shared arena: the {@link EpochEngine} that `trainLoop` drives. */
export class SharedMemoryEngine implements EpochEngine {
  readonly backend: KernelBackend;
  readonly arena: SharedArena<TrainArenaLayout>;
  /** The training rows: the caller's own when they came from `sharedDataset`, else a copy. */
  readonly data: SharedArena<TrainDataLayout>;
  private readonly control: Int32Array;
  /** The workers' step barrier; the main thread never waits on it, it only aborts it. */
  private readonly barrier: Barrier;
  private readonly channel: ExposedChannel;
  private readonly run: Promise<unknown>;
  private readonly failed: Promise<never>;
  private rejectFailed: (error: Error) => void = () => {};
  private failure: Error | undefined;
  private exiting = false;
  private commands = 0;
  /** Workers started; a command makes `plan.threads` of them take part. */
  readonly maxThreads: number;
  private readonly plan: ThreadPlan;
  private progress: ((step: number, lossSum: number, rowsDone: number) => void) | null = null;

  constructor(
    private readonly model: Mlp,
    train: TrainingSet,
    private readonly opts: ResolvedFitOptions,
    settings: EngineSettings,
    private readonly launcher: WorkerLauncher,
  ) {
    const { backend } = settings;
    const targetCols = targetWidth(opts.loss, model.outputSize);
    const maxShards = shardCount(Math.min(opts.batchSize, train.rows), opts.shards);
    const maxThreads = settings.threads === 'auto' ? (settings.maxThreads ?? detectCores()) : settings.threads;
    const work = stepWorkOf(model, train.rows, opts, maxThreads);
    const replicate = replicatesUpdate(work);
    const layout = arenaLayout(
      model.paramCount,
      opts.optimizer.stateSlots,
      maxShards,
      train.rows,
      model.outputSize,
      train.weights !== undefined,
      replicate ? 2 : 1,
    );
    this.backend = backend;
    // Rows that `sharedDataset` placed in shared memory are trained on where they lie (for wasm kernels, when the
    // memory is a kernels memory, which then holds the rest of the arena too); any others are copied.
    const inPlace = sharedDataArena({ ...train, outputs: targetCols });
    const shared = inPlace && (backend === 'js' || inPlace.memory) ? inPlace : undefined;
    const rowsLayout = dataLayout(train.rows, train.features, targetCols);
    if (backend === 'wasm') {
      const memory =
        shared?.memory ??
        createWasmMemory({
          initialBytes: SharedArena.byteLengthOf(layout) + SharedArena.byteLengthOf(rowsLayout) + 16 * 1024 * 1024,
        });
      const kernels = loadWasmKernels(memory, settings.wasmModule);
      if (!kernels) throw new Error('WebAssembly kernels are unavailable');
      this.arena = arenaInKernelsMemory(kernels, layout);
      this.data = shared ?? arenaInKernelsMemory(kernels, rowsLayout);
    } else {
      this.arena = SharedArena.create(layout);
      this.data = shared ?? SharedArena.create(rowsLayout);
    }
    const v = this.arena.views;
    this.control = v.control;
    this.plan =
      settings.threads === 'auto'
        ? autoThreadPlan(work, train.rows, opts, settings.autoThreads)
        : fixedThreadPlan(settings.threads);
    // Workers for every count the plan may use: the most candidates when it times them, else its one count.
    const threads = this.plan.basis === 'measuring' ? Math.max(...this.plan.candidates) : this.plan.threads;
    this.maxThreads = threads;
    this.barrier = new Barrier(this.control, { participants: threads, index: Ctl.BARRIER });
    v.params.set(model.params);
    const init = initialOptimizerState(model, opts);
    if (init.state.length > 0) v.optState.set(init.state);
    if (!shared) {
      this.data.views.x.set(train.x.subarray(0, train.rows * train.features));
      this.data.views.y.set(train.y.subarray(0, train.rows * targetCols));
    }
    if (train.weights) v.w.set(train.weights);
    Atomics.store(this.control, Ctl.OPT_STEP, init.step);

    this.failed = new Promise<never>((_, reject) => {
      this.rejectFailed = reject;
    });
    // Observed through runEpoch/close; keep the runtime from reporting it as unhandled meanwhile.
    this.failed.catch(() => {});
    this.channel = exposeOverChannel({
      progress: (step: number, lossSum: number, rowsDone: number) => this.progress?.(step, lossSum, rowsDone),
    });
    const arena = this.arena.describe();
    const data = this.data.describe();
    const tasks: WorkerTask[] = [];
    for (let index = 0; index < threads; index++) {
      tasks.push({
        arena,
        data,
        index,
        maxThreads: threads,
        maxShards,
        replicate,
        spec: model.spec,
        loss: opts.loss,
        targetCols,
        seed: opts.seed,
        weighted: train.weights !== undefined,
        optimizer: opts.optimizer.config,
        rules: { l1: opts.l1, l2: opts.l2, clipNorm: opts.clipNorm, clipValue: opts.clipValue },
        // No batch is larger than the data: workspaces are sized by this, so a huge batchSize costs nothing.
        batchSize: Math.min(opts.batchSize, train.rows),
        shards: opts.shards,
        initialStep: init.step,
        barrierTimeoutMs: settings.barrierTimeoutMs ?? 60_000,
        kernels: backend,
        ...(backend === 'wasm' && settings.wasmModule ? { wasmModule: settings.wasmModule } : {}),
        progressIntervalMs: settings.progressIntervalMs ?? 200,
        ...(index === 0 ? { progressPort: this.channel.port } : {}),
      });
    }
    this.run = launcher.start(tasks, (error) => this.fail(error));
    this.run.then(
      // Every task returns only on EXIT or abort: returning while epochs are still expected is a failure.
      () => this.exiting || this.fail(new Error('workers exited before training finished')),
      (error: unknown) => this.fail(error instanceof Error ? error : new Error(String(error))),
    );
  }

  /** The first failure wins: record it, release every worker from the barrier and from its idle wait. */
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

  /** Resolves once `Ctl.DONE` reaches `target`, without ever blocking the calling thread. */
  private async waitDone(target: number): Promise<void> {
    for (;;) {
      const done = Atomics.load(this.control, Ctl.DONE);
      if (done >= target) return;
      if (typeof Atomics.waitAsync === 'function') {
        const w = Atomics.waitAsync(this.control, Ctl.DONE, done);
        if (w.async) await Promise.race([w.value, this.failed]);
      } else {
        // Runtimes without Atomics.waitAsync (older browsers): poll.
        await Promise.race([new Promise((resolve) => setTimeout(resolve, 5)), this.failed]);
      }
    }
  }

  private requestStop(): void {
    Atomics.store(this.control, Ctl.STOP_REQUEST, 1);
  }

  /**
   * The thread count the run settled on (`ThreadPlan.chosen`): the count in use, except during a recheck of the
   * counts, where it stays the one the last completed round chose.
   */
  get threads(): number {
    return this.plan.chosen;
  }

  get threadTrials(): readonly ThreadTrial[] {
    return this.plan.trials;
  }

  /** One line on why the run trains on {@link threads} now (see `describeThreadChoice`). */
  describeThreads(noun = 'thread'): string {
    return describeThreadChoice(this.plan, noun);
  }

  async runEpoch(
    order: Int32Array,
    epoch: number,
    learningRate: number,
    report: (step: number, lossSum: number, rowsDone: number) => void,
  ): Promise<EpochResult> {
    if (this.failure) throw this.failure;
    // Like fit: an already-aborted run takes no step.
    if (this.opts.signal?.aborted) return { lossSum: 0, rowsDone: 0, aborted: true };
    const v = this.arena.views;
    const c = this.control;
    v.order.set(order);
    v.stats[0] = 0;
    v.stats[2] = learningRate;
    for (const w of [Ctl.STATUS, Ctl.STEPS_DONE, Ctl.ROWS_DONE, Ctl.STOP_DECISION, Ctl.STOP_DECISION + 1]) {
      Atomics.store(c, w, 0);
    }
    Atomics.store(c, Ctl.EPOCH_ROWS, order.length);
    Atomics.store(c, Ctl.EPOCH, epoch);
    const stepsInEpoch = Math.ceil(order.length / this.opts.batchSize);
    const onAbort = () => this.requestStop();
    this.opts.signal?.addEventListener('abort', onAbort);
    this.progress = report;
    let stoppedBetween = false;
    try {
      // Runs of steps, each on the count the plan asks for; one run per epoch when the count is fixed.
      for (let stepsDone = 0; stepsDone < stepsInEpoch; ) {
        if (stepsDone > 0 && Atomics.load(c, Ctl.STOP_REQUEST) !== 0) {
          stoppedBetween = true;
          break;
        }
        const segment = this.plan.next(stepsInEpoch - stepsDone);
        Atomics.store(c, Ctl.ACTIVE, segment.threads);
        Atomics.store(c, Ctl.LAST_STEP, stepsDone + Math.max(1, segment.steps));
        const doneBefore = Atomics.load(c, Ctl.DONE);
        const started = performance.now();
        this.issue(Command.RUN_STEPS);
        await this.waitDone(doneBefore + this.maxThreads);
        const now = Atomics.load(c, Ctl.STEPS_DONE);
        this.plan.record(segment.threads, now - stepsDone, performance.now() - started);
        if (Atomics.load(c, Ctl.STATUS) !== Status.OK || now === stepsDone) break;
        stepsDone = now;
      }
    } finally {
      this.progress = null;
      this.opts.signal?.removeEventListener('abort', onAbort);
    }
    this.model.params.set(v.params);
    const status = Atomics.load(c, Ctl.STATUS);
    const rowsDone = Atomics.load(c, Ctl.ROWS_DONE);
    if (status === Status.NON_FINITE) throw nonFiniteLoss(v.stats[1], epoch, Atomics.load(c, Ctl.FAIL_STEP));
    if (rowsDone > 0) report(Atomics.load(c, Ctl.STEPS_DONE), v.stats[0], rowsDone);
    return { lossSum: v.stats[0], rowsDone, aborted: status === Status.STOPPED || stoppedBetween };
  }

  async evaluate(params: Float32Array): Promise<Metrics> {
    if (this.failure) throw this.failure;
    const v = this.arena.views;
    const c = this.control;
    v.evalParams.set(params);
    // Each active thread sums its consecutive chunks of rows; the sums are added here in chunk order, so the
    // metrics are those of `evaluate` on one thread whatever the count.
    Atomics.store(c, Ctl.ACTIVE, this.plan.threads);
    const doneBefore = Atomics.load(c, Ctl.DONE);
    this.issue(Command.EVALUATE);
    await this.waitDone(doneBefore + this.maxThreads);
    return combineMetricParts(v.metricParts, v.order.length, this.model.outputSize, this.opts.loss);
  }

  optimizerSnapshot(): OptimizerSnapshot {
    const state = this.arena.views.optState.slice(0, this.opts.optimizer.stateSlots * this.model.paramCount);
    return { step: Atomics.load(this.control, Ctl.OPT_STEP), state };
  }

  /** Ends the workers' long tasks (EXIT, or the abort after a failure) and then the workers themselves. */
  async close(): Promise<void> {
    try {
      if (!this.failure) {
        this.exiting = true;
        this.issue(Command.EXIT);
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        this.run.catch(() => {}),
        new Promise((resolve) => {
          timer = setTimeout(resolve, EXIT_GRACE_MS);
        }),
      ]);
      clearTimeout(timer);
    } finally {
      this.channel.close();
      await this.launcher.stop();
    }
  }
}

/** Checks a thread count option (a positive integer or `'auto'`), with the same words in every trainer. */
export function checkThreads(threads: number | 'auto'): number | 'auto' {
  if (threads === 'auto') return threads;
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(`options.threads must be a positive integer or 'auto', got ${String(threads)}`);
  }
  return threads;
}

/**
 * What a parallel run rejects with: training errors as they are, anything else (a worker's failure) prefixed,
 * with the worker's own message rather than a wrapper's.
 */
export function parallelFailure(error: unknown): unknown {
  if (error instanceof TrainingError || !(error instanceof Error)) return error;
  const cause = (error as { cause?: unknown }).cause;
  const message = cause instanceof Error ? cause.message : error.message;
  return new Error(`parallel training failed: ${message}`, { cause: error });
}
