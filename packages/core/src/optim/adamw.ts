/**
 * AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, "Decoupled Weight Decay Regularization"),
 * applied as Keras 3 `AdamW` does: first `p <- p - lr * weightDecay * p`, then the ordinary Adam step on
 * the decayed `p` with the raw gradient (the decay never enters `m` or `v`). tfjs 4.22 has no AdamW; the
 * Adam step is exactly tfjs's `tf.train.adam` (see `adam.ts`), so with `weightDecay: 0` this is Adam, bit
 * for bit. (Keras 3's own Adam step adds epsilon to the uncorrected `sqrt(v)`; we follow tfjs.)
 *
 * State: two slots, `m` at `state[i]` and `v` at `state[paramCount + i]`, as Adam.
 */
import type { FloatArray } from '../types.js';
import { adamRange } from './adam.js';
import { checkStep, checkUpdateArgs } from './check.js';
import type { Optimizer, OptimizerConfig } from './optimizer.js';

/** AdamW. Build it through `createOptimizer`, which validates the config and fills in the defaults. */
export class AdamWOptimizer implements Optimizer {
  readonly config: Required<OptimizerConfig>;
  readonly stateSlots = 2;
  readonly #lr: number;
  readonly #beta1: number;
  readonly #beta2: number;
  readonly #epsilon: number;
  readonly #decay: number;

  /** @param config a resolved config (see `resolveOptimizerConfig`) with `name: 'adamw'`. */
  constructor(config: Required<OptimizerConfig>) {
    this.config = config;
    this.#lr = config.learningRate;
    this.#beta1 = config.beta1;
    this.#beta2 = config.beta2;
    this.#epsilon = config.epsilon;
    this.#decay = config.learningRate * config.weightDecay;
  }

  update(
    params: FloatArray,
    grads: FloatArray,
    state: FloatArray,
    paramCount: number,
    from: number,
    to: number,
    step: number,
  ): void {
    checkUpdateArgs('adamw', 2, params, grads, state, paramCount, from, to);
    checkStep('adamw', step);
    const lr = this.#lr;
    adamRange(
      params,
      grads,
      state,
      paramCount,
      from,
      to,
      step,
      lr,
      this.#beta1,
      this.#beta2,
      this.#epsilon,
      this.#decay,
    );
  }
}
