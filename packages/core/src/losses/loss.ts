/**
 * Losses, each fused with the output activation's backward pass. `lossAndGradient` takes the network output
 * `a` (post-activation) and the targets for a block of rows, returns the *sum* of per-row losses, and writes
 * `dL/dz` (pre-activation) per row. The caller divides by the batch size once, after the fixed-order shard
 * reduction, so that the gradient is the mean over the batch of per-row gradients.
 *
 * Per-row losses follow Keras / TensorFlow.js: mean over outputs for meanSquaredError and binaryCrossentropy,
 * sum over classes for the categorical losses, probabilities clipped to [1e-7, 1 - 1e-7] in the logs.
 */
import { activationBackward } from '../kernels/activations.js';
import type { ActivationName } from '../model/activation-names.js';
import type { FloatArray } from '../types.js';

export const LOSSES = [
  'meanSquaredError',
  'binaryCrossentropy',
  'categoricalCrossentropy',
  'sparseCategoricalCrossentropy',
] as const;
export type LossName = (typeof LOSSES)[number];

const LOSS_ALIASES = {
  mse: 'meanSquaredError',
  mean_squared_error: 'meanSquaredError',
  bce: 'binaryCrossentropy',
  binary_crossentropy: 'binaryCrossentropy',
  cce: 'categoricalCrossentropy',
  categorical_crossentropy: 'categoricalCrossentropy',
  scce: 'sparseCategoricalCrossentropy',
  sparse_categorical_crossentropy: 'sparseCategoricalCrossentropy',
} as const satisfies Record<string, LossName>;

/** A short or snake_case alias of a loss name (`parseLoss` also takes them in any case, e.g. `MSE`). */
export type LossAlias = keyof typeof LOSS_ALIASES;
/** What a `loss` option takes: a Keras loss name or an alias. */
export type LossInput = LossName | LossAlias;

/** Keras's clipping epsilon for probabilities inside logarithms. */
export const EPSILON = 1e-7;

/** Resolves a Keras loss name or a short alias (`mse`, `bce`, `cce`, `scce`) or throws. */
export function parseLoss(name: string): LossName {
  if ((LOSSES as readonly string[]).includes(name)) return name as LossName;
  const aliases: Readonly<Record<string, LossName | undefined>> = LOSS_ALIASES;
  const alias = aliases[name] ?? aliases[name.toLowerCase()];
  if (alias) return alias;
  throw new Error(`unknown loss "${name}" (expected one of ${LOSSES.join(', ')}, or mse, bce, cce, scce)`);
}

/** Number of target columns the loss expects for a network with `outputs` units. */
export function targetWidth(loss: LossName, outputs: number): number {
  return loss === 'sparseCategoricalCrossentropy' ? 1 : outputs;
}

// Keras and tfjs clip in float32: 1 - 1e-7 is 1 - 2^-23 there, so -log(1 - p) tops out at 15.94, not 16.12.
const CLIP_LO = Math.fround(EPSILON);
const CLIP_HI = Math.fround(1 - EPSILON);

function clipP(p: number): number {
  return Math.min(Math.max(p, CLIP_LO), CLIP_HI);
}

/**
 * Sum over `rows` of the per-row loss; writes `dL/dz` of each row into `dz` (which may not alias `a`).
 * @param a output activations `rows x cols`; @param y targets `rows x targetWidth(loss, cols)`.
 */
export function lossAndGradient(
  loss: LossName,
  act: ActivationName,
  a: FloatArray,
  aOff: number,
  y: FloatArray,
  yOff: number,
  dz: FloatArray,
  dzOff: number,
  rows: number,
  cols: number,
): number {
  let total = 0;
  const n = rows * cols;
  switch (loss) {
    case 'meanSquaredError': {
      const scale = 2 / cols;
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const diff = a[aOff + i] - y[yOff + i];
        sum += diff * diff;
        dz[dzOff + i] = scale * diff;
      }
      total = sum / cols;
      break;
    }
    case 'binaryCrossentropy': {
      const fused = act === 'sigmoid';
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const t = y[yOff + i];
        const p = clipP(a[aOff + i]);
        sum -= t * Math.log(p) + (1 - t) * Math.log(1 - p);
        // sigmoid + BCE: dL/dz = p - t, finite even where the sigmoid saturates.
        dz[dzOff + i] = fused ? (a[aOff + i] - t) / cols : (p - t) / (p * (1 - p) * cols);
      }
      total = sum / cols;
      if (fused) return total;
      break;
    }
    case 'categoricalCrossentropy': {
      const fused = act === 'softmax';
      for (let r = 0; r < rows; r++) {
        const ao = aOff + r * cols;
        const yo = yOff + r * cols;
        const go = dzOff + r * cols;
        let aSum = 0;
        let ySum = 0;
        for (let j = 0; j < cols; j++) {
          aSum += a[ao + j];
          ySum += y[yo + j];
        }
        // tfjs normalises the output to sum 1 before clipping (a no-op after softmax up to rounding).
        for (let j = 0; j < cols; j++) {
          const t = y[yo + j];
          if (t !== 0) total -= t * Math.log(clipP(a[ao + j] / aSum));
          // softmax + CE: dL/dz_j = p_j * sum(t) - t_j; otherwise differentiate through the normalisation.
          dz[go + j] = fused ? a[ao + j] * ySum - t : ySum / aSum - t / a[ao + j];
        }
      }
      if (fused) return total;
      break;
    }
    case 'sparseCategoricalCrossentropy': {
      const fused = act === 'softmax';
      for (let r = 0; r < rows; r++) {
        const ao = aOff + r * cols;
        const go = dzOff + r * cols;
        const label = y[yOff + r];
        if (!(Number.isInteger(label) && label >= 0 && label < cols)) {
          throw new RangeError(`sparse label ${label} in row ${r} is not an integer class in [0, ${cols})`);
        }
        let aSum = 0;
        for (let j = 0; j < cols; j++) aSum += a[ao + j];
        total -= Math.log(clipP(a[ao + label] / aSum));
        for (let j = 0; j < cols; j++) {
          const t = j === label ? 1 : 0;
          dz[go + j] = fused ? a[ao + j] - t : 1 / aSum - t / a[ao + j];
        }
      }
      if (fused) return total;
      break;
    }
  }
  activationBackward(act, dz, dzOff, a, aOff, rows, cols);
  return total;
}
