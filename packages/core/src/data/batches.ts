/**
 * Mini-batches over an index order, as Keras forms them: consecutive runs of `batchSize` positions of the
 * epoch's order, the last batch partial when `rows` is not a multiple of `batchSize`. Everything here works on
 * integers and caller-owned buffers, so iterating an epoch allocates nothing per batch.
 *
 * ```ts
 * for (let b = 0, n = batchCount(rows, batchSize); b < n; b++) {
 *   const start = batchStart(b, batchSize);
 *   const end = batchEnd(b, rows, batchSize);
 *   gatherBatch(ds, order, start, end, xBatch, yBatch); // rows order[start..end) into reused buffers
 * }
 * ```
 */

import { requireInt } from './check.js';
import type { Dataset } from './dataset.js';
import { gatherRows } from './gather.js';

/**
 * Number of batches in an epoch of `rows` rows: `ceil(rows / batchSize)` (0 for no rows).
 *
 * @throws RangeError unless `rows` is an integer >= 0 and `batchSize` an integer >= 1
 */
export function batchCount(rows: number, batchSize: number): number {
  requireInt('rows', rows, 0);
  requireInt('batchSize', batchSize, 1);
  return Math.ceil(rows / batchSize);
}

/** First position (inclusive) of batch `i` in the epoch's order: `i * batchSize`. */
export function batchStart(i: number, batchSize: number): number {
  return i * batchSize;
}

/** Last position (exclusive) of batch `i`: `min((i + 1) * batchSize, rows)`. */
export function batchEnd(i: number, rows: number, batchSize: number): number {
  return Math.min((i + 1) * batchSize, rows);
}

/**
 * The half-open range `[start, end)` of positions of batch `i`, written into `out` (pass a reused pair to stay
 * allocation-free; without one a new pair is returned). Every batch has `batchSize` rows except possibly the
 * last.
 *
 * @throws RangeError when `i` is not in `[0, batchCount(rows, batchSize))`
 */
export function batchBounds(
  i: number,
  rows: number,
  batchSize: number,
  out: [number, number] = [0, 0],
): [number, number] {
  const n = batchCount(rows, batchSize);
  if (!(Number.isInteger(i) && i >= 0 && i < n)) {
    throw new RangeError(
      `batch index i must be an integer in [0, ${n}) for ${rows} rows in batches of ${batchSize}, got ${i}`,
    );
  }
  out[0] = batchStart(i, batchSize);
  out[1] = batchEnd(i, rows, batchSize);
  return out;
}

/**
 * Calls `fn(start, end, i)` for every batch of an epoch of `rows` rows, in order. Allocates nothing itself.
 *
 * @throws RangeError unless `rows` is an integer >= 0 and `batchSize` an integer >= 1
 */
export function forEachBatch(
  rows: number,
  batchSize: number,
  fn: (start: number, end: number, i: number) => void,
): void {
  const n = batchCount(rows, batchSize);
  for (let i = 0; i < n; i++) fn(batchStart(i, batchSize), batchEnd(i, rows, batchSize), i);
}

/**
 * Copies the rows `order[start] .. order[end - 1]` of `ds` into the first `end - start` rows of the reused
 * buffers `x` (at least `(end - start) x features` values) and `y` (at least `(end - start) x outputs`).
 *
 * @throws RangeError when the range, an index or a buffer size is out of bounds
 */
export function gatherBatch(
  ds: Dataset,
  order: ArrayLike<number>,
  start: number,
  end: number,
  x: Float32Array,
  y: Float32Array,
): void {
  gatherRows(ds.x, ds.features, order, start, end, x);
  gatherRows(ds.y, ds.outputs, order, start, end, y);
}
