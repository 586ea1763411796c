/**
 * Per-thread scratch memory for forward and backward passes over up to `capacity` rows. Allocated once per
 * (model, shard size); the training step itself allocates nothing.
 */
import type { ParamLayout } from '../model/layout.js';
import type { FloatArray } from '../types.js';

export interface Workspace<T extends FloatArray = FloatArray> {
  /** Maximum number of rows a pass may cover. */
  readonly capacity: number;
  /** Gathered input rows, `capacity x inputSize`. */
  readonly input: T;
  /** Gathered target rows, `capacity x targetCols`. */
  readonly target: T;
  /** Post-activation outputs of each layer, `capacity x outSize`. */
  readonly acts: T[];
  /**
   * Per layer with dropout: the dropout multipliers (0 or `1 / (1 - rate)`) and the outputs after dropout, the
   * next layer's input in training, `capacity x outSize` each. Empty for layers without dropout.
   */
  readonly mask: T[];
  readonly dropped: T[];
  /** Two ping-pong gradient buffers, `capacity x maxWidth` each. */
  readonly deltaA: T;
  readonly deltaB: T;
}

/**
 * Allocates a workspace of `capacity` rows for `layout`. `alloc` makes each zeroed array: `Kernels.allocF32`
 * so a WebAssembly backend can address them, or e.g. `(n) => new Float64Array(n)` for gradient checks.
 */
export function createWorkspace<T extends FloatArray>(
  layout: ParamLayout,
  targetCols: number,
  capacity: number,
  alloc: (length: number) => T,
): Workspace<T> {
  if (!Number.isInteger(capacity) || capacity <= 0) {
    throw new RangeError(`workspace capacity must be a positive integer, got ${capacity}`);
  }
  return {
    capacity,
    input: alloc(capacity * layout.inputSize),
    target: alloc(capacity * targetCols),
    acts: layout.layers.map((l) => alloc(capacity * l.outSize)),
    mask: layout.layers.map((l) => alloc(l.dropout > 0 ? capacity * l.outSize : 0)),
    dropped: layout.layers.map((l) => alloc(l.dropout > 0 ? capacity * l.outSize : 0)),
    deltaA: alloc(capacity * layout.maxWidth),
    deltaB: alloc(capacity * layout.maxWidth),
  };
}
