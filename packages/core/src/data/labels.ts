/**
 * Up-front check of sparse class labels. The loss kernels index an output row by its label, so a bad label must
 * be caught before training, with the dataset row it sits in (inside a step only the row within a shard is
 * known, which names nothing the user can find).
 */
import type { Dataset } from './dataset.js';

/**
 * Throws unless every target of `data` (one column) is an integer class index in `[0, classes)`.
 *
 * @param what names the data in the message, e.g. `training data`
 * @throws RangeError naming the first bad dataset row, e.g.
 *   `training data row 41: sparse label 3 is not an integer class in [0, 3)`
 */
export function checkSparseLabels(data: Dataset, classes: number, what = 'data'): void {
  const { y, rows } = data;
  for (let r = 0; r < rows; r++) {
    const label = y[r];
    if (!(Number.isInteger(label) && label >= 0 && label < classes)) {
      throw new RangeError(`${what} row ${r}: sparse label ${label} is not an integer class in [0, ${classes})`);
    }
  }
}
