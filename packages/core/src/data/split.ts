/**
 * Splitting a dataset into training and validation parts: the Keras `validation_split` rule (last rows) and a
 * seeded random split.
 */
import type { Rng } from '../random.js';
import { type Dataset, sliceRows, subset } from './dataset.js';
import { permutation } from './shuffle.js';

/** The two parts of a split. Both own freshly copied arrays; neither aliases the source dataset. */
export interface DatasetSplit {
  readonly train: Dataset;
  readonly validation: Dataset;
}

/** A random split, with the source row of every row of each part. */
export interface RandomSplit extends DatasetSplit {
  /** `train` row `k` is source row `trainIndices[k]`. */
  readonly trainIndices: Int32Array;
  /** `validation` row `k` is source row `validationIndices[k]`. */
  readonly validationIndices: Int32Array;
}

/**
 * The row at which the training part ends, exactly as tfjs `model.fit` (and Keras) computes it:
 * `Math.floor(rows * (1 - validationFraction))`. Rows `[0, splitAt)` train, rows `[splitAt, rows)` validate, so
 * the validation part has `rows - splitAt` rows: `ceil(rows * validationFraction)` up to floating-point rounding
 * (e.g. 10 rows at 0.25 give 7 + 3).
 *
 * @throws RangeError when `validationFraction` is not in `[0, 1)` or `rows` is not a non-negative integer
 */
export function validationSplitAt(rows: number, validationFraction: number): number {
  if (!(Number.isSafeInteger(rows) && rows >= 0)) throw new RangeError(`rows must be an integer >= 0, got ${rows}`);
  checkFraction(validationFraction);
  return Math.floor(rows * (1 - validationFraction));
}

/**
 * Keras `validation_split`: the LAST rows of `ds`, taken before any shuffling, become the validation part and
 * the rows before them the training part; both keep the source order. The boundary is
 * {@link validationSplitAt}, identical to tfjs `model.fit`.
 *
 * A fraction of 0 gives an empty validation part. A positive fraction must leave at least one row in each part.
 *
 * @param validationFraction fraction of rows held out, in `[0, 1)`
 * @throws RangeError when the fraction is out of range or a part that must be non-empty would be empty
 */
export function trainValidationSplit(ds: Dataset, validationFraction: number): DatasetSplit {
  const splitAt = validationSplitAt(ds.rows, validationFraction);
  checkParts(ds.rows, splitAt, validationFraction);
  return { train: sliceRows(ds, 0, splitAt), validation: sliceRows(ds, splitAt, ds.rows) };
}

/**
 * A shuffled split: draws a permutation of the rows from `rng`; its first {@link validationSplitAt} entries
 * form the training part and the rest the validation part, so the part sizes equal those of
 * {@link trainValidationSplit}. Each part is in the permuted order (as scikit-learn's `train_test_split`).
 *
 * @param validationFraction fraction of rows held out, in `[0, 1)`
 * @throws RangeError when the fraction is out of range or a part that must be non-empty would be empty
 */
export function randomSplit(ds: Dataset, validationFraction: number, rng: Rng): RandomSplit {
  const splitAt = validationSplitAt(ds.rows, validationFraction);
  checkParts(ds.rows, splitAt, validationFraction);
  const order = permutation(ds.rows, rng);
  const trainIndices = order.slice(0, splitAt);
  const validationIndices = order.slice(splitAt);
  return {
    train: subset(ds, trainIndices),
    validation: subset(ds, validationIndices),
    trainIndices,
    validationIndices,
  };
}

function checkFraction(validationFraction: number): void {
  if (!(typeof validationFraction === 'number' && validationFraction >= 0 && validationFraction < 1)) {
    throw new RangeError(`validationFraction must be a number in [0, 1), got ${validationFraction}`);
  }
}

function checkParts(rows: number, splitAt: number, validationFraction: number): void {
  if (validationFraction === 0) return;
  if (splitAt === 0) {
    throw new RangeError(
      `validationFraction ${validationFraction} of ${rows} rows leaves no training rows ` +
        `(training rows = floor(rows x (1 - fraction)) = 0)`,
    );
  }
  if (splitAt === rows) {
    throw new RangeError(
      `validationFraction ${validationFraction} of ${rows} rows leaves no validation rows ` +
        `(validation rows = rows - floor(rows x (1 - fraction)) = 0)`,
    );
  }
}
