// Test fixtures shared by the core's test files.
import type { Dataset } from '../src/data/dataset.js';
import type { LossName } from '../src/losses/loss.js';
import type { ActivationName } from '../src/model/activation-names.js';
import type { Mlp } from '../src/model/mlp.js';
import type { ModelSpec } from '../src/model/spec.js';
import type { TuneOptions } from '../src/parallel/tune.js';
import { Rng } from '../src/random.js';

/** Random inputs in [-1, 1) and targets that suit `loss` (probabilities, one-hot rows, labels or reals). */
export function randomData(rows: number, features: number, outputs: number, loss: LossName, seed = 7): Dataset {
  const rng = new Rng(seed);
  const x = new Float32Array(rows * features).map(() => rng.uniform(-1, 1));
  let y: Float32Array;
  let cols = outputs;
  switch (loss) {
    case 'meanSquaredError':
      y = new Float32Array(rows * outputs).map(() => rng.uniform(0.05, 0.95));
      break;
    case 'binaryCrossentropy':
      y = new Float32Array(rows * outputs).map(() => (rng.next() < 0.5 ? 0 : 1));
      break;
    case 'categoricalCrossentropy':
      y = new Float32Array(rows * outputs);
      for (let r = 0; r < rows; r++) y[r * outputs + rng.int(outputs)] = 1;
      break;
    case 'sparseCategoricalCrossentropy':
      cols = 1;
      y = new Float32Array(rows).map(() => rng.int(outputs));
      break;
  }
  return { x, y, rows, features, outputs: cols };
}

/** Hidden activations every gradient check covers. */
export const GRADCHECK_HIDDEN: ActivationName[] = ['sigmoid', 'tanh', 'relu', 'leakyRelu', 'elu', 'linear'];
/** Output activation, loss and output units: the pairs that make sense, fused and unfused. */
export const GRADCHECK_HEADS: Array<[ActivationName, LossName, number]> = [
  ['linear', 'meanSquaredError', 2],
  ['sigmoid', 'meanSquaredError', 1],
  ['tanh', 'meanSquaredError', 2],
  ['softmax', 'meanSquaredError', 3],
  ['sigmoid', 'binaryCrossentropy', 2],
  ['softmax', 'categoricalCrossentropy', 4],
  ['softmax', 'sparseCategoricalCrossentropy', 4],
  ['elu', 'meanSquaredError', 1],
  // Outputs whose loss is not fused with the activation: dL/da, then the activation's own backward pass.
  ['softmax', 'binaryCrossentropy', 3],
  ['sigmoid', 'categoricalCrossentropy', 3],
  ['sigmoid', 'sparseCategoricalCrossentropy', 3],
];

/**
 * Zero biases put a relu unit whose inputs are all zero exactly on its kink, where a finite difference is
 * one-sided; small random biases keep every pre-activation away from it.
 */
export function offsetBiases(model: Mlp): void {
  const rng = new Rng(17);
  for (const l of model.layout.layers) {
    for (let j = 0; j < l.outSize; j++) model.params[l.biasOffset + j] = rng.uniform(-0.1, 0.1);
  }
}

/** The float64 forward pass: `act(x W + b)` per layer; leakyRelu alpha 0.2, elu alpha 1. */
export function referenceForward(
  spec: ModelSpec,
  params: ArrayLike<number>,
  x: ArrayLike<number>,
  rows: number,
): number[] {
  let a = Array.from(x);
  let inSize = spec.inputSize;
  let off = 0;
  for (const layer of spec.layers) {
    const n = layer.units;
    const bias = off + inSize * n;
    const z = new Array<number>(rows * n);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < n; j++) {
        let s = params[bias + j];
        for (let i = 0; i < inSize; i++) s += a[r * inSize + i] * params[off + i * n + j];
        z[r * n + j] = s;
      }
      const row = z.slice(r * n, r * n + n);
      const out = activate(layer.activation, row);
      for (let j = 0; j < n; j++) z[r * n + j] = out[j];
    }
    a = z;
    off = bias + n;
    inSize = n;
  }
  return a;
}

function activate(act: ActivationName, z: number[]): number[] {
  switch (act) {
    case 'linear':
      return z;
    case 'sigmoid':
      return z.map((v) => 1 / (1 + Math.exp(-v)));
    case 'tanh':
      return z.map(Math.tanh);
    case 'relu':
      return z.map((v) => Math.max(v, 0));
    case 'leakyRelu':
      return z.map((v) => (v < 0 ? 0.2 * v : v));
    case 'elu':
      return z.map((v) => (v < 0 ? Math.expm1(v) : v));
    case 'softmax': {
      const max = Math.max(...z);
      const e = z.map((v) => Math.exp(v - max));
      const s = e.reduce((p, q) => p + q, 0);
      return e.map((v) => v / s);
    }
  }
}

/** A small search for tune's tests: 2 x 2 candidates (hidden 4, or 6 and 6; lr 0.1 or 0.5), 3 folds, 3 epochs. */
export const SMALL_SEARCH: TuneOptions = {
  loss: 'mse',
  layers: [8, 1],
  optimizer: { name: 'sgd', learningRate: 0.1 },
  epochs: 3,
  batchSize: 16,
  space: {
    layers: [
      [4, 1],
      [6, 6, 1],
    ],
    learningRate: [0.1, 0.5],
  },
  folds: 3,
  seed: 7,
};
