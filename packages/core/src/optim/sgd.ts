/**
 * Plain stochastic gradient descent, as `tf.train.sgd(learningRate)` (tfjs-core 4.22
 * `optimizers/sgd_optimizer.js`): `p <- p + (-lr) * g`. No state.
 */
import type { FloatArray } from '../types.js';
import { checkUpdateArgs } from './check.js';
import type { Optimizer, ResolvedOptimizerConfig } from './optimizer.js';

/** SGD. Build it through `createOptimizer`, which validates the config and fills in the defaults. */
export class SgdOptimizer implements Optimizer {
  readonly config: ResolvedOptimizerConfig;
  readonly stateSlots = 0;
  readonly #lr: number;

  /** @param config a resolved config (see `resolveOptimizerConfig`) with `name: 'sgd'`. */
  constructor(config: ResolvedOptimizerConfig) {
    this.config = config;
    this.#lr = config.learningRate;
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
    checkUpdateArgs('sgd', 0, params, grads, state, paramCount, from, to);
    const c = -learningRate; // tfjs multiplies by the scalar -lr and adds
    for (let i = from; i < to; i++) params[i] = c * grads[i] + params[i];
  }
}
