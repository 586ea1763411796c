/**
 * AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, "Decoupled Weight Decay Regularization"),
 * applied as Keras 3 `AdamW` does: first `p <- p - lr * weightDecay * p`, then the ordinary Adam step on
 * the decayed `p` with the raw gradient (the decay never enters `m` or `v`). tfjs 4.22 has no AdamW; the
 * Adam step is exactly tfjs's `tf.train.adam` (see `adam.ts`), so with `weightDecay: 0` this is Adam, bit
 * for bit. (Keras 3's own Adam step adds epsilon to the uncorrected `sqrt(v)`; we follow tfjs.)
 *
 * State: two slots, `m` at `state[i]` and `v` at `state[paramCount + i]`, as Adam.
 */
import { AdamOptimizer } from './adam.js';

/** AdamW: Adam whose resolved config carries a non-zero `weightDecay`. Build it through `createOptimizer`. */
export class AdamWOptimizer extends AdamOptimizer {}
