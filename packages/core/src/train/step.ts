/**
 * The training step, written once for every trainer. A mini-batch of B rows is split into S fixed shards
 * (S depends on B and the `shards` option, never on the number of threads). Each shard's gradient *sum* goes
 * into its own slot; the slots are then summed in a fixed pairwise tree (`reduceSlotTree` in @shardprop/worker-pool),
 * scaled by 1/B, and one optimizer update is applied. The single-thread `fit` runs all shards then the whole update;
 * the parallel trainer runs the same two functions with shards and parameter ranges divided among threads, so both
 * produce identical bits.
 */

import type { Kernels } from '../kernels/kernels.js';
import type { LossName } from '../losses/loss.js';
import { denseForward, denseInputGradient, denseWeightGradient } from '../model/dense.js';
import { applyDropout, dropoutBackward, dropoutMask } from '../model/dropout.js';
import type { DenseLayout, ParamLayout } from '../model/layout.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { FloatArray } from '../types.js';
import type { Workspace } from './workspace.js';

/** What a step needs to know about the problem, fixed for a whole run. */
export interface StepContext {
  /** The kernel backend; every buffer the step touches must be addressable by it. */
  readonly kernels: Kernels;
  readonly layout: ParamLayout;
  readonly loss: LossName;
  /** Target columns per row (1 for sparse categorical labels). */
  readonly targetCols: number;
  /** The run's seed, which keys the dropout masks with the epoch, row, layer and unit (default 0). */
  readonly seed?: number;
}

/** Rows per shard by default: one shard per this many rows of a batch (but see {@link DEFAULT_MIN_SHARD_ROWS}). */
export const DEFAULT_SHARD_ROWS = 16;
/** Rows per shard are at least this many by default: a batch of 16-31 rows has two shards of 8-15. */
export const DEFAULT_MIN_SHARD_ROWS = 8;
/** Default upper bound on shards per batch. */
export const DEFAULT_MAX_SHARDS = 16;

/**
 * Number of shards for a batch of `batchRows` rows; `shards` (if given) is an upper bound. By default one shard per
 * 16 rows, at most 16, and two from 16 rows on, so that two cores can share a batch of 16-31 rows.
 *
 * Why 16 rows: every shard writes a whole gradient slot, which the reduce reads again (and, on several threads,
 * another core), so a shard's fixed cost is the parameter count whatever its rows. Measured on the seed network
 * in turns, 16-row shards beat 8-row ones on both 1 and 2 threads: batch 32, 2 against 4 shards, 12.8 against
 * 15.0 ms per epoch on 2 threads and 18.5 against 19.3 on 1; batch 128, 8 against 16 shards, 11.4 against 12.2 on
 * 2 threads. At batch 16, two shards of 8 rows on 2 threads still beat one shard on 1 (17.7 against 20.0 ms).
 */
export function shardCount(batchRows: number, shards?: number): number {
  const wanted =
    shards ??
    Math.min(
      DEFAULT_MAX_SHARDS,
      Math.max(Math.floor(batchRows / DEFAULT_SHARD_ROWS), Math.min(2, Math.floor(batchRows / DEFAULT_MIN_SHARD_ROWS))),
    );
  return Math.max(1, Math.min(wanted, batchRows));
}

/** First row (within the batch) of shard `s` of `shardTotal` over `batchRows` rows. */
export function shardStart(s: number, batchRows: number, shardTotal: number): number {
  return Math.floor((s * batchRows) / shardTotal);
}

/** Runs the forward pass over the first `rows` rows of `ws.input`; returns the output activations. */
export function forwardRows<T extends FloatArray>(
  k: Kernels,
  layout: ParamLayout,
  params: FloatArray,
  ws: Workspace<T>,
  rows: number,
): T {
  let x: FloatArray = ws.input;
  for (const l of layout.layers) {
    denseForward(k, l, params, x, 0, ws.acts[l.index], 0, rows);
    x = ws.acts[l.index];
  }
  return ws.acts[layout.layers.length - 1];
}

/**
 * The training forward pass over the first `rows` rows of `ws.input`, which are dataset rows
 * `order[orderFrom ..]`: as {@link forwardRows}, but a layer with dropout writes its multipliers to `ws.mask` and
 * its output after dropout to `ws.dropped`, which the next layer reads; `ws.acts` keeps the outputs before
 * dropout, which the activation derivatives need. Returns the output activations.
 */
