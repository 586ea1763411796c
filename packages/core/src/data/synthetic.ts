/**
 * Deterministic synthetic datasets: the bundled default data and the benchmarks' workloads. A seed fixes every
 * value, so any machine regenerates the same data instead of shipping it.
 *
 * Determinism: all randomness comes from one {@link Rng} stream read in a fixed order (teacher weights first,
 * then the rows one after another), and values are stored as float32. Rows are generated one at a time from the
 * stream, so a dataset with fewer rows is a prefix of one with more rows for the same other options.
 */
import { Rng } from '../random.js';
import { requireInt } from './check.js';
import type { Dataset } from './dataset.js';

/** Options of {@link seedProblem}. */
export interface SeedProblemOptions {
  /** Number of rows (default 10000). */
  rows?: number;
  /** Number of input features (default 39, the seed network's input size). */
  features?: number;
  /** Hidden units of the teacher network (default 16). */
  hidden?: number;
  /** Standard deviation of the Gaussian noise added to the target (default 0.02). */
  noise?: number;
  /** Seed of the generating stream (default 1). */
  seed?: number;
}

/** Options of {@link wideProblem}. */
export interface WideProblemOptions {
  /** Number of rows (default 10000). */
  rows?: number;
  /** Number of input features (default 784, as a flattened 28 x 28 image). */
  features?: number;
  /** Number of classes, the width of the one-hot target (default 10). */
  classes?: number;
  /** Standard deviation of the Gaussian noise added to each class score (default 0.5). */
  noise?: number;
  /** Seed of the generating stream (default 1). */
  seed?: number;
}

/** Targets of {@link seedProblem} are clamped into `[SEED_TARGET_MIN, SEED_TARGET_MAX]`, inside (0, 1). */
export const SEED_TARGET_MIN = 0.001;
/** Upper clamp of {@link seedProblem} targets. */
export const SEED_TARGET_MAX = 0.999;

/**
 * The default regression problem: `features` inputs, one target in (0, 1), learnable by the seed network.
 *
 * Generating process, reading one `Rng(seed)` stream in this order:
 * 1. A fixed random teacher network `features - hidden - 1`: hidden kernel `W1 [features x hidden]` with entries
 *    `N(0, (1.5 / sqrt(features))^2)`, hidden bias `b1` with entries `N(0, 0.5^2)`, output kernel `w2 [hidden]`
 *    with entries `N(0, (1.5 / sqrt(hidden))^2)`, output bias 0 (drawn in that order, row-major).
 * 2. For each row: inputs `x ~ N(0, 1)` (one per feature, rounded to float32), then one noise draw `e ~ N(0, 1)`;
 *    the target is `y = clamp(sigmoid(tanh(x W1 + b1) . w2) + noise * e, 0.001, 0.999)`, computed in float64
 *    from the float32 inputs and stored as float32.
 *
 * With the defaults, `y` has a standard deviation of roughly 0.2 while the noise contributes 0.02, so a model
 * can bring the mean squared error far below the variance of `y`.
 *
 * @throws RangeError for counts that are not positive integers or a negative/non-finite noise or seed
 */
export function seedProblem(options: SeedProblemOptions = {}): Dataset {
  const rows = requireInt('rows', options.rows ?? 10000, 1);
  const features = requireInt('features', options.features ?? 39, 1);
  const hidden = requireInt('hidden', options.hidden ?? 16, 1);
  const noise = checkNoise(options.noise ?? 0.02);
  const rng = new Rng(checkSeed(options.seed ?? 1));

  const w1 = normals(rng, features * hidden, 1.5 / Math.sqrt(features));
  const b1 = normals(rng, hidden, 0.5);
  const w2 = normals(rng, hidden, 1.5 / Math.sqrt(hidden));

  const x = new Float32Array(rows * features);
  const y = new Float32Array(rows);
  const h = new Float64Array(hidden);
  for (let r = 0; r < rows; r++) {
    const base = r * features;
    for (let f = 0; f < features; f++) x[base + f] = rng.normal();
    h.set(b1);
    for (let f = 0; f < features; f++) {
      const v = x[base + f];
      const wRow = f * hidden;
      for (let j = 0; j < hidden; j++) h[j] += v * w1[wRow + j];
    }
    let z = 0;
    for (let j = 0; j < hidden; j++) z += Math.tanh(h[j]) * w2[j];
    const target = 1 / (1 + Math.exp(-z)) + noise * rng.normal();
    y[r] = Math.min(SEED_TARGET_MAX, Math.max(SEED_TARGET_MIN, target));
  }
  return { x, y, rows, features, outputs: 1 };
}

/**
 * A wide classification problem: `features` inputs (784 by default, MNIST-sized) and a one-hot target of
 * `classes` columns, for benchmarks whose first layer dominates the cost.
 *
 * Generating process, reading one `Rng(seed)` stream in this order:
 * 1. A fixed random linear map `W [features x classes]` with entries `N(0, 1 / features)`, so every class score
 *    has unit variance (row-major draw order).
 * 2. For each row: inputs `x ~ N(0, 1)` (rounded to float32), then one noise draw `e_k ~ N(0, 1)` per class; the
 *    label is `argmax_k ((x W)_k + noise * e_k)` (ties to the lowest class) and `y` is its one-hot row.
 *
 * The labels are a noisy linear function of `x`, so a softmax layer already learns most of it; the noise makes
 * perfect accuracy unreachable. Classes are roughly balanced.
 *
 * @throws RangeError for counts that are not positive integers (`classes` >= 2) or a negative/non-finite noise
 *   or seed
 */
export function wideProblem(options: WideProblemOptions = {}): Dataset {
  const rows = requireInt('rows', options.rows ?? 10000, 1);
  const features = requireInt('features', options.features ?? 784, 1);
  const classes = requireInt('classes', options.classes ?? 10, 2);
  const noise = checkNoise(options.noise ?? 0.5);
  const rng = new Rng(checkSeed(options.seed ?? 1));

  const w = normals(rng, features * classes, 1 / Math.sqrt(features));
  const x = new Float32Array(rows * features);
  const y = new Float32Array(rows * classes);
  const score = new Float64Array(classes);
  for (let r = 0; r < rows; r++) {
    const base = r * features;
    for (let f = 0; f < features; f++) x[base + f] = rng.normal();
    score.fill(0);
    for (let f = 0; f < features; f++) {
      const v = x[base + f];
      const wRow = f * classes;
      for (let k = 0; k < classes; k++) score[k] += v * w[wRow + k];
    }
    let best = 0;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < classes; k++) {
      const s = score[k] + noise * rng.normal();
      if (s > bestScore) {
        bestScore = s;
        best = k;
      }
    }
    y[r * classes + best] = 1;
  }
  return { x, y, rows, features, outputs: classes };
}

function normals(rng: Rng, n: number, std: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = std * rng.normal();
  return out;
}

function checkNoise(noise: number): number {
  if (!(typeof noise === 'number' && Number.isFinite(noise) && noise >= 0)) {
    throw new RangeError(`noise must be a finite number >= 0, got ${noise}`);
  }
  return noise;
}

function checkSeed(seed: number): number {
  if (!(typeof seed === 'number' && Number.isFinite(seed)))
    throw new RangeError(`seed must be a finite number, got ${seed}`);
  return seed;
}
