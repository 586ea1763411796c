/**
 * Evaluation: the loss as training reports it, plus accuracy for classification losses and MAE / R^2 for
 * regression. Works in chunks over a reusable workspace, on the TypeScript kernels or on a run's WebAssembly
 * kernels (about 10x faster on large sets; the loss then sums in the kernels' float32, within rounding of js).
 */
import type { Dataset } from '../data/dataset.js';
import { checkSparseLabels } from '../data/labels.js';
import { jsKernels, type Kernels, uncheckedKernels } from '../kernels/kernels.js';
import { type LossInput, type LossName, parseLoss, targetWidth } from '../losses/loss.js';
import type { ParamLayout } from '../model/layout.js';
import type { Mlp } from '../model/mlp.js';
import { forwardRows } from './step.js';
import { createWorkspace, type Workspace } from './workspace.js';

export interface Metrics {
  /** Mean loss over rows. */
  loss: number;
  /** Fraction of rows classified correctly (classification losses only). */
  accuracy?: number;
  /** Mean absolute error over all outputs (regression only). */
  mae?: number;
  /** Root of the mean squared error over all outputs (regression only), as Keras' `RootMeanSquaredError`. */
  rmse?: number;
  /** Coefficient of determination, averaged uniformly over outputs (regression only). */
  r2?: number;
}

const CHUNK_ROWS = 512;

/** True for the losses whose targets are classes. */
export function isClassification(loss: LossName): boolean {
  return loss !== 'meanSquaredError';
}

/**
 * Evaluates `model` on every row of `data` with `kernels` (default the TypeScript ones). WebAssembly kernels get
 * a copy of the parameters and a workspace inside their memory, released when done: do not run it while other
 * threads allocate in that memory.
 *
 * @param lossName a Keras loss name or an alias, exactly as `fit`'s `loss` takes them (`mse`, `bce`, `cce`,
 *   `scce`, their snake_case forms, any case)
 * @throws Error for an unknown loss name (a name from untyped input is checked at run time too); RangeError when `data` does not fit the model or a sparse label is
 *   not a class index (naming the row)
 */
export function evaluate(model: Mlp, data: Dataset, lossName: LossInput, kernels: Kernels = jsKernels): Metrics {
  return evaluateWeights(model.layout, model.params, data, parseLoss(lossName), kernels);
}

/** {@link evaluate} with the weights `params` of a model of `layout` (a trainer's own copy, or other weights). */
export function evaluateWeights(
  layout: ParamLayout,
  params: Float32Array,
  data: Dataset,
  loss: LossName,
  kernels: Kernels,
): Metrics {
  const mark = kernels.wasm?.mark();
  try {
    return evaluateWith(kernels, layout, params, data, loss);
  } finally {
    if (mark !== undefined) kernels.wasm?.release(mark);
  }
}

function evaluateWith(
  kernels: Kernels,
  layout: ParamLayout,
  weights: Float32Array,
  data: Dataset,
  loss: LossName,
): Metrics {
  const tCols = targetWidth(loss, layout.outputSize);
  if (data.features !== layout.inputSize) {
    throw new RangeError(`data has ${data.features} features, the model expects ${layout.inputSize}`);
  }
  if (data.outputs !== tCols) throw new RangeError(`data has ${data.outputs} target columns, ${loss} expects ${tCols}`);
  if (data.rows === 0) throw new RangeError('cannot evaluate on an empty dataset');
  if (loss === 'sparseCategoricalCrossentropy') checkSparseLabels(data, layout.outputSize);
  let params = weights;
  if (kernels.backend !== 'js' && !kernels.wasm?.owns(weights)) {
    params = kernels.allocF32(layout.paramCount);
    params.set(weights);
  }
  const evaluator = chunkEvaluator(kernels, layout, loss);
  const chunks = metricChunks(data.rows);
  const parts = new Float64Array(chunks * metricPartWidth(layout.outputSize));
  evaluator(params, data, 0, chunks, parts);
  return combineMetricParts(parts, data.rows, layout.outputSize, loss);
}

/** Chunks of rows that evaluation sums separately (the last one may be partial). */
export function metricChunks(rows: number): number {
  return Math.ceil(rows / CHUNK_ROWS);
}

/**
 * Float64 sums per chunk: the loss, the rows classified right, the absolute errors, then per output the targets,
 * their squares and the squared residuals.
 */
export function metricPartWidth(outputs: number): number {
  return 3 + 3 * outputs;
}

/**
 * Evaluates chunks `[first, end)` of `data`'s rows (`CHUNK_ROWS` rows each) with `params`, writing each chunk's
 * sums at its own place in `parts` (see {@link metricPartWidth}). Which thread evaluates which chunks does not
 * change a bit of the result: every chunk's sums are its own, and {@link combineMetricParts} adds them in order.
 * The workspace is made on the first call, in the kernels' memory (again if a later call's chunks are longer).
 */