export function trainForwardRows(
  ctx: StepContext,
  params: FloatArray,
  ws: Workspace,
  rows: number,
  order: Int32Array,
  orderFrom: number,
  epoch: number,
): FloatArray {
  const { layout, kernels: k } = ctx;
  let x: FloatArray = ws.input;
  for (const l of layout.layers) {
    denseForward(k, l, params, x, 0, ws.acts[l.index], 0, rows);
    x = ws.acts[l.index];
    if (l.dropout > 0) {
      const mask = ws.mask[l.index];
      dropoutMask(mask, 0, rows, l.outSize, l.dropout, ctx.seed ?? 0, epoch, l.index, order, orderFrom);
      applyDropout(ws.dropped[l.index], x, mask, rows * l.outSize);
      x = ws.dropped[l.index];
    }
  }
  return ws.acts[layout.layers.length - 1];
}

/** What layer `i` read in the training forward pass: the input, or the previous layer's (dropped) output. */
function layerInput(ws: Workspace, layers: readonly DenseLayout[], i: number): FloatArray {
  if (i === 0) return ws.input;
  return layers[i - 1].dropout > 0 ? ws.dropped[i - 1] : ws.acts[i - 1];
}

/**
 * The loss summed over rows `[r0, r1)` of a block whose outputs are `out`, and each row's dL/dz in `dz`. With row
 * weights `w` (indexed by dataset row; row `r` of the block is `order[orderFrom + r]`) each row's loss and
 * gradient are multiplied by its weight, so that after the division by the batch's row count the batch loss is
 * Keras' `mean(weight * loss)` over the batch (not divided by the sum of the weights).
 */
export function blockLossAndGradient(
  ctx: StepContext,
  out: FloatArray,
  target: FloatArray,
  dz: FloatArray,
  r0: number,
  r1: number,
  w: FloatArray | undefined,
  order: Int32Array,
  orderFrom: number,
): number {
  const { kernels: k, layout, loss, targetCols } = ctx;
  const last = layout.layers[layout.layers.length - 1];
  const cols = last.outSize;
  if (w === undefined) {
    return k.lossAndGradient(
      loss,
      last.activation,
      out,
      r0 * cols,
      target,
      r0 * targetCols,
      dz,
      r0 * cols,
      r1 - r0,
      cols,
    );
  }
  let total = 0;
  for (let r = r0; r < r1; r++) {
    const weight = w[order[orderFrom + r]];
    const off = r * cols;
    total += weight * k.lossAndGradient(loss, last.activation, out, off, target, r * targetCols, dz, off, 1, cols);
    for (let j = 0; j < cols; j++) dz[off + j] *= weight;
  }
  return total;
}

/**
 * The shards `[first, last)` of one batch (a contiguous run of shards, so a contiguous run of `order`): gathers
 * their rows once, runs the forward pass and the input-gradient passes over all of them at once (a row's
 * activations and deltas do not depend on which rows share a pass), and writes each shard's weight gradient,
 * summed over that shard's rows, into its own slot (`grad[gradOff + s * paramCount ..]`) and its summed loss into
 * `lossOut[s]`. Only those per-shard sums fix the arithmetic, so the bits never depend on how many shards one
 * call covers. The workspace must hold every row of the run (see {@link maxShareRows}). `epoch` keys the dropout
 * masks; `w` holds optional row weights, indexed by dataset row (see {@link blockLossAndGradient}).
 */
export function shardRangeGradients(
  ctx: StepContext,
  params: FloatArray,
  x: FloatArray,
  y: FloatArray,
  order: Int32Array,
  batchFrom: number,
  batchRows: number,
  shardTotal: number,
  first: number,
  last: number,
  ws: Workspace,
  grad: FloatArray,
  gradOff: number,
  lossOut: Float64Array,
  epoch = 0,
  w?: FloatArray,
): void {
  if (first >= last) return;
  const { layout, kernels: k } = ctx;
  const P = layout.paramCount;
  const base = shardStart(first, batchRows, shardTotal);
  const rows = shardStart(last, batchRows, shardTotal) - base;
  k.gatherRows(x, layout.inputSize, order, batchFrom + base, batchFrom + base + rows, ws.input);
  k.gatherRows(y, ctx.targetCols, order, batchFrom + base, batchFrom + base + rows, ws.target);
  const out = trainForwardRows(ctx, params, ws, rows, order, batchFrom + base, epoch);
  const layers = layout.layers;
  let dz = ws.deltaA;
  let dx = ws.deltaB;
  for (let s = first; s < last; s++) {
    const r0 = shardStart(s, batchRows, shardTotal) - base;
    const r1 = shardStart(s + 1, batchRows, shardTotal) - base;
    lossOut[s] = blockLossAndGradient(ctx, out, ws.target, dz, r0, r1, w, order, batchFrom + base);
  }
  for (let i = layers.length - 1; i >= 0; i--) {
    const l = layers[i];
    const input = layerInput(ws, layers, i);
    for (let s = first; s < last; s++) {
      const r0 = shardStart(s, batchRows, shardTotal) - base;
      const r1 = shardStart(s + 1, batchRows, shardTotal) - base;
      denseWeightGradient(k, l, input, r0 * l.inSize, dz, r0 * l.outSize, grad, gradOff + s * P, r1 - r0);
    }
    if (i > 0) {
      const prev = layers[i - 1];
      denseInputGradient(k, l, params, dz, 0, dx, 0, rows);
      // Through the dropout first (dL/d(dropped) to dL/da), then the activation's derivative at the outputs
      // before dropout turns dL/da into dL/dz.
      if (prev.dropout > 0) dropoutBackward(dx, ws.mask[i - 1], rows * prev.outSize);
      k.activationBackward(prev.activation, dx, 0, ws.acts[i - 1], 0, rows, prev.outSize);
      const t = dz;
      dz = dx;
      dx = t;
    }
  }
}

