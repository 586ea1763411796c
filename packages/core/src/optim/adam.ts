/**
 * Adam, as `tf.train.adam(learningRate, beta1, beta2, epsilon)` (tfjs-core 4.22 `optimizers/adam_optimizer.js`).
 * At the 1-based step t:
 *
 * ```
 * m <- beta1 * m + (1 - beta1) * g
 * v <- beta2 * v + (1 - beta2) * g^2
 * p <- p - lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + epsilon)
 * ```
 *
 * Epsilon is added after the square root of the bias-corrected second moment (tfjs keeps `beta^t` as
 * accumulated products; we take `Math.pow` once per call, which agrees to float32 rounding).
 *
 * State: two slots, `m` at `state[i]` and `v` at `state[paramCount + i]`.
 */
import type { FloatArray } from '../types.js';
import { checkStep, checkUpdateArgs } from './check.js';
import type { Optimizer, ResolvedOptimizerConfig } from './optimizer.js';

/**
 * One Adam step over `[from, to)`, after an optional decoupled weight decay `p <- p - decay * p` (AdamW;
 * `decay = lr * weightDecay`). With `decay === 0` the decay is skipped entirely, so Adam and AdamW with
 * `weightDecay: 0` run the very same loop and give bitwise-identical results.
 * @internal
 */
export function adamRange(
  params: FloatArray,
  grads: FloatArray,
  state: FloatArray,
  paramCount: number,
  from: number,
  to: number,
  step: number,
  lr: number,
  beta1: number,
  beta2: number,
  epsilon: number,
  decay: number,
): void {
  const oneMinusBeta1 = 1 - beta1;
  const oneMinusBeta2 = 1 - beta2;
  // Bias correction, hoisted: m / (1 - beta1^t) and v / (1 - beta2^t).
  const stepSize = lr / (1 - beta1 ** step);
  const invCorrection2 = 1 / (1 - beta2 ** step);
  const vOffset = paramCount;
  if (decay === 0) {
    for (let i = from; i < to; i++) {
      const g = grads[i];
      const m = beta1 * state[i] + oneMinusBeta1 * g;
      const v = beta2 * state[vOffset + i] + oneMinusBeta2 * (g * g);
      state[i] = m;
      state[vOffset + i] = v;
      params[i] -= (stepSize * m) / (Math.sqrt(v * invCorrection2) + epsilon);
    }
  } else {
    for (let i = from; i < to; i++) {
      const g = grads[i];
      const m = beta1 * state[i] + oneMinusBeta1 * g;
      const v = beta2 * state[vOffset + i] + oneMinusBeta2 * (g * g);
      state[i] = m;
      state[vOffset + i] = v;
      const p = params[i];
      params[i] = p - decay * p - (stepSize * m) / (Math.sqrt(v * invCorrection2) + epsilon);
    }
  }
}

/**
 * Adam, and AdamW through its subclass. Build it through `createOptimizer`, which validates the config and fills
 * in the defaults (`weightDecay` resolves to 0 for plain Adam, so the decoupled decay term vanishes).
 */
export class AdamOptimizer implements Optimizer {
  readonly config: ResolvedOptimizerConfig;
  readonly stateSlots = 2;
  readonly #lr: number;
  readonly #beta1: number;
  readonly #beta2: number;
  readonly #epsilon: number;
  readonly #weightDecay: number;

  /** @param config a resolved config (see `resolveOptimizerConfig`) with `name: 'adam'` or `'adamw'`. */
  constructor(config: ResolvedOptimizerConfig) {
    this.config = config;
    this.#lr = config.learningRate;
    this.#beta1 = config.beta1;
    this.#beta2 = config.beta2;
    this.#epsilon = config.epsilon;
    this.#weightDecay = config.weightDecay;
  }

  update(
    params: FloatArray,
    grads: FloatArray,
    state: FloatArray,
    paramCount: number,
    from: number,
    to: number,
    step: number,
    learningRate: number = this.#lr,
  ): void {
    const name = this.config.name;
    checkUpdateArgs(name, 2, params, grads, state, paramCount, from, to);
    checkStep(name, step);
    adamRange(
      params,
      grads,
      state,
      paramCount,
      from,
      to,
      step,
      learningRate,
      this.#beta1,
      this.#beta2,
      this.#epsilon,
      // Keras AdamW decays by the current learning rate times weightDecay.
      learningRate * this.#weightDecay,
    );
  }
}
