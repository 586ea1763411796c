/**
 * Row gathering: copies rows of a flat row-major matrix, picked by an index order, into a contiguous buffer.
 * It is the one place where data moves; shuffling, splitting and batching otherwise only move indices.
 */

/**
 * Copies rows `indices[start] .. indices[end - 1]` of `src` (row-major, `cols` values a row) into `out`,
 * starting at row `outRow` of `out`. Allocates nothing, so it can run once per batch.
 *
 * @param src source matrix, `srcRows x cols` values
 * @param cols values per row
 * @param indices row order to read from; every index read must be in `[0, src.length / cols)`
 * @param start first position of `indices` to copy (inclusive)
 * @param end last position of `indices` to copy (exclusive)
 * @param out destination; needs room for `outRow + end - start` rows
 * @param outRow row of `out` to start writing at (default 0)
 * @returns `out`
 * @throws RangeError when the range, an index or the destination size is out of bounds
 */
export function gatherRows<T extends Float32Array | Float64Array>(
  src: ArrayLike<number>,
  cols: number,
  indices: ArrayLike<number>,
  start: number,
  end: number,
  out: T,
  outRow = 0,
): T {
  checkGather(cols, indices, start, end, out, outRow);
  const srcRows = sourceRows(src, cols);
  let o = outRow * cols;
  for (let k = start; k < end; k++) {
    const r = indices[k];
    if (!(Number.isInteger(r) && r >= 0 && r < srcRows)) throw badRowIndex(indices, k, srcRows);
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[o + c] = src[base + c];
    o += cols;
  }
  return out;
}

/** The rows of `src` at `cols` values a row (every index is below it). */
export function sourceRows(src: ArrayLike<number>, cols: number): number {
  return cols === 0 ? Number.POSITIVE_INFINITY : Math.floor(src.length / cols);
}

/**
 * Checks a gather's range and destination, as {@link gatherRows} does (and the WebAssembly kernel's wrapper).
 * @throws RangeError when `[start, end)` is not within `indices` or `out` has too few values
 */
export function checkGather(
  cols: number,
  indices: ArrayLike<number>,
  start: number,
  end: number,
  out: ArrayLike<number>,
  outRow: number,
): void {
  if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= indices.length)) {
    throw new RangeError(`gather range [${start}, ${end}) must lie within [0, ${indices.length}]`);
  }
  if (!(Number.isInteger(outRow) && outRow >= 0 && (outRow + end - start) * cols <= out.length)) {
    throw new RangeError(
      `out has ${out.length} values, too few for ${end - start} rows of ${cols} starting at row ${outRow}`,
    );
  }
}

/** The error for `indices[k]`, which is not a row of a source with `srcRows` rows. */
export function badRowIndex(indices: ArrayLike<number>, k: number, srcRows: number): RangeError {
  return new RangeError(`indices[${k}] = ${indices[k]} is not a row index in [0, ${srcRows})`);
}
