/**
 * Up-front checks that training data and weights hold only finite numbers. A NaN or an Infinity in the data
 * would otherwise surface steps later as "loss became NaN", blaming the learning rate; a weight that overflowed
 * would be saved and used as if nothing had happened.
 */
import type { Dataset } from './dataset.js';

/** Index of the first NaN or +-Infinity in `values`, or -1 when every value is finite. */
export function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) {
    // v - v is 0 for every finite v and NaN for NaN and +-Infinity: one comparison per value.
    const v = values[i];
    if (v - v !== 0) return i;
  }
  return -1;
}

/**
 * Throws unless every feature and target value of `data` is finite, naming the first bad value by row and column
 * (both counted from 0, as `Dataset` rows are).
 *
 * @param what how the message names the data, e.g. `training data`
 * @throws RangeError, e.g. `training data: feature 3 of row 12 (counted from 0) is NaN; features and targets must
 *   be finite numbers (float32: beyond +-3.4e38 is Infinity)`
 */
export function checkFiniteData(data: Dataset, what = 'training data'): void {
  const parts = [
    { name: 'feature', values: data.x, width: data.features },
    { name: 'target', values: data.y, width: data.outputs },
  ];
  for (const { name, values, width } of parts) {
    if (width === 0) continue;
    const i = firstNonFinite(values.subarray(0, data.rows * width));
    if (i < 0) continue;
    const row = Math.floor(i / width);
    throw new RangeError(
      `${what}: ${name} ${i - row * width} of row ${row} (counted from 0) is ${values[i]}; ` +
        'features and targets must be finite numbers (float32: beyond +-3.4e38 is Infinity)',
    );
  }
}
