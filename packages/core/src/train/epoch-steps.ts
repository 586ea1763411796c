/**
 * The steps of an epoch, written once for every trainer. A thread computes its contiguous share of each batch's
 * shards, meets the others (`sync.shardsDone`), reduces the shard gradients over its share of the parameters
 * and applies the optimizer there, and ends the step (`sync.stepDone`, which also says whether to stop).
 * `fit` runs it as the only thread with no-op meetings; each parallel worker runs it with a barrier.
 *
 * The shard slots are summed in the slot tree's fixed order (`reduceSlotTree` in @shardprop/worker-pool); with
 * several threads, each pre-sums its own run of slots before the meeting, so the reduce reads one partial sum per
 * thread instead of every slot.
 *
 * The parallel trainer shares a step in one of two ways (see `replicatesUpdate`): each thread updates its range
 * of the shared parameters and the threads meet again at the end of the step (two barriers per step), or, for
 * tiny models, every thread reduces and updates all the parameters in its own copy, identically, and the step
 * needs only the one meeting: the shard slots alternate between two sets by step, so a thread may write the next
 * step's slots while another still reads this step's.
 */
import { slotTreeScratchLength } from '@shardprop/worker-pool/browser';
import { gathersInWasm, type Kernels, uncheckedKernels, withTypeScriptGather } from '../kernels/kernels.js';
import type { LossName } from '../losses/loss.js';
import type { ParamLayout } from '../model/layout.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { FloatArray } from '../types.js';
import { blockSquares, clipToNorm, clipValues, normOfParts } from './clipping.js';
import { addPenaltyGradient, kernelPenalty } from './penalty.js';
import { type StepContext, shardCount, shardRangeGradients, sumLoss, type UpdateRules } from './step.js';
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
  readonly w?: FloatArray;
  readonly params: FloatArray;
  /**
   * Where the shards of a step write: step `n` uses set `n % slotSets.length` (one set, or two that alternate).
   * A set holds one gradient slot of `paramCount` floats and one loss per shard.
   */
  readonly slotSets: readonly StepSlots[];
  /** The reduced (mean) gradient. */
  readonly grad: FloatArray;
  /** This thread's scratch for summing the slot tree (`slotTreeScratchLength` of the largest batch's shards). */
  readonly slotScratch: FloatArray;
  readonly optState: FloatArray;
  /** Learning rate, penalties and clipping; the learning rate may change between epochs. */
  readonly rules: UpdateRules;
  /** One float64 per block of the gradient (`normBlockCount(paramCount)`), shared by the threads: the clip norm's parts. */
  readonly normParts: Float64Array;
  /** This thread's scratch memory; holds its largest share of a batch (`maxShareRows`). */
  readonly ws: Workspace;
}

/** The shard slots of a step. */
export interface StepSlots {
  readonly grad: FloatArray;
  readonly loss: Float64Array;
}

/**
 * Checks once that the kernels can address every buffer the steps pass them, at the sizes the steps use, and
 * returns the buffers with kernels that skip the per-call checks (as piscina validates its options once, in the
 * constructor). The steps only ever pass these buffers, with at most `ws.capacity` rows per pass and at most one
 * gradient slot per shard of the largest batch, so what holds here holds for every call. No check for the js
 * kernels, which take any typed array.
 *
 * The result (and its context) is made by constructors, not object literals: V8 gives a literal's fields that hold
 * objects a looser type on the literal's second creation, which threw away the step's code optimised during a
 * thread's first run ("code dependencies") as soon as its second run set up; a constructor's fields keep theirs.
 * @throws TypeError or RangeError (the checked wrappers' errors) when a buffer is outside the kernels' memory or
 *   shorter than the steps need.
 */
