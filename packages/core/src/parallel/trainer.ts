/**
 * Data-parallel training on worker threads (Node.js). `fitParallel` takes the same options as `fit`, plus
 * `threads` and `shards`, and produces bitwise-identical weights to `fit` for the same seed and shards,
 * whatever the thread count: the shards of every batch and the order of every sum are fixed, only the
 * assignment of shards and parameter ranges to threads changes.
 */
import { availableParallelism } from 'node:os';
import { Barrier, exposeOverChannel, SharedArena, WorkerPool } from '@shardprop/worker-pool';
import type { Dataset } from '../data/dataset.js';
import { type KernelBackend, resolveBackend } from '../kernels/kernels.js';
import { createWasmMemory, loadWasmKernels, wasmKernelsModule, wasmKernelsSupported } from '../kernels/wasm/backend.js';
import { targetWidth } from '../losses/loss.js';
import type { Mlp } from '../model/mlp.js';
import { initialOptimizerState, prepareData } from '../train/fit.js';
import {
  type EpochEngine,
  type EpochResult,
  type FitResult,
  nonFiniteLoss,
  TrainingError,
  trainLoop,
} from '../train/loop.js';
import {
  type FitOptions,
  type OptimizerSnapshot,
  type ResolvedFitOptions,
  resolveFitOptions,
} from '../train/options.js';
import { shardCount } from '../train/step.js';
import { arenaLayout, Command, Ctl, Status, type TrainArenaLayout, type WorkerTask } from './protocol.js';

export interface ParallelFitOptions extends FitOptions {
  /** Worker threads (default: all cores). More threads than cores is correct, but slower. */
  threads?: number;
  /** Milliseconds a thread waits at the step barrier before giving up (default 60,000). */
  barrierTimeoutMs?: number;
  /** Minimum milliseconds between `onBatchEnd` progress reports (default 200). */
  progressIntervalMs?: number;
  /** Test hook: make worker `worker` throw (`throw`) or exit (`exit`) just before optimizer step `step`. */
  injectFault?: { kind: 'throw' | 'exit'; worker: number; step: number };
}

// Resolved relative to this file in both src/ (under vitest) and dist/: the worker is always the compiled one.
const WORKER_URL = new URL('../../dist/parallel/worker.js', import.meta.url);

/** Number of logical cores: the default thread count. */
export function defaultThreads(): number {
  return availableParallelism();
}

class ParallelEngine implements EpochEngine {
  readonly arena: SharedArena<TrainArenaLayout>;
  readonly pool: WorkerPool<WorkerTask, { steps: number }>;
  private readonly control: Int32Array;
  /** The workers' step barrier; the main thread never waits on it, it only aborts it. */
  private readonly barrier: Barrier;
  private readonly run: Promise<unknown>;
  private failure: Error | undefined;
  private failed: Promise<never>;
  private commands = 0;
  private progress: ((step: number, lossSum: number, rowsDone: number) => void) | null = null;
  private readonly channel;
  readonly backend: KernelBackend;

  constructor(
    private readonly model: Mlp,
    train: Dataset,
    private readonly opts: ResolvedFitOptions,
    parallel: ParallelFitOptions,
    threads: number,
  ) {
    const P = model.paramCount;
    const targetCols = targetWidth(opts.loss, model.outputSize);
    const maxShards = shardCount(Math.min(opts.batchSize, train.rows), opts.shards);
    const layout = arenaLayout(P, opts.optimizer.stateSlots, maxShards, train.rows, train.features, targetCols);
    this.backend = resolveBackend(opts.kernels, wasmKernelsSupported);
    this.arena = this.backend === 'wasm' ? wasmArena(layout) : SharedArena.create(layout);
    const v = this.arena.views;
    this.control = v.control;
    this.barrier = new Barrier(this.control, { participants: threads, index: Ctl.BARRIER });
    v.params.set(model.params);
    const init = initialOptimizerState(model, opts);
    if (init.state.length > 0) v.optState.set(init.state);
    v.x.set(train.x.subarray(0, train.rows * train.features));
    v.y.set(train.y.subarray(0, train.rows * targetCols));
    Atomics.store(this.control, Ctl.OPT_STEP, init.step);
    if (parallel.injectFault) {
      const f = parallel.injectFault;
      Atomics.store(this.control, Ctl.FAULT_KIND, f.kind === 'throw' ? 1 : 2);
      Atomics.store(this.control, Ctl.FAULT_WORKER, f.worker);
      Atomics.store(this.control, Ctl.FAULT_STEP, f.step);
    }

    this.channel = exposeOverChannel({
      progress: (step: number, lossSum: number, rowsDone: number) => this.progress?.(step, lossSum, rowsDone),
    });
    this.pool = new WorkerPool<WorkerTask, { steps: number }>({ filename: WORKER_URL, threads });
    const description = this.arena.describe();
    const progressPort = this.channel.port;
    this.run = this.pool.runOnAll(
      (index) => ({
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
        barrierTimeoutMs: parallel.barrierTimeoutMs ?? 60_000,
        kernels: this.backend,
        ...(this.backend === 'wasm' ? { wasmModule: wasmKernelsModule() ?? undefined } : {}),
        progressIntervalMs: parallel.progressIntervalMs ?? 200,
        ...(index === 0 ? { progressPort } : {}),
      }),
      {
        transferList: (index) => (index === 0 ? [progressPort] : []),
        // Release every thread from the barrier and from its idle wait at the first failure.
        onFailure: () => this.abortWorkers(),
        graceMs: 1_000,
      },
    );
    this.failed = this.run.then(
      () => Promise.reject(new Error('parallel trainer: workers exited before training finished')),
      (error: Error) => {
        this.failure = error;
        return Promise.reject(error);
      },
    );
    // The rejection is observed through runEpoch/close; keep Node from reporting it as unhandled meanwhile.
    this.failed.catch(() => {});
  }

