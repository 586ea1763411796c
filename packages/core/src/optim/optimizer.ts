/**
 * The optimizer contract. An optimizer updates a contiguous parameter range `[from, to)` in place, so the
 * parallel trainer can give each thread its own range. State is laid out slot-major: slot k of parameter i
 * lives at `state[k * paramCount + i]`, so a range of parameters owns the same range in every slot.
 */
import type { FloatArray } from '../types.js';

/** Options every optimizer takes. */
interface OptimizerOptions {
  /** Learning rate; defaults follow tfjs/Keras per optimizer (sgd, momentum 0.01; the others 0.001). */
  learningRate?: number;
}

/** Plain stochastic gradient descent, `p <- p - lr g`. */
export interface SgdConfig extends OptimizerOptions {
  name: 'sgd';
}

/** SGD with momentum (tf.train.momentum). */
export interface MomentumConfig extends OptimizerOptions {
  name: 'momentum';
  /** Momentum coefficient (default 0.9). */
  momentum?: number;
  /** Nesterov momentum (default false). */
  nesterov?: boolean;
}

/** Adam (tf.train.adam). */
export interface AdamConfig extends OptimizerOptions {
  name: 'adam';
  /** First-moment decay (default 0.9). */
  beta1?: number;
  /** Second-moment decay (default 0.999). */
  beta2?: number;
  /** Added to the denominator (default 1e-7, tfjs's backend epsilon). */
  epsilon?: number;
}

/** AdamW: Adam with decoupled weight decay (Keras 3). */
export interface AdamWConfig extends Omit<AdamConfig, 'name'> {
  name: 'adamw';
  /** Decoupled weight decay (default 0.004, as Keras 3 AdamW). */
  weightDecay?: number;
}

/** RMSprop (tf.train.rmsprop). */
export interface RmsPropConfig extends OptimizerOptions {
  name: 'rmsprop';
  /** Decay of the mean square (default 0.9). */
  rho?: number;
  /** Momentum (default 0). */
  momentum?: number;
  /** Added under the square root (default 1e-7). */
  epsilon?: number;
  /** Centered variant (default false). */
  centered?: boolean;
}

/** An optimizer and its options, discriminated by `name`: editors offer the options of the named optimizer. */
export type OptimizerConfig = SgdConfig | MomentumConfig | AdamConfig | AdamWConfig | RmsPropConfig;

export type OptimizerName = OptimizerConfig['name'];

/**
 * A validated config with every field filled in (a field its optimizer does not use holds its "off" value, see
 * OPTIMIZER_DEFAULTS): the form saved with checkpoints, and accepted again by `createOptimizer`.
 */
export interface ResolvedOptimizerConfig {
  name: OptimizerName;
  learningRate: number;
  momentum: number;
  nesterov: boolean;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  rho: number;
  centered: boolean;
}

export interface Optimizer {
  /** The fully resolved configuration (every default filled in); saved with checkpoints. */
  readonly config: ResolvedOptimizerConfig;
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
