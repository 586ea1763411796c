// Builds the tfjs twin of one of our models (Dense layers with our initial weights), optionally with Keras'
// L1L2 kernel regularizer on every Dense kernel: shared by the tests that train the same network in both.
import * as tf from '@tensorflow/tfjs';
import type { ModelSpec } from '../src/model/spec.js';

export function tfjsTwin(spec: ModelSpec, params: Float32Array, penalty?: { l1: number; l2: number }): tf.Sequential {
  const model = tf.sequential();
  const weights: tf.Tensor[] = [];
  let offset = 0;
  let inSize = spec.inputSize;
  spec.layers.forEach((l, i) => {
    model.add(
      tf.layers.dense({
        units: l.units,
        activation: l.activation as 'linear',
        ...(penalty ? { kernelRegularizer: tf.regularizers.l1l2(penalty) } : {}),
        ...(i === 0 ? { inputShape: [spec.inputSize] } : {}),
      }),
    );
    weights.push(tf.tensor2d(params.slice(offset, offset + inSize * l.units), [inSize, l.units]));
    offset += inSize * l.units;
    weights.push(tf.tensor1d(params.slice(offset, offset + l.units)));
    offset += l.units;
    inSize = l.units;
  });
  model.setWeights(weights);
  return model;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
