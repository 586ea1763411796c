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
  /** Two ping-pong gradient buffers, `capacity x maxWidth` each. */
  readonly deltaA: T;
  readonly deltaB: T;
}

type FloatArrayCtor<T extends FloatArray> = { new (length: number): T };

/** Allocates a workspace of `capacity` rows for `layout`, with arrays of type `ctor`. */
export function createWorkspace<T extends FloatArray>(
  layout: ParamLayout,
  targetCols: number,
  capacity: number,
  ctor: FloatArrayCtor<T>,
): Workspace<T> {
  if (!Number.isInteger(capacity) || capacity <= 0) {
    throw new RangeError(`workspace capacity must be a positive integer, got ${capacity}`);
  }
  return {
    capacity,
    input: new ctor(capacity * layout.inputSize),
    target: new ctor(capacity * targetCols),
    acts: layout.layers.map((l) => new ctor(capacity * l.outSize)),
    deltaA: new ctor(capacity * layout.maxWidth),
    deltaB: new ctor(capacity * layout.maxWidth),
  };
}
