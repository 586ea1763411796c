// TensorFlow.js counterparts shared by the tests that compare against real tfjs (the oracle, optimizer and io tests).
import * as tf from '@tensorflow/tfjs';
import type { ModelSpec } from '../src/model/spec.js';
import type { ResolvedOptimizerConfig } from '../src/optim/optimizer.js';

/** The tfjs optimizer equivalent to a resolved config (adamw: tfjs adam; the caller applies the decay). */
export function tfOptimizer(c: ResolvedOptimizerConfig): tf.Optimizer {
  switch (c.name) {
    case 'sgd':
      return tf.train.sgd(c.learningRate);
    case 'momentum':
      return tf.train.momentum(c.learningRate, c.momentum, c.nesterov);
    case 'adam':
    case 'adamw':
      return tf.train.adam(c.learningRate, c.beta1, c.beta2, c.epsilon);
    case 'rmsprop':
      return tf.train.rmsprop(c.learningRate, c.rho, c.momentum, c.epsilon, c.centered);
  }
}

/** A tfjs model's weights, flattened in layer order: the layout of our `params`. */
export async function tfjsWeights(model: tf.LayersModel): Promise<Float32Array> {
  const parts = await Promise.all(model.getWeights().map((w) => w.data() as Promise<Float32Array>));
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** The equivalent tfjs Sequential with our initial weights. */
export function toTfjs(spec: ModelSpec, params: Float32Array): tf.Sequential {
  const model = tf.sequential();
  const weights: tf.Tensor[] = [];
  let offset = 0;
  let inSize = spec.inputSize;
  spec.layers.forEach((l, i) => {
    const leaky = l.activation === 'leakyRelu';
    model.add(
      tf.layers.dense({
        units: l.units,
        activation: (leaky ? 'linear' : l.activation) as 'linear',
        ...(i === 0 ? { inputShape: [spec.inputSize] } : {}),
      }),
    );
    if (leaky) model.add(tf.layers.leakyReLU({ alpha: 0.2 }));
    weights.push(tf.tensor2d(params.slice(offset, offset + inSize * l.units), [inSize, l.units]));
    offset += inSize * l.units;
    weights.push(tf.tensor1d(params.slice(offset, offset + l.units)));
    offset += l.units;
    inSize = l.units;
  });
  model.setWeights(weights);
  return model;
}
