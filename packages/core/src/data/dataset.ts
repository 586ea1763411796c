import { requireInt, requireLength } from './check.js';
import { gatherRows } from './gather.js';

/**
 * A dataset is two flat row-major float arrays: `x` is `rows x features`, `y` is `rows x outputs`. Rows are
 * addressed by index, so shuffling and batching move indices, never data.
 */
export interface Dataset {
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly rows: number;
  readonly features: number;
  readonly outputs: number;
}

/**
 * Builds a {@link Dataset} from flat row-major arrays after checking that the shapes agree. The arrays are used
 * as given, not copied.
 *
 * @param x inputs, `rows x features` values
 * @param y targets, `rows x outputs` values (`outputs` may be 0 for unlabelled inputs)
 * @param rows number of rows, an integer >= 0
 * @param features values per input row, an integer >= 1
 * @param outputs values per target row, an integer >= 0
 * @throws TypeError when `x` or `y` is not a Float32Array
 * @throws RangeError when a count is not a non-negative integer or an array length disagrees, e.g.
 *   `x has 77 values, expected rows x features = 10 x 8 = 80`
 */
export function createDataset(
  x: Float32Array,
  y: Float32Array,
  rows: number,
  features: number,
  outputs: number,
): Dataset {
  requireInt('rows', rows, 0);
  requireInt('features', features, 1);
  requireInt('outputs', outputs, 0);
  if (!(x instanceof Float32Array)) throw new TypeError(`x must be a Float32Array, got ${describe(x)}`);
  if (!(y instanceof Float32Array)) throw new TypeError(`y must be a Float32Array, got ${describe(y)}`);
  requireLength('x', x, rows, features, 'rows', 'features');
  requireLength('y', y, rows, outputs, 'rows', 'outputs');
  return { x, y, rows, features, outputs };
}

/**
 * Gathers the rows `indices[0], indices[1], ...` of `ds`, in that order, into a new dataset with freshly
 * allocated arrays. Indices may repeat (bootstrap samples) and may be empty.
 *
 * @throws RangeError naming the first index that is not an integer in `[0, ds.rows)`
 */
export function subset(ds: Dataset, indices: Int32Array | readonly number[]): Dataset {
  const n = indices.length;
  for (let k = 0; k < n; k++) {
    const r = indices[k];
    if (!(Number.isInteger(r) && r >= 0 && r < ds.rows)) {
      throw new RangeError(`indices[${k}] = ${r} is out of range for a dataset of ${ds.rows} rows`);
    }
  }
  const x = gatherRows(ds.x, ds.features, indices, 0, n, new Float32Array(n * ds.features));
  const y = gatherRows(ds.y, ds.outputs, indices, 0, n, new Float32Array(n * ds.outputs));
  return { x, y, rows: n, features: ds.features, outputs: ds.outputs };
}

/**
 * Copies the contiguous rows `[start, end)` of `ds` into a new dataset (the rows keep their order).
 *
 * @throws RangeError unless `0 <= start <= end <= ds.rows`
 */
export function sliceRows(ds: Dataset, start: number, end: number): Dataset {
  if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= ds.rows)) {
    throw new RangeError(`row range [${start}, ${end}) must satisfy 0 <= start <= end <= rows = ${ds.rows}`);
  }
  return {
    x: ds.x.slice(start * ds.features, end * ds.features),
    y: ds.y.slice(start * ds.outputs, end * ds.outputs),
    rows: end - start,
    features: ds.features,
    outputs: ds.outputs,
  };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}
