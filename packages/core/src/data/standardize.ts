/**
 * Feature standardisation, `(x - mean) / std` per column with the population standard deviation, as
 * scikit-learn's `StandardScaler`. Statistics are computed in float64; a constant column keeps scale 1.
 * Targets are never standardised.
 */
import { requireInt, requireLength, show } from './check.js';

/** Per-column statistics of a standardiser. `std` is the scale actually divided by: never 0. */
export interface Standardizer {
  readonly mean: Float64Array;
  readonly std: Float64Array;
}

/** The JSON form of a {@link Standardizer}: plain number arrays (float64 values round-trip exactly). */
export interface StandardizerJSON {
  mean: number[];
  std: number[];
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

/**
 * Writes `(x - mean) / std` for every value of `x` (`rows x features`, row-major) into `out`, computing in
 * float64 and rounding once on store. `out` may be `x` itself (in place). Without `out`, a new Float32Array.
 *
 * @throws RangeError when `stats` does not have `features` columns or a length disagrees
 */
export function applyStandardizer(
  stats: Standardizer,
  x: ArrayLike<number>,
  rows: number,
  features: number,
): Float32Array;
export function applyStandardizer<T extends Float32Array | Float64Array>(
  stats: Standardizer,
  x: ArrayLike<number>,
  rows: number,
  features: number,
  out: T,
): T;
export function applyStandardizer(
  stats: Standardizer,
  x: ArrayLike<number>,
  rows: number,
  features: number,
  out?: Float32Array | Float64Array,
): Float32Array | Float64Array {
  const dst = checkApply(stats, x, rows, features, out);
  const { mean, std } = stats;
  for (let i = 0; i < rows * features; ) {
    for (let c = 0; c < features; c++, i++) dst[i] = (x[i] - mean[c]) / std[c];
  }
  return dst;
}

/**
 * The inverse of {@link applyStandardizer}: writes `z * std + mean` into `out` (which may be `z`). Without
 * `out`, a new Float32Array. Up to float32 rounding, `invertStandardizer(s, applyStandardizer(s, x))` is `x`.
 *
 * @throws RangeError when `stats` does not have `features` columns or a length disagrees
 */
export function invertStandardizer(
  stats: Standardizer,
  z: ArrayLike<number>,
  rows: number,
  features: number,
): Float32Array;
export function invertStandardizer<T extends Float32Array | Float64Array>(
  stats: Standardizer,
  z: ArrayLike<number>,
  rows: number,
  features: number,
  out: T,
): T;
export function invertStandardizer(
  stats: Standardizer,
  z: ArrayLike<number>,
  rows: number,
  features: number,
  out?: Float32Array | Float64Array,
): Float32Array | Float64Array {
  const dst = checkApply(stats, z, rows, features, out, 'z');
  const { mean, std } = stats;
  for (let i = 0; i < rows * features; ) {
    for (let c = 0; c < features; c++, i++) dst[i] = z[i] * std[c] + mean[c];
  }
  return dst;
}

/** Plain number arrays for `JSON.stringify` (e.g. the `shardprop` section of `model.json`). */
export function standardizerToJSON(stats: Standardizer): StandardizerJSON {
  return { mean: Array.from(stats.mean), std: Array.from(stats.std) };
}

/**
 * Rebuilds a {@link Standardizer} from its JSON form (e.g. the result of `JSON.parse`), checking it: `mean` and
 * `std` must be equally long, non-empty arrays of finite numbers, and every `std` must be positive.
 *
 * @throws Error naming the field and the bad value
 */
export function standardizerFromJSON(json: unknown): Standardizer {
  if (typeof json !== 'object' || json === null) {
    throw new Error(
      `standardizer JSON must be an object with mean and std arrays, got ${json === null ? 'null' : typeof json}`,
    );
  }
  const { mean, std } = json as { mean?: unknown; std?: unknown };
  const meanArr = numberArray('mean', mean);
  const stdArr = numberArray('std', std);
  if (meanArr.length !== stdArr.length) {
    throw new Error(`standardizer JSON has ${meanArr.length} means but ${stdArr.length} stds`);
  }
  for (let c = 0; c < stdArr.length; c++) {
    if (!(stdArr[c] > 0)) throw new Error(`standardizer JSON std[${c}] must be > 0, got ${stdArr[c]}`);
  }
  return { mean: meanArr, std: stdArr };
}

function numberArray(name: string, value: unknown): Float64Array {
  if (!Array.isArray(value) || value.length === 0) {
    throw new Error(`standardizer JSON ${name} must be a non-empty array of numbers, got ${show(value)}`);
  }
  const out = new Float64Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const v = value[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new Error(`standardizer JSON ${name}[${i}] must be a finite number, got ${show(v)}`);
    }
    out[i] = v;
  }
  return out;
}

function checkApply(
  stats: Standardizer,
  x: ArrayLike<number>,
  rows: number,
  features: number,
  out: Float32Array | Float64Array | undefined,
  name = 'x',
): Float32Array | Float64Array {
  requireInt('rows', rows, 0);
  requireInt('features', features, 1);
  if (stats.mean.length !== features || stats.std.length !== features) {
    throw new RangeError(
      `standardizer has ${stats.mean.length} means and ${stats.std.length} stds, the data has ${features} features`,
    );
  }
  requireLength(name, x, rows, features);
  if (out === undefined) return new Float32Array(rows * features);
  requireLength('out', out, rows, features);
  return out;
}
