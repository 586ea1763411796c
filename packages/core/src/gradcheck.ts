/**
 * Gradient checking: the analytic gradient of the batch-mean loss, computed by the training step's own code
 * in float64, against five-point central finite differences
 * `(8 (L(p + h) - L(p - h)) - (L(p + 2h) - L(p - 2h))) / 12h`.
 */
import type { Dataset } from './data/dataset.js';
import { gatherRows } from './data/gather.js';
import { jsKernels } from './kernels/kernels.js';
import { type LossInput, parseLoss, targetWidth } from './losses/loss.js';
import { paramLayout } from './model/layout.js';
import type { ModelSpec } from './model/spec.js';
import { validateSpec } from './model/spec.js';
import { Rng } from './random.js';
import { addPenaltyGradient, kernelPenalty } from './train/penalty.js';
import { blockLossAndGradient, type StepContext, shardGradient, trainForwardRows } from './train/step.js';
import { createWorkspace } from './train/workspace.js';

export interface GradcheckOptions {
  /** Loss name or alias, as `fit`'s `loss`. */
  loss: LossInput;
  /** Finite-difference step (default 1e-4). */
  epsilon?: number;
  /**
   * Check at most this many randomly chosen entries per kernel and per bias (default: all). Keeps the check fast
   * on wide layers.
   */
  maxPerTensor?: number;
  /** Seed for choosing entries (default 1). */
  seed?: number;
  /** Kernel penalties to include in the loss and the gradient, as `fit`'s `l1` and `l2` (default 0). */
  l1?: number;
  l2?: number;
  /**
   * The dropout masks are those of training with this run seed (default 1) in `epoch` (default 0), with the
   * batch's rows as dataset rows 0, 1, ...: fixed while the parameters move, so the loss stays differentiable.
   */
  runSeed?: number;
  epoch?: number;
  /** Row weights, one per row of the batch (default: unweighted). */
  weights?: ArrayLike<number>;
}

export interface TensorGradcheck {
  /** e.g. `dense_1/kernel`. */
  name: string;
  layer: number;
  checked: number;
  maxAbsError: number;
  /** `max |analytic - numeric| / max(|analytic|, |numeric|, floor)` over the checked entries. */
  maxRelError: number;
}

export interface GradcheckResult {
  tensors: TensorGradcheck[];
  maxRelError: number;
  maxAbsError: number;
  /** Denominator floor used for relative errors, so entries whose gradient is ~0 are judged absolutely. */
  relFloor: number;
}

/** Relative errors divide by at least this, so a gradient that is ~0 is judged by its absolute error. */
export const REL_FLOOR = 1e-6;

/**
 * Checks the gradient of the batch-mean `loss` of the model (`spec`, `params`) on every row of `batch`.
 * Parameters are converted to float64, so float32 rounding does not hide or fake errors.
 */
export function gradcheck(
  model: { spec: ModelSpec; params: ArrayLike<number> },
  batch: Dataset,
  options: GradcheckOptions,
): GradcheckResult {
  const spec = validateSpec(model.spec);
  const layout = paramLayout(spec);
  const loss = parseLoss(options.loss);
  const h = options.epsilon ?? 1e-4;
  const targetCols = targetWidth(loss, layout.outputSize);
  if (batch.features !== layout.inputSize)
    throw new RangeError(`batch has ${batch.features} features, model ${layout.inputSize}`);
  if (batch.outputs !== targetCols)
    throw new RangeError(`batch has ${batch.outputs} target columns, ${loss} needs ${targetCols}`);
  const params = Float64Array.from(model.params);
  const x = Float64Array.from(batch.x);
  const y = Float64Array.from(batch.y);
  const rows = batch.rows;
  const order = new Int32Array(rows);
  for (let i = 0; i < rows; i++) order[i] = i;
  const w = options.weights === undefined ? undefined : Float64Array.from(options.weights);
  if (w && w.length !== rows) throw new RangeError(`weights has ${w.length} values, the batch ${rows} rows`);
  const epoch = options.epoch ?? 0;
  const ctx: StepContext = { kernels: jsKernels, layout, loss, targetCols, seed: options.runSeed ?? 1 };
  const ws = createWorkspace(layout, targetCols, rows, (n) => new Float64Array(n));
  const analytic = new Float64Array(layout.paramCount);
  shardGradient(ctx, params, x, y, order, 0, rows, ws, analytic, 0, epoch, w);
  for (let i = 0; i < analytic.length; i++) analytic[i] /= rows;
  const l1 = options.l1 ?? 0;
  const l2 = options.l2 ?? 0;
  if (!(l1 >= 0 && l2 >= 0)) throw new RangeError(`l1 and l2 must be >= 0, got ${l1} and ${l2}`);
  // The step loop's own penalty code, so the check covers it.
  addPenaltyGradient(layout, params, analytic, 0, layout.paramCount, l1, l2);

  gatherRows(x, layout.inputSize, order, 0, rows, ws.input);
  gatherRows(y, targetCols, order, 0, rows, ws.target);
  // The training step's own forward pass and loss: the same dropout masks and weights as the analytic gradient.
  const lossAt = (): number => {
    const out = trainForwardRows(ctx, params, ws, rows, order, 0, epoch);
    const dataLoss = blockLossAndGradient(ctx, out, ws.target, ws.deltaA, 0, rows, w, order, 0) / rows;
    return dataLoss + kernelPenalty(layout, params, l1, l2);
  };

  const rng = new Rng(options.seed ?? 1);
  const tensors: TensorGradcheck[] = [];
  for (const l of layout.layers) {
    const parts: Array<[string, number, number]> = [
      [`dense_${l.index + 1}/kernel`, l.kernelOffset, l.inSize * l.outSize],
      [`dense_${l.index + 1}/bias`, l.biasOffset, l.outSize],
    ];
    for (const [name, offset, count] of parts) {
      const picks = pick(count, options.maxPerTensor, rng);
      let maxAbs = 0;
      let maxRel = 0;
      for (const j of picks) {
        const i = offset + j;
        const saved = params[i];
        params[i] = saved + h;
        const up = lossAt();
        params[i] = saved - h;
        const down = lossAt();
        params[i] = saved + 2 * h;
        const up2 = lossAt();
        params[i] = saved - 2 * h;
        const down2 = lossAt();
        params[i] = saved;
        // Five-point central difference: truncation error O(h^4), so h can be large enough that rounding in
        // the loss (about 1e-16 relative) stays far below the gradients being checked.
        const numeric = (8 * (up - down) - (up2 - down2)) / (12 * h);
        const abs = Math.abs(numeric - analytic[i]);
        const rel = abs / Math.max(Math.abs(numeric), Math.abs(analytic[i]), REL_FLOOR);
        if (abs > maxAbs) maxAbs = abs;
        if (rel > maxRel) maxRel = rel;
      }
      tensors.push({ name, layer: l.index, checked: picks.length, maxAbsError: maxAbs, maxRelError: maxRel });
    }
  }
  return {
    tensors,
    maxRelError: Math.max(...tensors.map((t) => t.maxRelError)),
    maxAbsError: Math.max(...tensors.map((t) => t.maxAbsError)),
    relFloor: REL_FLOOR,
  };
}

function pick(count: number, max: number | undefined, rng: Rng): number[] {
  const all = Array.from({ length: count }, (_, i) => i);
  if (max === undefined || max >= count) return all;
  for (let i = 0; i < max; i++) {
    const j = i + rng.int(count - i);
    [all[i], all[j]] = [all[j], all[i]];
  }
  return all.slice(0, max);
}