export function chunkEvaluator(
  kernels: Kernels,
  layout: ParamLayout,
  loss: LossName,
): (params: Float32Array, data: Dataset, first: number, end: number, parts: Float64Array) => void {
  const cols = layout.outputSize;
  const tCols = targetWidth(loss, cols);
  const width = metricPartWidth(cols);
  const last = layout.layers[layout.layers.length - 1];
  const classification = isClassification(loss);
  let ws: Workspace<Float32Array> | undefined;
  // Unchecked calls, as the training step makes them (the same functions, so the layer code V8 optimised for the
  // step stays valid when a run evaluates): the workspace is the kernels' own, sized for every chunk, and the
  // weights are checked once per call below.
  const k = uncheckedKernels(kernels);
  return (params, data, first, end, parts) => {
    // Made on the first call, and again for data with longer chunks: the unchecked calls must never pass more rows
    // than the workspace holds.
    const rows = Math.min(CHUNK_ROWS, data.rows);
    if (ws === undefined || ws.capacity < rows) ws = createWorkspace(layout, tCols, rows, kernels.allocF32);
    kernels.wasm?.ptr(params, 0, layout.paramCount);
    for (let chunk = first; chunk < end; chunk++) {
      const start = chunk * CHUNK_ROWS;
      const n = Math.min(CHUNK_ROWS, data.rows - start);
      const at = chunk * width;
      // A chunk's rows are consecutive: one block copy each (no index order to build over every row).
      ws.input.set(data.x.subarray(start * layout.inputSize, (start + n) * layout.inputSize));
      ws.target.set(data.y.subarray(start * tCols, (start + n) * tCols));
      const out = forwardRows(k, layout, params, ws, n);
      parts.fill(0, at, at + width);
      parts[at] = k.lossAndGradient(loss, last.activation, out, 0, ws.target, 0, ws.deltaA, 0, n, cols);
      addRowSums(parts, at, out, ws.target, n, cols, loss, classification);
    }
  };
}

/**
 * Adds a chunk's per-row sums (rows classified right; absolute errors and the targets' sums for R2) to `parts` at
 * `at`. A function of its own so that V8 optimises only this loop when it gets hot (on-stack replacement a few
 * hundred rows in): inside the evaluator it compiled the whole forward pass with it, 11 KB of code and about 25 ms
 * of a background thread in every worker that scores a fold, for a loop that runs once per fit.
 */
function addRowSums(
  parts: Float64Array,
  at: number,
  out: Float32Array,
  target: Float32Array,
  n: number,
  cols: number,
  loss: LossName,
  classification: boolean,
): void {
  for (let r = 0; r < n; r++) {
    const o = r * cols;
    if (!classification) {
      for (let j = 0; j < cols; j++) {
        const t = target[o + j];
        const e = out[o + j] - t;
        parts[at + 2] += Math.abs(e);
        parts[at + 3 + j] += t;
        parts[at + 3 + cols + j] += t * t;
        parts[at + 3 + 2 * cols + j] += e * e;
      }
    } else if (loss === 'binaryCrossentropy') {
      let ok = true;
      for (let j = 0; j < cols; j++) if (out[o + j] >= 0.5 !== target[o + j] >= 0.5) ok = false;
      if (ok) parts[at + 1]++;
    } else {
      let best = 0;
      for (let j = 1; j < cols; j++) if (out[o + j] > out[o + best]) best = j;
      const label = loss === 'sparseCategoricalCrossentropy' ? target[r] : argmaxAt(target, o, cols);
      if (best === label) parts[at + 1]++;
    }
  }
}

/** The metrics of `rows` rows from their chunks' sums, added in chunk order. */
export function combineMetricParts(parts: Float64Array, rows: number, cols: number, loss: LossName): Metrics {
  const width = metricPartWidth(cols);
  const total = new Float64Array(width);
  for (let at = 0; at < metricChunks(rows) * width; at += width) {
    for (let k = 0; k < width; k++) total[k] += parts[at + k];
  }
  const metrics: Metrics = { loss: total[0] / rows };
  if (isClassification(loss)) {
    metrics.accuracy = total[1] / rows;
    return metrics;
  }
  metrics.mae = total[2] / (rows * cols);
  let r2 = 0;
  let sseAll = 0;
  for (let j = 0; j < cols; j++) {
    const sumY = total[3 + j];
    const sst = total[3 + cols + j] - (sumY * sumY) / rows;
    const sse = total[3 + 2 * cols + j];
    // A constant target has no variance to explain; sklearn scores a perfect fit 1 and anything else 0.
    r2 += sst > 0 ? 1 - sse / sst : sse === 0 ? 1 : 0;
    sseAll += sse;
  }
  metrics.rmse = Math.sqrt(sseAll / (rows * cols));
  metrics.r2 = r2 / cols;
  return metrics;
}

function argmaxAt(v: Float32Array, off: number, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) if (v[off + j] > v[off + best]) best = j;
  return best;
}
