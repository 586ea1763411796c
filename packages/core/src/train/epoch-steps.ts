/**
 * The steps of an epoch, written once for every trainer. A thread computes its contiguous share of each batch's
 * shards, meets the others (`sync.shardsDone`), reduces the shard gradients over its share of the parameters
 * and applies the optimizer there, and meets them again (`sync.stepDone`, which also says whether to stop).
 * `fit` runs it as the only thread with no-op meetings; each parallel worker runs it with a barrier.
 */
import type { Optimizer } from '../optim/optimizer.js';
import type { FloatArray } from '../types.js';
import { reduceAndUpdate, type StepContext, shardCount, shardRangeGradients, sumLoss } from './step.js';
import type { Workspace } from './workspace.js';

/** Everything a thread's steps read and write, fixed for a run; buffers must be addressable by the kernels. */
export interface StepBuffers {
  readonly ctx: StepContext;
  readonly optimizer: Optimizer;
  readonly batchSize: number;
  /** The `shards` option: upper bound on shards per batch. */
  readonly shards: number | undefined;
  readonly x: FloatArray;
  readonly y: FloatArray;
  /** Row weights (class and sample weights combined), one per training row; undefined when unweighted. */
  readonly w: FloatArray | undefined;
  readonly params: FloatArray;
  /** One gradient slot of `paramCount` floats per shard. */
  readonly gradSlots: FloatArray;
  readonly lossSlots: Float64Array;
  /** The reduced (mean) gradient. */
  readonly grad: FloatArray;
  readonly optState: FloatArray;
  /** This thread's scratch memory; holds its largest share of a batch (`maxShareRows`). */
  readonly ws: Workspace;
}

/** Which part of every step this thread computes. */
export interface ThreadShare {
  /** This thread's index in [0, threads). */
  readonly thread: number;
  readonly threads: number;
  /** This thread's range of the parameters in the reduce and update. */
  readonly paramFrom: number;
  readonly paramTo: number;
}

/** The meetings of the threads within a step; no-ops for a single thread. */
export interface StepSync {
  /** Returns once every thread's shards of the current step are written. */
  shardsDone(): void;
  /**
   * Returns once every thread's part of the update is written; `step` is the 1-based step of the epoch and the
   * totals count the epoch's rows so far. Returns true to end the epoch after this step; every thread must get
   * the same answer.
   */
  stepDone(step: number, lossSum: number, rowsDone: number, optimizerStep: number): boolean;
}

/** Where a run of steps starts: the position in the epoch, the running totals and the optimizer's update count. */
export interface StepPosition {
  /** 1-based step of the epoch to run next. */
  step: number;
  lossSum: number;
  rowsDone: number;
  optimizerStep: number;
}

/** How a run of steps ended. */
export interface StepsResult extends StepPosition {
  /** True when `sync.stepDone` asked to stop. */
  stopped: boolean;
  /** Set when a batch's loss was not finite: that batch's loss and 1-based step; no update was applied for it. */
  nonFinite?: { loss: number; step: number };
}

/**
 * Runs steps `at.step .. lastStep` (1-based, inclusive, clipped to the epoch) of epoch `epoch` (0-based; it keys
 * the dropout masks) over the first `rows` entries of `order`, as thread `share.thread` of `share.threads`.
 * Allocates nothing per step.
 */
export function runSteps(
  buffers: StepBuffers,
  share: ThreadShare,
  sync: StepSync,
  order: Int32Array,
  rows: number,
  at: StepPosition,
  lastStep: number,
  epoch: number,
): StepsResult {
  const { ctx, optimizer, batchSize, x, y, w, params, gradSlots, lossSlots, grad, optState, ws } = buffers;
  let { lossSum, rowsDone, optimizerStep } = at;
  let step = at.step;
  for (let from = (step - 1) * batchSize; from < rows && step <= lastStep; from += batchSize) {
    const batchRows = Math.min(batchSize, rows - from);
    const shards = shardCount(batchRows, buffers.shards);
    // As shardShare, without an object per step.
    const first = Math.floor((share.thread * shards) / share.threads);
    const last = Math.floor(((share.thread + 1) * shards) / share.threads);
    shardRangeGradients(
      ctx,
      params,
      x,
      y,
      order,
      from,
      batchRows,
      shards,
      first,
      last,
      ws,
      gradSlots,
      0,
      lossSlots,
      epoch,
      w,
    );
    sync.shardsDone();
    // Every thread reads the same slots after the meeting, so all of them take the same branch here.
    const batchLoss = sumLoss(lossSlots, shards);
    if (!Number.isFinite(batchLoss)) {
      return { step, lossSum, rowsDone, optimizerStep, stopped: false, nonFinite: { loss: batchLoss, step } };
    }
    optimizerStep++;
    reduceAndUpdate(
      ctx.kernels,
      optimizer,
      params,
      gradSlots,
      shards,
      grad,
      optState,
      batchRows,
      optimizerStep,
      share.paramFrom,
      share.paramTo,
    );
    lossSum += batchLoss;
    rowsDone += batchRows;
    const stop = sync.stepDone(step, lossSum, rowsDone, optimizerStep);
    step++;
    if (stop) return { step, lossSum, rowsDone, optimizerStep, stopped: true };
  }
  return { step, lossSum, rowsDone, optimizerStep, stopped: false };
}

/** The one-thread share and meetings: `fit`'s. */
export function singleThreadShare(paramCount: number): ThreadShare {
  return { thread: 0, threads: 1, paramFrom: 0, paramTo: paramCount };
}
