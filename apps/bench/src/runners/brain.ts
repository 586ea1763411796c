/**
 * brain.js 1.6.1 `NeuralNetwork` on the CPU. How the benchmark's options map onto it:
 *
 * - Architecture: `new NeuralNetwork({ hiddenLayers: [39, 39, 39], activation: 'sigmoid' })`: sigmoid on every
 *   layer, output included, which is the seed network. It has no softmax and no cross-entropy, so workload B is
 *   out of its reach.
 * - Batch: brain.js trains per sample (`trainPattern` after each row) and has no mini-batch option, so it runs
 *   workload A at batch 1 only.
 * - Epoch: `train(data, { iterations: 1 })` is one pass over the rows in order; with `errorCheckInterval` 1 that
 *   pass also sums each row's squared error before its update, the same running loss Keras reports.
 * - Learning rate: brain.js steps by `learningRate * (target - output) * f'(z) * input`, the gradient of
 *   `(target - output)^2 / 2`; Keras' mean squared error `(output - target)^2` has twice that gradient, so
 *   brain.js gets `learningRate = 2 x` the workload's rate (0.5 for 0.25; brain.js rejects rates >= 1).
 * - Momentum: brain.js always adds `momentum x previous change` and rejects `momentum: 0` ("out of normal
 *   training range"), so we pass `Number.MIN_VALUE` (5e-324), which adds nothing: plain SGD.
 * - Weights: the shardprop initial weights are written into `net.weights[layer][node][input]` (brain.js stores
 *   incoming weights per node, the transpose of the Keras kernel) and `net.biases[layer][node]`, after
 *   `net.initialize()`; both are Float32Arrays, the arithmetic is float64.
 * - Data: `{ input: number[], output: number[] }` objects, built once outside the timing. Typed arrays are not
 *   accepted as inputs (brain.js would treat them as lookup hashes).
 */

import { paramLayout } from '@shardprop/core';
import brain from 'brain.js';
import { type Workload, workloadSpec } from '../workloads.js';
import { type EpochSample, quickRows, type Runner, type RunPlan, type RunRequest } from './types.js';

/** The parts of a brain.js NeuralNetwork its typings leave out. */
interface BrainInternals {
  sizes: number[] | null;
  weights: Float32Array[][];
  biases: Float32Array[];
  initialize(): void;
  train(
    data: { input: number[]; output: number[] }[],
    options: Record<string, unknown>,
  ): { error: number; iterations: number };
}

/** The brain.js options equivalent to plain SGD at the workload's (Keras) learning rate. */
export function brainTrainOptions(w: Workload): Record<string, unknown> {
  return {
    iterations: 1,
    learningRate: 2 * w.learningRate,
    momentum: Number.MIN_VALUE,
    errorThresh: 1e-12,
    log: false,
  };
}

/** A brain.js network with shardprop's flat parameters loaded. */
export function brainNetwork(w: Workload, params: Float32Array): BrainInternals {
  const net = new brain.NeuralNetwork({ hiddenLayers: w.units.slice(0, -1), activation: 'sigmoid' });
  const internals = net as unknown as BrainInternals;
  internals.sizes = [w.inputSize, ...w.units];
  internals.initialize();
  const layout = paramLayout(workloadSpec(w));
  layout.layers.forEach((l, i) => {
    const weights = internals.weights[i + 1];
    const biases = internals.biases[i + 1];
    for (let node = 0; node < l.outSize; node++) {
      const row = weights[node];
      for (let k = 0; k < l.inSize; k++) row[k] = params[l.kernelOffset + k * l.outSize + node];
      biases[node] = params[l.biasOffset + node];
    }
  });
  return internals;
}

const sets = new WeakMap<object, Map<number, { input: number[]; output: number[] }[]>>();

function trainingSet(req: RunRequest): { input: number[]; output: number[] }[] {
  const { data, rows } = req;
  let byRows = sets.get(data);
  if (!byRows) sets.set(data, (byRows = new Map()));
  let set = byRows.get(rows);
  if (!set) {
    set = [];
    for (let r = 0; r < rows; r++) {
      set.push({
        input: Array.from(data.x.subarray(r * data.features, (r + 1) * data.features)),
        output: Array.from(data.y.subarray(r * data.outputs, (r + 1) * data.outputs)),
      });
    }
    byRows.set(rows, set);
  }
  return set;
}

export function brainRunner(): Runner {
  return {
    id: 'brain',
    label: 'brain.js',
    family: 'brain',
    threads: 1,
    unsupported(w: Workload): string | null {
      if (w.activation !== 'sigmoid' || w.outputActivation !== 'sigmoid' || w.loss !== 'meanSquaredError') {
        return 'brain.js NeuralNetwork has no softmax output and no cross-entropy loss';
      }
      if (w.batchSize !== 1) return 'brain.js NeuralNetwork trains per sample only (no mini-batch option)';
      return null;
    },
    plan: (w: Workload, quick: boolean): RunPlan => ({ rows: quickRows(w, w.rows, quick), epochs: 2 }),
    describe: () => ({
      version: '1.6.1',
      api: 'NeuralNetwork.train(data, { iterations: 1 }) per epoch, per sample',
      learningRate: '2 x the Keras rate (brain.js steps on (t - o), the gradient of (t - o)^2 / 2)',
      momentum: 'Number.MIN_VALUE (0 is rejected by its option validation)',
    }),
    async run(req: RunRequest): Promise<EpochSample[]> {
      const net = brainNetwork(req.workload, req.params);
      const set = trainingSet(req);
      const options = brainTrainOptions(req.workload);
      const samples: EpochSample[] = [];
      for (let e = 0; e < req.epochs; e++) {
        const started = performance.now();
        const status = net.train(set, options);
        samples.push({ ms: performance.now() - started, loss: status.error });
      }
      return samples;
    },
  };
}
