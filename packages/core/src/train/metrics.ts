/**
 * Evaluation: the loss as training reports it, plus accuracy for classification losses and MAE / R^2 for
 * regression. Works in chunks over a reusable workspace, on the TypeScript kernels or on a run's WebAssembly
 * kernels (about 10x faster on large sets; the loss then sums in the kernels' float32, within rounding of js).
 */
import type { Dataset } from '../data/dataset.js';
import { gatherRows } from '../data/gather.js';
import { checkSparseLabels } from '../data/labels.js';
import { jsKernels, type Kernels } from '../kernels/kernels.js';
import { type LossInput, type LossName, parseLoss, targetWidth } from '../losses/loss.js';
import type { Mlp } from '../model/mlp.js';
import { forwardRows } from './step.js';
import { createWorkspace } from './workspace.js';

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
  const loss = parseLoss(lossName);
  const mark = kernels.wasm?.mark();
  try {
    return evaluateWith(kernels, model, data, loss);
  } finally {
    if (mark !== undefined) kernels.wasm?.release(mark);
  }
}

function evaluateWith(kernels: Kernels, model: Mlp, data: Dataset, loss: LossName): Metrics {
  const { layout } = model;
  const cols = layout.outputSize;
  const tCols = targetWidth(loss, cols);
  if (data.features !== layout.inputSize) {
    throw new RangeError(`data has ${data.features} features, the model expects ${layout.inputSize}`);
  }
  if (data.outputs !== tCols) throw new RangeError(`data has ${data.outputs} target columns, ${loss} expects ${tCols}`);
  if (data.rows === 0) throw new RangeError('cannot evaluate on an empty dataset');
  if (loss === 'sparseCategoricalCrossentropy') checkSparseLabels(data, cols);
  const last = layout.layers[layout.layers.length - 1];
  const ws = createWorkspace(layout, tCols, Math.min(CHUNK_ROWS, data.rows), kernels.allocF32);
  let params = model.params;
  if (kernels.backend !== 'js') {
    params = kernels.allocF32(layout.paramCount);
    params.set(model.params);
  }
  const order = new Int32Array(data.rows);
  for (let i = 0; i < data.rows; i++) order[i] = i;
  const classification = isClassification(loss);

  let lossSum = 0;
  let correct = 0;
  let absErr = 0;
  // Regression: per-output sums for R^2 (sum y, sum y^2, sum of squared residuals).
  const sumY = new Float64Array(cols);
  const sumY2 = new Float64Array(cols);
  const sse = new Float64Array(cols);

  for (let start = 0; start < data.rows; start += ws.capacity) {
    const n = Math.min(ws.capacity, data.rows - start);
    gatherRows(data.x, layout.inputSize, order, start, start + n, ws.input);
    gatherRows(data.y, tCols, order, start, start + n, ws.target);
    const out = forwardRows(kernels, layout, params, ws, n);
    lossSum += kernels.lossAndGradient(loss, last.activation, out, 0, ws.target, 0, ws.deltaA, 0, n, cols);
    for (let r = 0; r < n; r++) {
      const o = r * cols;
      if (!classification) {
        for (let j = 0; j < cols; j++) {
          const t = ws.target[o + j];
          const e = out[o + j] - t;
          absErr += Math.abs(e);
          sumY[j] += t;
          sumY2[j] += t * t;
          sse[j] += e * e;
        }
      } else if (loss === 'binaryCrossentropy') {
        let ok = true;
        for (let j = 0; j < cols; j++) if (out[o + j] >= 0.5 !== ws.target[o + j] >= 0.5) ok = false;
        if (ok) correct++;
      } else {
        let best = 0;
        for (let j = 1; j < cols; j++) if (out[o + j] > out[o + best]) best = j;
        const label = loss === 'sparseCategoricalCrossentropy' ? ws.target[r] : argmaxAt(ws.target, o, cols);
        if (best === label) correct++;
      }
    }
  }
  const metrics: Metrics = { loss: lossSum / data.rows };
  if (classification) {
    metrics.accuracy = correct / data.rows;
  } else {
    metrics.mae = absErr / (data.rows * cols);
    let r2 = 0;
    let sseAll = 0;
    for (let j = 0; j < cols; j++) {
      const sst = sumY2[j] - (sumY[j] * sumY[j]) / data.rows;
      // A constant target has no variance to explain; sklearn scores a perfect fit 1 and anything else 0.
      r2 += sst > 0 ? 1 - sse[j] / sst : sse[j] === 0 ? 1 : 0;
      sseAll += sse[j];
    }
    metrics.rmse = Math.sqrt(sseAll / (data.rows * cols));
    metrics.r2 = r2 / cols;
  }
  return metrics;
}

function argmaxAt(v: Float32Array, off: number, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) if (v[off + j] > v[off + best]) best = j;
  return best;
}
