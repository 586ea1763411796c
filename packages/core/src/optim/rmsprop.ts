/**
 * RMSprop, as `tf.train.rmsprop(learningRate, decay = rho, momentum, epsilon, centered)` (tfjs-core 4.22
 * `optimizers/rmsprop_optimizer.js`):
 *
 * ```
 * ms  <- rho * ms + (1 - rho) * g^2
 * mg  <- rho * mg + (1 - rho) * g                       (centered only)
 * mom <- momentum * mom + lr * g / sqrt(ms + epsilon)    (plain: epsilon inside the square root)
 * mom <- momentum * mom + lr * g / sqrt(max(ms - mg^2, 0) + epsilon)   (centered)
 * p   <- p - mom
 * ```
 *
 * Deviation from tfjs, centered variant only: tfjs 4.22 computes `sqrt(ms - (mg^2 + epsilon))`, subtracting
 * epsilon. That is NaN whenever `ms - mg^2 < epsilon`, for instance on the first step of every parameter
 * whose gradient is zero or below about 1e-3 (a dead unit, an unused input). We add epsilon, as TensorFlow's
 * `ApplyCenteredRMSProp` and Keras 3 `RMSprop(centered=True)` do, and clamp the variance estimate
 * `ms - mg^2` (never negative in exact arithmetic) at 0 so that float32 rounding cannot make it NaN either.
 * Where tfjs is finite the two differ by about `epsilon / (ms - mg^2)` relative, far below float32 training
 * noise; the plain variant matches tfjs exactly.
 *
 * State, slot-major: `ms` in slot 0, then `mom` when `momentum > 0`, then `mg` when centered. With momentum 0
 * the update is `p <- p - lr * g / sqrt(...)`, as tfjs (which keeps `mom` but multiplies it by 0), so the
 * slot is not stored: `stateSlots` is 1, 2 or 3.
 */
import type { FloatArray } from '../types.js';
import { checkUpdateArgs } from './check.js';
import type { Optimizer, ResolvedOptimizerConfig } from './optimizer.js';

/** RMSprop. Build it through `createOptimizer`, which validates the config and fills in the defaults. */
export class RmsPropOptimizer implements Optimizer {
  readonly config: ResolvedOptimizerConfig;
  readonly stateSlots: number;
  readonly #lr: number;
  readonly #rho: number;
  readonly #momentum: number;
  readonly #epsilon: number;
  readonly #centered: boolean;

  /** @param config a resolved config (see `resolveOptimizerConfig`) with `name: 'rmsprop'`. */
  constructor(config: ResolvedOptimizerConfig) {
    this.config = config;
    this.#lr = config.learningRate;
    this.#rho = config.rho;
    this.#momentum = config.momentum;
    this.#epsilon = config.epsilon;
    this.#centered = config.centered;
    this.stateSlots = 1 + (config.momentum > 0 ? 1 : 0) + (config.centered ? 1 : 0);
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
    checkUpdateArgs('rmsprop', this.stateSlots, params, grads, state, paramCount, from, to);
    const lr = learningRate;
    const rho = this.#rho;
    const oneMinusRho = 1 - rho;
    const eps = this.#epsilon;
    const mu = this.#momentum;
    // Slot offsets: ms at 0, then mom (if momentum > 0), then mg (if centered).
    const momOffset = paramCount;
    const mgOffset = mu > 0 ? 2 * paramCount : paramCount;
    if (!this.#centered) {
      if (mu > 0) {
        for (let i = from; i < to; i++) {
          const g = grads[i];
          const ms = rho * state[i] + oneMinusRho * (g * g);
          const mom = mu * state[momOffset + i] + (g * lr) / Math.sqrt(ms + eps);
          state[i] = ms;
          state[momOffset + i] = mom;
          params[i] -= mom;
        }
      } else {
        for (let i = from; i < to; i++) {
          const g = grads[i];
          const ms = rho * state[i] + oneMinusRho * (g * g);
          state[i] = ms;
          params[i] -= (g * lr) / Math.sqrt(ms + eps);
        }
      }
    } else if (mu > 0) {
      for (let i = from; i < to; i++) {
        const g = grads[i];
        const ms = rho * state[i] + oneMinusRho * (g * g);
        const mg = rho * state[mgOffset + i] + oneMinusRho * g;
        const variance = ms - mg * mg;
        const mom = mu * state[momOffset + i] + (g * lr) / Math.sqrt(Math.max(variance, 0) + eps);
        state[i] = ms;
        state[mgOffset + i] = mg;
        state[momOffset + i] = mom;
        params[i] -= mom;
      }
    } else {
      for (let i = from; i < to; i++) {
        const g = grads[i];
        const ms = rho * state[i] + oneMinusRho * (g * g);
        const mg = rho * state[mgOffset + i] + oneMinusRho * g;
        const variance = ms - mg * mg;
        state[i] = ms;
        state[mgOffset + i] = mg;
        params[i] -= (g * lr) / Math.sqrt(Math.max(variance, 0) + eps);
      }
    }
  }
}
