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
import { denseBackward, denseForward } from '../model/dense.js';
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

/** Largest shard over all batch sizes up to `batchSize`: sizes the workspaces. */
export function maxShardRows(batchSize: number, shards?: number): number {
  let most = 1;
  for (let b = 1; b <= batchSize; b++) {
    const s = shardCount(b, shards);
    most = Math.max(most, Math.ceil(b / s));
  }
  return most;
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
 * One shard: gathers rows `order[from..to)` of the data, runs forward and backward, writes the gradient summed
 * over those rows into `grad[gradOff .. gradOff + paramCount)`, and returns the summed loss.
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
  const { layout } = ctx;
  const rows = to - from;
  gatherRows(x, layout.inputSize, order, from, to, ws.input);
  gatherRows(y, ctx.targetCols, order, from, to, ws.target);
  const out = forwardRows(ctx.kernels, layout, params, ws, rows);
  const last = layout.layers[layout.layers.length - 1];
  let dz = ws.deltaA;
  let dx = ws.deltaB;
  const loss = ctx.kernels.lossAndGradient(ctx.loss, last.activation, out, 0, ws.target, 0, dz, 0, rows, last.outSize);
  for (let i = layout.layers.length - 1; i >= 0; i--) {
    const l = layout.layers[i];
    const input = i === 0 ? ws.input : ws.acts[i - 1];
    denseBackward(ctx.kernels, l, params, input, 0, dz, 0, grad, gradOff, i === 0 ? null : dx, 0, rows);
    if (i > 0) {
      const prev = layout.layers[i - 1];
      // The previous layer's activation derivative turns dL/da into dL/dz.
      ctx.kernels.activationBackward(prev.activation, dx, 0, ws.acts[i - 1], 0, rows, prev.outSize);
      const t = dz;
      dz = dx;
      dx = t;
    }
  }
  return loss;
}

/**
 * Computes shards `first, first + stride, ...` of the batch `order[batchFrom .. batchFrom + batchRows)`, each
 * into its own gradient slot (`slot s` at `s * paramCount`) and loss slot.
 */
export function computeShards(
  ctx: StepContext,
  params: FloatArray,
  x: FloatArray,
  y: FloatArray,
  order: Int32Array,
  batchFrom: number,
  batchRows: number,
  shardTotal: number,
  first: number,
  stride: number,
  ws: Workspace,
  gradSlots: FloatArray,
  lossSlots: Float64Array,
): void {
  const P = ctx.layout.paramCount;
  for (let s = first; s < shardTotal; s += stride) {
    const from = batchFrom + shardStart(s, batchRows, shardTotal);
    const to = batchFrom + shardStart(s + 1, batchRows, shardTotal);
    lossSlots[s] = shardGradient(ctx, params, x, y, order, from, to, ws, gradSlots, s * P);
  }
}

/** Sum of the first `shardTotal` loss slots in order: the batch's total loss. */
export function sumLoss(lossSlots: Float64Array, shardTotal: number): number {
  let total = 0;
  for (let s = 0; s < shardTotal; s++) total += lossSlots[s];
  return total;
}

/**
 * Second half of a step over the parameter range [from, to): reduce the shard gradients into the mean
 * gradient, then apply the optimizer on the kernels (`step` is the 1-based update count). On wasm kernels the
 * update runs in WebAssembly, so `state` must be in the kernels' memory like the other buffers.
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
