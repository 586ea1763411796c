/**
 * SGD with momentum, optionally Nesterov, as `tf.train.momentum(learningRate, momentum, useNesterov)`
 * (tfjs-core 4.22 `optimizers/momentum_optimizer.js`):
 *
 * ```
 * accum <- momentum * accum + g
 * p     <- p - lr * accum                      (classic)
 * p     <- p - lr * (g + momentum * accum)     (Nesterov, with the new accum)
 * ```
 *
 * Note this is the TensorFlow form (the learning rate multiplies the accumulator), not Keras 3's
 * `v <- momentum * v - lr * g`; the two agree while the learning rate is constant.
 *
 * State: one slot, the accumulator (`state[i]`).
 */
import type { FloatArray } from '../types.js';
import { checkUpdateArgs } from './check.js';
import type { Optimizer, ResolvedOptimizerConfig } from './optimizer.js';

/** Momentum SGD. Build it through `createOptimizer`, which validates the config and fills in the defaults. */
export class MomentumOptimizer implements Optimizer {
  readonly config: ResolvedOptimizerConfig;
  readonly stateSlots = 1;
  readonly #lr: number;
  readonly #momentum: number;
  readonly #nesterov: boolean;

  /** @param config a resolved config (see `resolveOptimizerConfig`) with `name: 'momentum'`. */
  constructor(config: ResolvedOptimizerConfig) {
    this.config = config;
    this.#lr = config.learningRate;
    this.#momentum = config.momentum;
    this.#nesterov = config.nesterov;
  }

  update(
    params: FloatArray,
    grads: FloatArray,
    state: FloatArray,
    paramCount: number,
    from: number,
    to: number,
    _step: number,
    learningRate: number = this.#lr,
  ): void {
    checkUpdateArgs('momentum', 1, params, grads, state, paramCount, from, to);
    const c = -learningRate;
    const m = this.#momentum;
    if (this.#nesterov) {
      for (let i = from; i < to; i++) {
        const g = grads[i];
        const accum = m * state[i] + g;
        state[i] = accum;
        params[i] = c * (g + accum * m) + params[i];
      }
    } else {
      for (let i = from; i < to; i++) {
        const accum = m * state[i] + grads[i];
        state[i] = accum;
        params[i] = c * accum + params[i];
      }
    }
  }
}