  private abortWorkers(): void {
    // Aborting the barrier wakes threads waiting at a step; the notify wakes threads idle between epochs.
    this.barrier.abort(1);
    Atomics.notify(this.control, Ctl.COMMAND);
  }

  private issue(kind: number): void {
    Atomics.store(this.control, Ctl.COMMAND_KIND, kind);
    this.commands++;
    Atomics.store(this.control, Ctl.COMMAND, this.commands);
    Atomics.notify(this.control, Ctl.COMMAND);
  }

  private async waitDone(target: number): Promise<void> {
    for (;;) {
      const done = Atomics.load(this.control, Ctl.DONE);
      if (done >= target) return;
      const w = Atomics.waitAsync(this.control, Ctl.DONE, done);
      if (w.async) await Promise.race([w.value, this.failed]);
    }
  }

  requestStop(): void {
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
    if (this.opts.signal?.aborted) this.requestStop();
    const onAbort = () => this.requestStop();
    this.opts.signal?.addEventListener('abort', onAbort);
    this.progress = report;
    const doneBefore = Atomics.load(c, Ctl.DONE);
    try {
      this.issue(Command.RUN_EPOCH);
      await this.waitDone(doneBefore + this.pool.size);
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

  /** Ends the workers' long tasks and the pool; rethrows a worker failure if one happened. */
  async close(): Promise<void> {
    try {
      if (!this.failure) {
        this.issue(Command.EXIT);
        await this.run.catch(() => {});
      }
    } finally {
      this.channel.close();
      await this.pool.close();
    }
  }
}

/**
 * An arena inside a shared WebAssembly.Memory, so every worker's kernels address the same bytes as the views.
 * The block is reserved through the kernels' allocator; workers allocate their workspaces after it.
 */
function wasmArena(layout: TrainArenaLayout): SharedArena<TrainArenaLayout> {
  const bytes = SharedArena.byteLengthOf(layout);
  const memory = createWasmMemory({ initialBytes: bytes + 16 * 1024 * 1024 });
  const k = loadWasmKernels(memory);
  if (!k) throw new Error('WebAssembly kernels are unavailable');
  const block = k.alloc(Float32Array, Math.ceil(bytes / 4) + 16);
  return SharedArena.create(layout, { buffer: memory, byteOffset: block.byteOffset });
}

/**
 * Trains `model` in place on `data` with `threads` worker threads (default: all cores). Same semantics and
 * results as `fit`; progress (`onBatchEnd`) arrives a few times a second rather than after every step.
 */
export async function fitParallel(model: Mlp, data: Dataset, options: ParallelFitOptions): Promise<FitResult> {
  const opts = resolveFitOptions(options);
  const threads = options.threads ?? defaultThreads();
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(`options.threads must be a positive integer, got ${String(options.threads)}`);
  }
  const { train, validation } = prepareData(model, data, opts);
  const engine = new ParallelEngine(model, train, opts, options, threads);
  try {
    return await trainLoop(model, train, validation, opts, engine);
  } catch (error) {
    throw describeFailure(error);
  } finally {
    await engine.close();
  }
}

function describeFailure(error: unknown): unknown {
  if (error instanceof TrainingError || !(error instanceof Error)) return error;
  const cause = (error as { cause?: unknown }).cause;
  const message = cause instanceof Error ? cause.message : error.message;
  return new Error(`parallel training failed: ${message}`, { cause: error });
}
