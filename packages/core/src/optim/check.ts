/**
 * Argument checks shared by the optimizers' `update`. They cost O(1) per call (never per element) and turn a
 * wrong range or a short state array, which typed arrays would otherwise ignore silently, into an error.
 * @internal
 */
import type { FloatArray } from '../types.js';

/** Throws a RangeError unless `[from, to)` lies in `[0, paramCount)` and every array is long enough. */
export function checkUpdateArgs(
  name: string,
  stateSlots: number,
  params: FloatArray,
  grads: FloatArray,
  state: FloatArray,
  paramCount: number,
  from: number,
  to: number,
): void {
  if (!(Number.isInteger(paramCount) && paramCount >= 0)) {
    throw new RangeError(`${name}.update: paramCount must be a non-negative integer, got ${paramCount}`);
  }
  if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 0 && from <= to && to <= paramCount)) {
    throw new RangeError(
      `${name}.update: the range [${from}, ${to}) must be integers with 0 <= from <= to <= ${paramCount}`,
    );
  }
  if (params.length < to)
    throw new RangeError(`${name}.update: params has ${params.length} values, the range ends at ${to}`);
  if (grads.length < to)
    throw new RangeError(`${name}.update: grads has ${grads.length} values, the range ends at ${to}`);
  if (state.length < stateSlots * paramCount) {
    throw new RangeError(
      `${name}.update: state has ${state.length} values, ${stateSlots} slot${stateSlots === 1 ? '' : 's'} x ${paramCount} parameters need ${stateSlots * paramCount}`,
    );
  }
}

/** Throws a RangeError unless `step` is a 1-based update count. */
export function checkStep(name: string, step: number): void {
  if (!(Number.isSafeInteger(step) && step >= 1)) {
    throw new RangeError(`${name}.update: step is 1-based and must be a positive integer, got ${step}`);
  }
}