/**
 * One shard: the rows `order[from..to)`; writes their summed gradient into `grad[gradOff .. gradOff +
 * paramCount)` and returns their summed loss (dropout masks of `epoch`, optional row weights `w`). (The gradient check's entry point: one shard, any rows.)
 */
export function shardGradient(
  ctx: StepContext,
  params: FloatArray,
  x: FloatArray,
  y: FloatArray,
  order: Int32Array,
  from: number,
  to: number,
  ws: Workspace,
  grad: FloatArray,
  gradOff: number,
  epoch = 0,
  w?: FloatArray,
): number {
  const loss = new Float64Array(1);
  shardRangeGradients(ctx, params, x, y, order, from, to - from, 1, 0, 1, ws, grad, gradOff, loss, epoch, w);
  return loss[0];
}

/**
 * The shards of a batch of `shardTotal` that thread `thread` of `threads` computes: a contiguous run, so that
 * its rows are contiguous too and one forward pass covers them.
 */
export function shardShare(shardTotal: number, threads: number, thread: number): { first: number; last: number } {
  return {
    first: Math.floor((thread * shardTotal) / threads),
    last: Math.floor(((thread + 1) * shardTotal) / threads),
  };
}

/** Most rows any one of `threads` threads covers in one step, over every batch size up to `batchSize`. */
export function maxShareRows(batchSize: number, shards: number | undefined, threads: number): number {
  let most = 1;
  for (let b = 1; b <= batchSize; b++) {
    const total = shardCount(b, shards);
    for (let t = 0; t < threads; t++) {
      const { first, last } = shardShare(total, threads, t);
      most = Math.max(most, shardStart(last, b, total) - shardStart(first, b, total));
    }
  }
  return most;
}

/** Sum of the first `shardTotal` loss slots in order: the batch's total loss. */
export function sumLoss(lossSlots: Float64Array, shardTotal: number): number {
  let total = 0;
  for (let s = 0; s < shardTotal; s++) total += lossSlots[s];
  return total;
}

/**
 * How the mean gradient becomes an update beyond the optimizer itself. One object per run, owned by the trainer;
 * the epoch loop sets `learningRate` before each epoch (a schedule's value), the rest is fixed.
 */
export interface UpdateRules {
  /** This epoch's learning rate. */
  learningRate: number;
  /** Kernel penalties (Keras L1L2 kernel regularizer); 0 is off. */
  l1: number;
  l2: number;
  /** Global-norm clipping threshold; 0 is off. */
  clipNorm: number;
  /** Per-element clipping threshold; 0 is off. */
  clipValue: number;
}

/** Rules that change nothing: the optimizer's own learning rate, no penalty, no clipping. */
export function plainUpdateRules(learningRate: number): UpdateRules {
  return { learningRate, l1: 0, l2: 0, clipNorm: 0, clipValue: 0 };
}

/**
 * Second half of a step over the parameter range [from, to): reduce the shard gradients into the mean
 * gradient (in the slot tree's order, no slot pre-summed; `scratch` holds `slotTreeScratchLength(shardTotal)`),
 * then apply the optimizer on the kernels (`step` is the 1-based update count) at the optimizer's own learning rate. On wasm kernels the update runs in WebAssembly, so `state` must be in the kernels' memory like
 * the other buffers. (The step loop runs the same two calls with penalties and clipping between them.)
 */
export function reduceAndUpdate(
  k: Kernels,
  optimizer: Optimizer,
  params: FloatArray,
  gradSlots: FloatArray,
  shardTotal: number,
  grad: FloatArray,
  state: FloatArray,
  batchRows: number,
  step: number,
  from: number,
  to: number,
  scratch: FloatArray,
): void {
  const P = params.length; // params is exactly paramCount long (a view, in the parallel trainer)
  k.reduceSlotTree(gradSlots, shardTotal, P, shardTotal, grad, from, to, 1 / batchRows, scratch);
  k.optimizerUpdate(optimizer, params, grad, state, P, from, to, step);
}