export function checkStepBuffers(buffers: StepBuffers): StepBuffers {
  const { ctx, ws } = buffers;
  const wasm = ctx.kernels.wasm;
  const { layout, targetCols } = ctx;
  if (wasm) {
    const paramCount = layout.paramCount;
    const rows = Math.floor(buffers.x.length / layout.inputSize);
    const slots = shardCount(Math.max(1, Math.min(buffers.batchSize, rows)), buffers.shards);
    const need: [FloatArray, number][] = [
      [buffers.params, paramCount],
      [buffers.grad, paramCount],
      [buffers.slotScratch, slotTreeScratchLength(slots)],
      ...buffers.slotSets.map((set): [FloatArray, number] => [set.grad, slots * paramCount]),
      [buffers.optState, buffers.optState.length],
      [ws.input, ws.capacity * layout.inputSize],
      [ws.target, ws.capacity * targetCols],
      [ws.deltaA, ws.capacity * layout.maxWidth],
      [ws.deltaB, ws.capacity * layout.maxWidth],
      ...layout.layers.map((l, i): [FloatArray, number] => [ws.acts[i], ws.capacity * l.outSize]),
      // The outputs after dropout are the next layer's input in the kernels (the masks are read by TypeScript only).
      ...layout.layers.map((l, i): [FloatArray, number] => [
        ws.dropped[i],
        l.dropout > 0 ? ws.capacity * l.outSize : 0,
      ]),
    ];
    for (const [view, length] of need) wasm.ptr(view as Float32Array, 0, length);
  }
  // Rows too large for the kernels' memory stay where they are (see `fit`): the TypeScript loop gathers them.
  const inMemory = (a: FloatArray) => a instanceof Float32Array && wasm?.owns(a) === true;
  const direct = wasm ? uncheckedKernels(ctx.kernels) : ctx.kernels;
  const kernels = wasm && !(inMemory(buffers.x) && inMemory(buffers.y)) ? withTypeScriptGather(direct) : direct;
  return new CheckedStepBuffers(buffers, new CheckedStepContext(kernels, layout, ctx.loss, targetCols, ctx.seed));
}

/** A step context made by a constructor (see {@link checkStepBuffers}). */
class CheckedStepContext implements StepContext {
  // Declared for the type checker only: the constructor creates the fields.
  declare readonly kernels: Kernels;
  declare readonly layout: ParamLayout;
  declare readonly loss: LossName;
  declare readonly targetCols: number;
  declare readonly seed: number | undefined;

  constructor(kernels: Kernels, layout: ParamLayout, loss: LossName, targetCols: number, seed: number | undefined) {
    this.kernels = kernels;
    this.layout = layout;
    this.loss = loss;
    this.targetCols = targetCols;
    this.seed = seed;
  }
}

/** A step's slots made by a constructor (see {@link checkStepBuffers}). */
class CheckedStepSlots implements StepSlots {
  // Declared for the type checker only: the constructor creates the fields.
  declare readonly grad: FloatArray;
  declare readonly loss: Float64Array;

  constructor(grad: FloatArray, loss: Float64Array) {
    this.grad = grad;
    this.loss = loss;
  }
}

/** Step buffers made by a constructor, with the checked context (see {@link checkStepBuffers}). */
class CheckedStepBuffers implements StepBuffers {
  // Declared for the type checker only: the constructor creates the fields.
  declare readonly ctx: StepContext;
  declare readonly optimizer: Optimizer;
  declare readonly batchSize: number;
  declare readonly shards: number | undefined;
  declare readonly x: FloatArray;
  declare readonly y: FloatArray;
  declare readonly w: FloatArray | undefined;
  declare readonly params: FloatArray;
  declare readonly slotSets: readonly StepSlots[];
  declare readonly grad: FloatArray;
  declare readonly slotScratch: FloatArray;
  declare readonly optState: FloatArray;
  declare readonly rules: UpdateRules;
  declare readonly normParts: Float64Array;
  declare readonly ws: Workspace;

