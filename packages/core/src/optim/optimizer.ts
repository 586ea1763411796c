/**
 * The optimizer contract. An optimizer updates a contiguous parameter range `[from, to)` in place, so the
 * parallel trainer can give each thread its own range. State is laid out slot-major: slot k of parameter i
 * lives at `state[k * paramCount + i]`, so a range of parameters owns the same range in every slot.
 */
import type { FloatArray } from '../types.js';

export type OptimizerName = 'sgd' | 'momentum' | 'adam' | 'adamw' | 'rmsprop';

export interface OptimizerConfig {
  name: OptimizerName;
  /** Learning rate; defaults follow tfjs/Keras per optimizer. */
  learningRate?: number;
  /** momentum: momentum coefficient (default 0.9); rmsprop: momentum (default 0). */
  momentum?: number;
  /** momentum: Nesterov momentum (default false). */
  nesterov?: boolean;
  /** adam/adamw: first-moment decay (default 0.9). */
  beta1?: number;
  /** adam/adamw: second-moment decay (default 0.999). */
  beta2?: number;
  /** adam/adamw/rmsprop: epsilon (default 1e-7, tfjs's backend epsilon). */
  epsilon?: number;
  /** adamw: decoupled weight decay (default 0.004, as Keras 3 AdamW). */
  weightDecay?: number;
  /** rmsprop: decay of the mean square (default 0.9). */
  rho?: number;
  /** rmsprop: centered variant (default false). */
  centered?: boolean;
}

export interface Optimizer {
  /** The fully resolved configuration (every default filled in); saved with checkpoints. */
  readonly config: Required<OptimizerConfig>;
  /** Number of state floats per parameter (0 for sgd, 2 for adam, ...). */
  readonly stateSlots: number;
  /**
   * Applies one update to `params[from..to)` from the mean gradient `grads[from..to)`.
   * @param state `stateSlots * paramCount` floats, zero-initialised before the first step.
   * @param step 1-based index of this update (Adam's bias correction uses it).
   * @param learningRate this update's learning rate (a schedule's value); default `config.learningRate`.
   */
  update(
    params: FloatArray,
    grads: FloatArray,
    state: FloatArray,
    paramCount: number,
    from: number,
    to: number,
    step: number,
    learningRate?: number,
  ): void;
}
