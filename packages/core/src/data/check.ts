/**
 * Argument checks shared by the data utilities. Internal: the messages name the argument and the bad value so
 * that a caller can see what to change without reading the source.
 */
import { show } from '../show.js';

/** Throws unless `value` is a safe integer `>= min`. */
export function requireInt(name: string, value: unknown, min = 0): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${show(value)}`);
  }
  return value;
}

/** Throws unless `array.length === rows * cols`, naming both factors. */
export function requireLength(
  name: string,
  array: ArrayLike<number>,
  rows: number,
  cols: number,
  rowsName = 'rows',
  colsName = 'features',
): void {
  const expected = rows * cols;
  if (array.length !== expected) {
    throw new RangeError(
      `${name} has ${array.length} values, expected ${rowsName} x ${colsName} = ${rows} x ${cols} = ${expected}`,
    );
  }
}
