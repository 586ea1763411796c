/**
 * The seed question's way: an array of layers, each an array of neuron objects with a weights array and a bias,
 * trained one sample at a time (forward, deltas, update). Plain JavaScript numbers (float64), no typed arrays,
 * no batching. Sigmoid everywhere and mean squared error, the seed network's configuration; batch 1 only.
 *
 * The step is the Keras one (so the loss matches the other runners): for the single output the loss is
 * `(o - t)^2` and its gradient `2 (o - t)`; weights move by `-learningRate x gradient`.
 */
import { paramLayout } from '@shardprop/core';
import { type Workload, workloadSpec } from '../workloads.js';
import { type EpochSample, quickRows, type Runner, type RunPlan, type RunRequest } from './types.js';

export interface Neuron {
  weights: number[];
  bias: number;
  output: number;
  delta: number;
}

export type Network = Neuron[][];

/** Builds the neuron objects from shardprop's flat parameters (kernel `[in x out]`, then bias, per layer). */
export function naiveNetwork(w: Workload, params: Float32Array): Network {
  const layout = paramLayout(workloadSpec(w));
  return layout.layers.map((l) => {
    const layer: Neuron[] = [];
    for (let j = 0; j < l.outSize; j++) {
      const weights: number[] = [];
      for (let k = 0; k < l.inSize; k++) weights.push(params[l.kernelOffset + k * l.outSize + j]);
      layer.push({ weights, bias: params[l.biasOffset + j], output: 0, delta: 0 });
    }
    return layer;
  });
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

/** One pass over `inputs` in order, a step after every sample; returns the mean loss before each step. */
export function naiveEpoch(net: Network, inputs: number[][], targets: number[][], learningRate: number): number {
  let lossSum = 0;
  for (let s = 0; s < inputs.length; s++) {
    const input = inputs[s];
    const target = targets[s];
    // Forward.
    let activations = input;
    for (const layer of net) {
      const next: number[] = [];
      for (const neuron of layer) {
        let sum = neuron.bias;
        for (let k = 0; k < neuron.weights.length; k++) sum += neuron.weights[k] * activations[k];
        neuron.output = sigmoid(sum);
        next.push(neuron.output);
      }
      activations = next;
    }
    // Loss and output deltas: MSE averaged over the outputs.
    const outputLayer = net[net.length - 1];
    let loss = 0;
    for (let j = 0; j < outputLayer.length; j++) {
      const neuron = outputLayer[j];
      const error = neuron.output - target[j];
      loss += error * error;
      neuron.delta = ((2 * error) / outputLayer.length) * neuron.output * (1 - neuron.output);
    }
    lossSum += loss / outputLayer.length;
    // Hidden deltas, back to front.
    for (let l = net.length - 2; l >= 0; l--) {
      const layer = net[l];
      const above = net[l + 1];
      for (let j = 0; j < layer.length; j++) {
        let error = 0;
        for (const neuron of above) error += neuron.weights[j] * neuron.delta;
        const o = layer[j].output;
        layer[j].delta = error * o * (1 - o);
      }
    }
    // Update.
    for (let l = 0; l < net.length; l++) {
      const inputsOf = l === 0 ? input : net[l - 1].map((n) => n.output);
      for (const neuron of net[l]) {
        for (let k = 0; k < neuron.weights.length; k++) neuron.weights[k] -= learningRate * neuron.delta * inputsOf[k];
        neuron.bias -= learningRate * neuron.delta;
      }
    }
  }
  return lossSum / inputs.length;
}

/** Reads the network back into shardprop's flat layout. */
export function naiveParams(w: Workload, net: Network): Float32Array {
  const layout = paramLayout(workloadSpec(w));
  const params = new Float32Array(layout.paramCount);
  layout.layers.forEach((l, i) => {
    net[i].forEach((neuron, j) => {
      for (let k = 0; k < l.inSize; k++) params[l.kernelOffset + k * l.outSize + j] = neuron.weights[k];
      params[l.biasOffset + j] = neuron.bias;
    });
  });
  return params;
}

const rowsCache = new WeakMap<object, { inputs: number[][]; targets: number[][] }>();

function asArrays(req: RunRequest): { inputs: number[][]; targets: number[][] } {
  const { data } = req;
  let all = rowsCache.get(data);
  if (!all) {
    all = { inputs: [], targets: [] };
    for (let r = 0; r < data.rows; r++) {
      all.inputs.push(Array.from(data.x.subarray(r * data.features, (r + 1) * data.features)));
      all.targets.push(Array.from(data.y.subarray(r * data.outputs, (r + 1) * data.outputs)));
    }
    rowsCache.set(data, all);
  }
  return { inputs: all.inputs.slice(0, req.rows), targets: all.targets.slice(0, req.rows) };
}

export function naiveRunner(): Runner {
  return {
    id: 'naive',
    label: 'naive JS (object per neuron)',
    family: 'naive',
    threads: 1,
    unsupported(w: Workload): string | null {
      if (w.activation !== 'sigmoid' || w.outputActivation !== 'sigmoid' || w.loss !== 'meanSquaredError') {
        return 'the seed author’s loop is sigmoid + MSE only';
      }
      if (w.batchSize !== 1) return 'per-sample only, as the seed author wrote it';
      return null;
    },
    plan: (w: Workload, quick: boolean): RunPlan => ({ rows: quickRows(w, w.rows, quick), epochs: 2 }),
    describe: () => ({ api: 'arrays of { weights: number[], bias } neurons, per-sample SGD, float64' }),
    async run(req: RunRequest): Promise<EpochSample[]> {
      const net = naiveNetwork(req.workload, req.params);
      const { inputs, targets } = asArrays(req);
      const samples: EpochSample[] = [];
      for (let e = 0; e < req.epochs; e++) {
        const started = performance.now();
        const loss = naiveEpoch(net, inputs, targets, req.workload.learningRate);
        samples.push({ ms: performance.now() - started, loss });
      }
      return samples;
    },
  };
}
