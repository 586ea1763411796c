/**
 * Row weights for the loss: Keras' `class_weight` and `sample_weight`, combined into one weight per training row.
 *
 * A row's class is the one tfjs `fit` uses to look up `classWeight`: the label itself for sparse labels and for a
 * single target column (binary), the arg-max of the target row otherwise (one-hot). `'balanced'` is
 * scikit-learn's rule, `n_samples / (n_classes * count(class))` over the training rows, with `n_classes` the number
 * of classes present. With both, a row's weight is its class weight times its sample weight (as Keras multiplies
 * them). The weighted batch loss is `sum(weight * loss) / batchRows`: Keras' mean of the weighted per-row losses
 * over the batch, not divided by the sum of the weights.
 */
import type { LossName } from '../losses/loss.js';
import type { Dataset } from './dataset.js';

/** A map from class index to weight, or `'balanced'`. */
export type ClassWeight = 'balanced' | Readonly<Record<number, number>>;

/** The class index of row `r` of `data`, as tfjs `fit` reads it for `classWeight`. */
export function rowClass(data: Dataset, r: number): number {
  const cols = data.outputs;
  const o = r * cols;
  if (cols === 1) return data.y[o];
  let best = 0;
  for (let j = 1; j < cols; j++) if (data.y[o + j] > data.y[o + best]) best = j;
  return best;
}

/** scikit-learn's `class_weight='balanced'` over the rows of `data`: `rows / (classesPresent * count)`. */
export function balancedClassWeights(data: Dataset): Record<number, number> {
  const counts = new Map<number, number>();
  for (let r = 0; r < data.rows; r++) {
    const c = rowClass(data, r);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  const weights: Record<number, number> = {};
  for (const [c, n] of counts) weights[c] = data.rows / (counts.size * n);
  return weights;
}

/** Checks a class-weight option's form once, up front: `'balanced'` or finite weights >= 0 keyed by class index. */
export function checkClassWeight(value: unknown): ClassWeight {
  if (value === 'balanced') return value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`options.classWeight must be "balanced" or a map from class index to weight`);
  }
  for (const [key, weight] of Object.entries(value)) {
    if (!/^(0|[1-9][0-9]*)$/.test(key)) {
      throw new RangeError(`options.classWeight has key "${key}", not a class index (0, 1, 2, ...)`);
    }
    if (!(typeof weight === 'number' && Number.isFinite(weight) && weight >= 0)) {
      throw new RangeError(`options.classWeight[${key}] must be a finite number >= 0, got ${String(weight)}`);
    }
  }
  return value as Readonly<Record<number, number>>;
}

/** Checks sample weights against the data: one finite weight >= 0 per row, named by row on failure. */
export function checkSampleWeight(weights: unknown, rows: number): Float32Array {
  if (!(weights instanceof Float32Array)) throw new TypeError('options.sampleWeight must be a Float32Array');
  if (weights.length !== rows) {
    throw new RangeError(`options.sampleWeight has ${weights.length} weights, the data has ${rows} rows`);
  }
  for (let r = 0; r < rows; r++) {
    const v = weights[r];
    if (!(Number.isFinite(v) && v >= 0)) {
      throw new RangeError(`options.sampleWeight[${r}] is ${v}: weights must be finite numbers >= 0`);
    }
  }
  return weights;
}

/**
 * One weight per row of `train`: the class weight of the row's class times its sample weight (either may be
 * absent). Undefined when neither is given, so that unweighted training takes its own, unchanged path.
 * @throws RangeError for class weights on a regression loss, or a class in the data that the map does not weigh
 */
export function rowWeights(
  train: Dataset,
  loss: LossName,
  classWeight: ClassWeight | undefined,
  sampleWeight: Float32Array | undefined,
): Float32Array | undefined {
  if (classWeight === undefined && sampleWeight === undefined) return undefined;
  const weights = sampleWeight ? sampleWeight.slice(0, train.rows) : new Float32Array(train.rows).fill(1);
  if (classWeight === undefined) return weights;
  if (loss === 'meanSquaredError') {
    throw new RangeError('options.classWeight needs a classification loss, not meanSquaredError');
  }
  const byClass = classWeight === 'balanced' ? balancedClassWeights(train) : classWeight;
  for (let r = 0; r < train.rows; r++) {
    const c = rowClass(train, r);
    const weight = byClass[c];
    if (weight === undefined) {
      throw new RangeError(
        `options.classWeight has no weight for class ${c} (training row ${r}); give every class in the data a weight`,
      );
    }
    weights[r] *= weight;
  }
  return weights;
}
