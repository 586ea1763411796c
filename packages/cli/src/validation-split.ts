/**
 * `--val-split`: the last rows of the data, before any shuffling, held out for validation (Keras
 * `validation_split`). Keras computes the training part as `floor(rows x (1 - fraction))`, which floating-point
 * rounding can push below the exact value: 0.9999 of 10,000 rows gives `floor(0.99999999999989) = 0` training
 * rows instead of 1. Here the held-out count is `ceil(rows x fraction)`, where a product within rounding of an
 * integer counts as that integer, so a decimal fraction splits exactly as written; otherwise it agrees with Keras.
 */
import { type Dataset, sliceRows } from '@shardprop/core';

/** Rows held out for validation out of `rows` at `fraction` (in [0, 1)). */
export function heldOutRows(rows: number, fraction: number): number {
  const product = rows * fraction;
  const nearest = Math.round(product);
  return Math.abs(product - nearest) <= 1e-9 * Math.max(1, product) ? nearest : Math.ceil(product);
}

/** The training rows and the held-out validation rows (none at fraction 0); either part may be empty. */
export function validationSplit(data: Dataset, fraction: number): { train: Dataset; validation?: Dataset } {
  if (fraction === 0) return { train: data };
  const splitAt = data.rows - heldOutRows(data.rows, fraction);
  return { train: sliceRows(data, 0, splitAt), validation: sliceRows(data, splitAt, data.rows) };
}