  constructor(b: StepBuffers, ctx: StepContext) {
    this.ctx = ctx;
    this.optimizer = b.optimizer;
    this.batchSize = b.batchSize;
    this.shards = b.shards;
    this.x = b.x;
    this.y = b.y;
    this.w = b.w;
    this.params = b.params;
    this.slotSets = b.slotSets.map((set) => new CheckedStepSlots(set.grad, set.loss));
    this.grad = b.grad;
    this.slotScratch = b.slotScratch;
    this.optState = b.optState;
    this.rules = b.rules;
    this.normParts = b.normParts;
    this.ws = b.ws;
  }
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
  /** Returns once every thread's shards of step `step` (1-based, within the epoch) are written. */
  shardsDone(step: number): void;
  /**
   * Returns once every thread's part of the mean gradient and its norm parts are written (only with `clipNorm`);
   * a no-op where each thread reduces all the parameters itself.
   */
  gradientDone(): void;
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
  epoch = 0,
): StepsResult {
  const { ctx, optimizer, batchSize, x, y, w, params, slotSets, grad, slotScratch, optState, ws, rules, normParts } =
    buffers;
  const { kernels: k, layout } = ctx;
  // The one array that comes per call: a WebAssembly gather reads it in the kernels' memory.
  if (gathersInWasm(k) && !(order instanceof Int32Array && k.wasm?.owns(order))) {
    throw new TypeError('runSteps: the order must be an Int32Array of the kernels memory, where the rows are gathered');
  }
  const P = layout.paramCount;
  const { paramFrom: from, paramTo: to } = share;
  const penalized = rules.l1 !== 0 || rules.l2 !== 0;
  let { lossSum, rowsDone, optimizerStep } = at;
  let step = at.step;
  for (let at0 = (step - 1) * batchSize; at0 < rows && step <= lastStep; at0 += batchSize) {
    const batchRows = Math.min(batchSize, rows - at0);
    const shards = shardCount(batchRows, buffers.shards);
    // As shardShare, without an object per step.
    const first = Math.floor((share.thread * shards) / share.threads);
    const last = Math.floor(((share.thread + 1) * shards) / share.threads);
    const { grad: gradSlots, loss: lossSlots } = slotSets[step % slotSets.length];
    // Every thread computes the whole penalty (in a fixed order, from weights no thread changes until the
    // update), so all of them hold the same batch loss. As Keras reports it: the batch's mean loss plus the penalty.
    const penalty = penalized ? kernelPenalty(layout, params, rules.l1, rules.l2) : 0;
    shardRangeGradients(
      ctx,
      params,
      x,
      y,
      order,
      at0,
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
    // The slots are summed in a tree whose shape the shard count alone fixes. Each thread first sums its own run
    // of it where it lies, so that the reduce reads one partial sum per thread from the other cores instead of
    // every slot: the same bits, and far less data crossing between cores.
    if (share.threads > 1) k.presumSlotRun(gradSlots, shards, P, first, last, slotScratch);
    sync.shardsDone(step);
    // Every thread reads the same slots after the meeting, so all of them take the same branch here.
    const batchLoss = sumLoss(lossSlots, shards) + batchRows * penalty;
    if (!Number.isFinite(batchLoss)) {
      return { step, lossSum, rowsDone, optimizerStep, stopped: false, nonFinite: { loss: batchLoss, step } };
    }
    optimizerStep++;
    // One thread pre-summed nothing: runs = shards reads every slot.
    const runs = share.threads > 1 ? share.threads : shards;
    k.reduceSlotTree(gradSlots, shards, P, runs, grad, from, to, 1 / batchRows, slotScratch);
    if (penalized) addPenaltyGradient(layout, params, grad, from, to, rules.l1, rules.l2);
    if (rules.clipNorm > 0) {
      blockSquares(grad, from, to, normParts);
      sync.gradientDone();
      clipToNorm(grad, from, to, normOfParts(normParts, normParts.length), rules.clipNorm);
    }
    if (rules.clipValue > 0) clipValues(grad, from, to, rules.clipValue);
    k.optimizerUpdate(optimizer, params, grad, optState, P, from, to, optimizerStep, rules.learningRate);
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
