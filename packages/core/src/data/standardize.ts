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
  const mean = new Float64Array(features);
  const std = new Float64Array(features);
  // Column by column, each sum in a local: a column (`features` 1, as tabular fits every column) runs at about
  // 3 ns a value, where per-column accumulators in arrays took 11. The additions are the same, in row order, so
  // the bits do not depend on the loop order.
  for (let c = 0; c < features; c++) {
    let sum = 0;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (let i = c, end = rows * features; i < end; i += features) {
      const v = x[i];
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    // A NaN makes the sum NaN and an infinity makes min or max infinite (a finite sum that overflows does neither).
    if (Number.isNaN(sum) || !Number.isFinite(min) || !Number.isFinite(max)) nonFinite(x, rows, features);
    if (min === max) {
      mean[c] = min === 0 ? 0 : min; // +0, not -0: JSON has no negative zero
      std[c] = 1;
      continue;
    }
    const m = sum / rows;
    let dev = 0; // sum of deviations: the correction term
    let sq = 0;
    for (let i = c, end = rows * features; i < end; i += features) {
      const d = x[i] - m;
      dev += d;
      sq += d * d;
    }
    const variance = (sq - (dev * dev) / rows) / rows;
    const s = Math.sqrt(Math.max(variance, 0));
    mean[c] = m;
    std[c] = s > 0 ? s : 1;
  }
  return { mean, std };
}

/** Throws for the first value of `x`, in row-major order, that is not finite. */
function nonFinite(x: ArrayLike<number>, rows: number, features: number): never {
  for (let r = 0, i = 0; r < rows; r++) {
    for (let c = 0; c < features; c++, i++) {
      if (!Number.isFinite(x[i])) {
        throw new RangeError(`x[row ${r}, column ${c}] is ${x[i]}; standardisation needs finite values`);
      }
    }
  }
  throw new Error('internal: a non-finite statistic without a non-finite value');
}
