/**
 * Cross-validation splits as one fold number per row: row `r` validates in fold `folds[r]` and trains in every
 * other fold. A holdout split is the same thing with one fold (its validation rows) and `-1` for rows that only
 * train. One small Int32Array describes every split, so it can live in shared memory beside the data.
 */
import type { LossName } from '../losses/loss.js';
import { Rng } from '../random.js';
import { requireInt } from './check.js';
import type { Dataset } from './dataset.js';
import { permutation, shuffleInPlace } from './shuffle.js';
import { validationSplitAt } from './split.js';

/** A fold's rows: both lists ascending, so a fold's training part keeps the source order. */
export interface FoldRows {
  readonly train: Int32Array;
  readonly validation: Int32Array;
}

/**
 * K-fold assignment (scikit-learn's `KFold(shuffle=True)` / `StratifiedKFold(shuffle=True)`): the rows are
 * shuffled with `seed`, then dealt to the folds in turn, so fold sizes differ by at most one row. With `labels`
 * (one class index per row) the rows of each class are shuffled and dealt separately, continuing the turn from
 * one class to the next: every fold then holds `floor` or `ceil` of `count / k` rows of each class, so the class
 * proportions of every fold match the whole.
 *
 * @param k number of folds, an integer in `[2, rows]`
 * @returns `folds[r]` in `[0, k)` for every row
 * @throws RangeError when `k` is out of range or `labels` has the wrong length or a negative entry
 */
export function kFolds(rows: number, k: number, seed: number, labels?: Int32Array | null): Int32Array {
  requireInt('rows', rows, 0);
  requireInt('k', k, 2);
  if (k > rows) throw new RangeError(`k = ${k} folds need at least ${k} rows, the data has ${rows}`);
  const folds = new Int32Array(rows);
  const rng = new Rng(seed);
  if (!labels) {
    const order = permutation(rows, rng);
    for (let i = 0; i < rows; i++) folds[order[i]] = i % k;
    return folds;
  }
  if (labels.length !== rows)
    throw new RangeError(`labels has ${labels.length} entries, expected one per row (${rows})`);
  let classes = 0;
  for (let r = 0; r < rows; r++) {
    if (!(labels[r] >= 0)) throw new RangeError(`labels[${r}] = ${labels[r]} is not a class index >= 0`);
    classes = Math.max(classes, labels[r] + 1);
  }
  // Rows of each class, in source order, then shuffled per class: one counting pass, no per-class arrays.
  const start = new Int32Array(classes + 1);
  for (let r = 0; r < rows; r++) start[labels[r] + 1]++;
  for (let c = 0; c < classes; c++) start[c + 1] += start[c];
  const byClass = new Int32Array(rows);
  const next = start.slice(0, classes);
  for (let r = 0; r < rows; r++) byClass[next[labels[r]]++] = r;
  let turn = 0;
  for (let c = 0; c < classes; c++) {
    const members = byClass.subarray(start[c], start[c + 1]);
    shuffleInPlace(members, rng);
    for (let i = 0; i < members.length; i++) folds[members[i]] = turn++ % k;
  }
  return folds;
}

/**
 * A single holdout split in fold form: the last rows (the Keras `validation_split` rule of
 * {@link validationSplitAt}, as `train --val-split` takes them) are fold 0, the rest `-1` (train only).
 *
 * @throws RangeError when the fraction leaves either part empty
 */
export function holdoutFolds(rows: number, validationFraction: number): Int32Array {
  const splitAt = validationSplitAt(rows, validationFraction);
  if (splitAt === 0 || splitAt === rows) {
    throw new RangeError(
      `a validation fraction of ${validationFraction} of ${rows} rows leaves nothing to ${splitAt === 0 ? 'train on' : 'validate on'}`,
    );
  }
  const folds = new Int32Array(rows).fill(-1);
  folds.fill(0, splitAt);
  return folds;
}

/** Number of splits a fold array describes (its largest fold number + 1). */
export function foldCount(folds: Int32Array): number {
  let max = -1;
  for (let r = 0; r < folds.length; r++) if (folds[r] > max) max = folds[r];
  return max + 1;
}

/** The training rows (every other fold) and validation rows (`fold`) of one split, ascending. */
export function foldRows(folds: Int32Array, fold: number): FoldRows {
  let validationRows = 0;
  for (let r = 0; r < folds.length; r++) if (folds[r] === fold) validationRows++;
  const train = new Int32Array(folds.length - validationRows);
  const validation = new Int32Array(validationRows);
  for (let r = 0, t = 0, v = 0; r < folds.length; r++) {
    if (folds[r] === fold) validation[v++] = r;
    else train[t++] = r;
  }
  return { train, validation };
}

/**
 * The class index of every row, for stratified folds: the 0/1 target of a single-output binary cross-entropy,
 * the arg-max of one-hot categorical targets, the label of sparse categorical ones. Null for regression (and
 * multi-label binary targets), which have no single class per row.
 */
export function classLabels(data: Dataset, loss: LossName): Int32Array | null {
  const { rows, outputs, y } = data;
  if (loss === 'meanSquaredError' || (loss === 'binaryCrossentropy' && outputs !== 1)) return null;
  const labels = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    if (loss === 'categoricalCrossentropy') {
      let best = 0;
      for (let j = 1; j < outputs; j++) if (y[r * outputs + j] > y[r * outputs + best]) best = j;
      labels[r] = best;
    } else if (loss === 'binaryCrossentropy') {
      labels[r] = y[r] >= 0.5 ? 1 : 0;
    } else {
      labels[r] = Math.max(0, Math.round(y[r]));
    }
  }
  return labels;
}
