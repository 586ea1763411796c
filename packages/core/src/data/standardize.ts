/**
 * Feature standardisation, `(x - mean) / std` per column with the population standard deviation, as
 * scikit-learn's `StandardScaler`. Statistics are computed in float64; a constant column keeps scale 1.
 * Targets are never standardised. Applying the statistics is `@shardprop/tabular`'s job (its feature encoding).
 */
import { requireInt, requireLength } from './check.js';

/** Per-column statistics of a standardiser. `std` is the scale actually divided by: never 0. */
export interface Standardizer {
  readonly mean: Float64Array;
  readonly std: Float64Array;
}

/**
 * Fits per-column means and population standard deviations of `x` (`rows x features`, row-major).
 *
 * Two passes in float64: the mean, then the sum of squared deviations with the usual correction term for the
 * rounding error left in the mean (the "corrected two-pass" algorithm), divided by `rows`. A column whose values
 * are all equal gets its exact value as mean and a scale of 1, so standardising maps it to zeros instead of
 * dividing by a rounding residue.
 *
 * @param rows an integer >= 1
 * @param features an integer >= 1
 * @throws RangeError when a count is invalid, the length of `x` disagrees, or a value is not finite (the
 *   message names its row and column)
 */
export function fitStandardizer(x: ArrayLike<number>, rows: number, features: number): Standardizer {
  requireInt('rows', rows, 1);
  requireInt('features', features, 1);
  requireLength('x', x, rows, features);
  const sum = new Float64Array(features);
  const min = new Float64Array(features).fill(Number.POSITIVE_INFINITY);
  const max = new Float64Array(features).fill(Number.NEGATIVE_INFINITY);
  for (let r = 0, i = 0; r < rows; r++) {
    for (let c = 0; c < features; c++, i++) {
      const v = x[i];
      if (!Number.isFinite(v)) {
        throw new RangeError(`x[row ${r}, column ${c}] is ${v}; standardisation needs finite values`);
      }
      sum[c] += v;
      if (v < min[c]) min[c] = v;
      if (v > max[c]) max[c] = v;
    }
  }
  const mean = new Float64Array(features);
  for (let c = 0; c < features; c++) mean[c] = sum[c] / rows;
  const sq = new Float64Array(features);
  const dev = sum; // reused: sum of deviations, the correction term
  dev.fill(0);
  for (let i = 0; i < rows * features; ) {
    for (let c = 0; c < features; c++, i++) {
      const d = x[i] - mean[c];
      dev[c] += d;
      sq[c] += d * d;
    }
  }
  const std = new Float64Array(features);
  for (let c = 0; c < features; c++) {
    if (min[c] === max[c]) {
      mean[c] = min[c] === 0 ? 0 : min[c]; // +0, not -0: JSON has no negative zero
      std[c] = 1;
      continue;
    }
    const variance = (sq[c] - (dev[c] * dev[c]) / rows) / rows;
    const s = Math.sqrt(Math.max(variance, 0));
    std[c] = s > 0 ? s : 1;
  }
  return { mean, std };
}
