/**
 * The training step, written once for every trainer. A mini-batch of B rows is split into S fixed shards
 * (S depends on B and the `shards` option, never on the number of threads). Each shard's gradient *sum* goes
 * into its own slot; the slots are then summed in slot order, scaled by 1/B, and one optimizer update is
 * applied. The single-thread `fit` runs all shards then the whole update; the parallel trainer runs the same
 * two functions with shards and parameter ranges divided among threads, so both produce identical bits.
 */

import { gatherRows } from '../data/gather.js';
import type { Kernels } from '../kernels/kernels.js';
import type { LossName } from '../losses/loss.js';
import { denseForward, denseInputGradient, denseWeightGradient } from '../model/dense.js';
import type { ParamLayout } from '../model/layout.js';
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
}

/** Rows per shard are at least this many by default, so each shard still runs efficient matrix products. */
export const DEFAULT_MIN_SHARD_ROWS = 8;
/** Default upper bound on shards per batch. */
export const DEFAULT_MAX_SHARDS = 16;

/** Number of shards for a batch of `batchRows` rows; `shards` (if given) is an upper bound. */
export function shardCount(batchRows: number, shards?: number): number {
  const wanted = shards ?? Math.min(DEFAULT_MAX_SHARDS, Math.max(1, Math.floor(batchRows / DEFAULT_MIN_SHARD_ROWS)));
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
 * The shards `[first, last)` of one batch (a contiguous run of shards, so a contiguous run of `order`): gathers
 * their rows once, runs the forward pass and the input-gradient passes over all of them at once (a row's
 * activations and deltas do not depend on which rows share a pass), and writes each shard's weight gradient,
 * summed over that shard's rows, into its own slot (`grad[gradOff + s * paramCount ..]`) and its summed loss into
 * `lossOut[s]`. Only those per-shard sums fix the arithmetic, so the bits never depend on how many shards one
 * call covers. The workspace must hold every row of the run (see {@link maxShareRows}).
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
): void {
  if (first >= last) return;
  const { layout, kernels: k } = ctx;
  const P = layout.paramCount;
  const base = shardStart(first, batchRows, shardTotal);
  const rows = shardStart(last, batchRows, shardTotal) - base;
  gatherRows(x, layout.inputSize, order, batchFrom + base, batchFrom + base + rows, ws.input);
  gatherRows(y, ctx.targetCols, order, batchFrom + base, batchFrom + base + rows, ws.target);
  const out = forwardRows(k, layout, params, ws, rows);
  const layers = layout.layers;
  const lastLayer = layers[layers.length - 1];
  const outCols = lastLayer.outSize;
  let dz = ws.deltaA;
  let dx = ws.deltaB;
  for (let s = first; s < last; s++) {
    const r0 = shardStart(s, batchRows, shardTotal) - base;
    const r1 = shardStart(s + 1, batchRows, shardTotal) - base;
    const off = r0 * outCols;
    lossOut[s] = k.lossAndGradient(
      ctx.loss,
      lastLayer.activation,
      out,
      off,
      ws.target,
      r0 * ctx.targetCols,
      dz,
      off,
      r1 - r0,
      outCols,
    );
  }
  for (let i = layers.length - 1; i >= 0; i--) {
    const l = layers[i];
    const input = i === 0 ? ws.input : ws.acts[i - 1];
    for (let s = first; s < last; s++) {
      const r0 = shardStart(s, batchRows, shardTotal) - base;
      const r1 = shardStart(s + 1, batchRows, shardTotal) - base;
      denseWeightGradient(k, l, input, r0 * l.inSize, dz, r0 * l.outSize, grad, gradOff + s * P, r1 - r0);
    }
    if (i > 0) {
      const prev = layers[i - 1];
      denseInputGradient(k, l, params, dz, 0, dx, 0, rows);
      // The previous layer's activation derivative turns dL/da into dL/dz.
      k.activationBackward(prev.activation, dx, 0, ws.acts[i - 1], 0, rows, prev.outSize);
      const t = dz;
      dz = dx;
      dx = t;
    }
  }
}

/**
 * One shard: the rows `order[from..to)`; writes their summed gradient into `grad[gradOff .. gradOff +
 * paramCount)` and returns their summed loss. (The gradient check's entry point: one shard, any rows.)
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
): number {
  const loss = new Float64Array(1);
  shardRangeGradients(ctx, params, x, y, order, from, to - from, 1, 0, 1, ws, grad, gradOff, loss);
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
 * gradient, then apply the optimizer on the kernels (`step` is the 1-based update count) at the optimizer's own
 * learning rate. On wasm kernels the update runs in WebAssembly, so `state` must be in the kernels' memory like
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
): void {
  const P = params.length; // params is exactly paramCount long (a view, in the parallel trainer)
  k.reduceSlots(gradSlots, shardTotal, P, grad, from, to, 1 / batchRows);
  k.optimizerUpdate(optimizer, params, grad, state, P, from, to, step);
}
