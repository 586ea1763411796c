/**
 * A search's data as its workers see it: the encoded rows and the fold of each row in SharedArrayBuffers (copied
 * there once per search, if they are not already), and an id that tells one search's data from another's, since
 * the workers outlive a search.
 */
import type { Dataset } from '../data/dataset.js';

export interface SearchData {
  id: number;
  x: Float32Array;
  y: Float32Array;
  folds: Int32Array;
  rows: number;
  features: number;
  outputs: number;
}

function shared<T extends Float32Array | Int32Array>(array: T): T {
  if (array.buffer instanceof SharedArrayBuffer) return array;
  const copy = new (array.constructor as new (b: SharedArrayBuffer) => T)(new SharedArrayBuffer(array.byteLength));
  copy.set(array);
  return copy;
}

/** `data` and `folds` in shared memory, under `id`. */
export function searchData(id: number, data: Dataset, folds: Int32Array): SearchData {
  return {
    id,
    x: shared(data.x.subarray(0, data.rows * data.features)),
    y: shared(data.y.subarray(0, data.rows * data.outputs)),
    folds: shared(folds),
    rows: data.rows,
    features: data.features,
    outputs: data.outputs,
  };
}

/** The dataset a worker trains on. */
export function searchDataset(data: SearchData): Dataset {
  return { x: data.x, y: data.y, rows: data.rows, features: data.features, outputs: data.outputs };
}
