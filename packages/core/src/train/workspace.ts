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
  return new WorkspaceArrays(
    capacity,
    alloc(capacity * layout.inputSize),
    alloc(capacity * targetCols),
    layout.layers.map((l) => alloc(capacity * l.outSize)),
    layout.layers.map((l) => alloc(l.dropout > 0 ? capacity * l.outSize : 0)),
    layout.layers.map((l) => alloc(l.dropout > 0 ? capacity * l.outSize : 0)),
    alloc(capacity * layout.maxWidth),
    alloc(capacity * layout.maxWidth),
  );
}

/**
 * A workspace made by a constructor, not an object literal: V8 gives a literal's fields that hold objects a looser
 * type on the literal's second creation (its boilerplate), which threw away the step's code optimised during a
 * thread's first run (V8: "code dependencies") when the second workspace was made, e.g. for the fold's scoring.
 * A constructor's fields keep their type.
 */
class WorkspaceArrays<T extends FloatArray> implements Workspace<T> {
  // Declared for the type checker only: the constructor creates the fields.
  declare readonly capacity: number;
  declare readonly input: T;
  declare readonly target: T;
  declare readonly acts: T[];
  declare readonly mask: T[];
  declare readonly dropped: T[];
  declare readonly deltaA: T;
  declare readonly deltaB: T;

  constructor(capacity: number, input: T, target: T, acts: T[], mask: T[], dropped: T[], deltaA: T, deltaB: T) {
    this.capacity = capacity;
    this.input = input;
    this.target = target;
    this.acts = acts;
    this.mask = mask;
    this.dropped = dropped;
    this.deltaA = deltaA;
    this.deltaB = deltaB;
  }
}
