/**
 * The benchmark workloads. Every runner trains the same network on the same rows from the same initial
 * weights, so the losses printed beside the times can be compared.
 *
 * - Workload A, the seed problem: 39-39-39-1 sigmoid, mean squared error, plain SGD, 10,000 rows x 39
 *   features, one epoch at batch 1, 32 and 256.
 * - Workload B, wide: 784-256-128-10, relu hidden layers, softmax output, categorical cross-entropy, plain
 *   SGD, batch 256, 10,000 rows.
 */
import { type Dataset, type LossName, Mlp, type ModelSpec, mlpSpec, seedProblem, wideProblem } from '@shardprop/core';

export type WorkloadFamily = 'A' | 'B';

export interface Workload {
  /** Stable id used on the command line and in the JSON: `A-b1`, `A-b32`, `A-b256`, `B-b256`. */
  id: string;
  family: WorkloadFamily;
  /** One line for tables. */
  title: string;
  inputSize: number;
  /** Units of every layer after the input, output last. */
  units: number[];
  activation: 'sigmoid' | 'relu';
  outputActivation: 'sigmoid' | 'softmax';
  loss: LossName;
  learningRate: number;
  batchSize: number;
  /** Rows of one epoch (the data set size). */
  rows: number;
  /** Seed of the synthetic data and of the initial weights. */
  seed: number;
}

/** Rows of both data sets (one epoch). */
export const EPOCH_ROWS = 10_000;

/**
 * The learning rate of workload A. 0.25 rather than the CLI's 0.5 because brain.js accepts only learning
 * rates below 1 and its update is twice the Keras step for the same rate (see runners/brain.ts).
 */
export const SEED_LEARNING_RATE = 0.25;
export const WIDE_LEARNING_RATE = 0.05;

function seedWorkload(batchSize: number): Workload {
  return {
    id: `A-b${batchSize}`,
    family: 'A',
    title: `A: seed 39-39-39-1 sigmoid, MSE, SGD, batch ${batchSize}`,
    inputSize: 39,
    units: [39, 39, 39, 1],
    activation: 'sigmoid',
    outputActivation: 'sigmoid',
    loss: 'meanSquaredError',
    learningRate: SEED_LEARNING_RATE,
    batchSize,
    rows: EPOCH_ROWS,
    seed: 1,
  };
}

export const WORKLOADS: readonly Workload[] = [
  seedWorkload(1),
  seedWorkload(32),
  seedWorkload(256),
  {
    id: 'B-b256',
    family: 'B',
    title: 'B: wide 784-256-128-10 relu/softmax, CCE, SGD, batch 256',
    inputSize: 784,
    units: [256, 128, 10],
    activation: 'relu',
    outputActivation: 'softmax',
    loss: 'categoricalCrossentropy',
    learningRate: WIDE_LEARNING_RATE,
    batchSize: 256,
    rows: EPOCH_ROWS,
    seed: 1,
  },
];

/**
 * Selects workloads by a comma-separated list of ids (`A-b32`) or families (`A`, `B`); `all` or an empty list
 * selects every workload.
 * @throws RangeError naming an unknown entry
 */
export function selectWorkloads(list: string | undefined, all: readonly Workload[] = WORKLOADS): Workload[] {
  const wanted = (list ?? 'all')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (wanted.length === 0 || wanted.includes('all')) return [...all];
  for (const name of wanted) {
    if (!all.some((w) => w.id.toLowerCase() === name.toLowerCase() || w.family === name.toUpperCase())) {
      throw new RangeError(`unknown workload "${name}"; choose from ${all.map((w) => w.id).join(', ')}, A, B or all`);
    }
  }
  return all.filter((w) => wanted.some((n) => w.id.toLowerCase() === n.toLowerCase() || w.family === n.toUpperCase()));
}

export function workloadSpec(w: Workload): ModelSpec {
  return mlpSpec(w.inputSize, w.units, w.activation, w.outputActivation);
}

const dataCache = new Map<string, Dataset>();

/** The workload's data (generated once per family, rows and seed, then shared). */
export function workloadData(w: Workload, rows = w.rows): Dataset {
  const key = `${w.family}:${rows}:${w.seed}`;
  let data = dataCache.get(key);
  if (!data) {
    data = w.family === 'A' ? seedProblem({ rows, seed: w.seed }) : wideProblem({ rows, seed: w.seed });
    dataCache.set(key, data);
  }
  return data;
}

/** A fresh copy of the initial weights every runner starts from (Glorot-uniform kernels, zero biases). */
export function initialParams(w: Workload): Float32Array {
  return Mlp.create(workloadSpec(w), { seed: w.seed }).params.slice();
}

/**
 * FLOPs to train on one row (a multiply-add counts 2), counted from the architecture: per dense layer the
 * forward product `x W`, the weight gradient `x^T dZ`, and, for every layer but the first, the input gradient
 * `dZ W^T`, each `2 x in x out`. Activations, losses, biases and the update are not counted (they are O(units),
 * not O(in x out)).
 */
export function trainFlopsPerRow(inputSize: number, units: readonly number[]): number {
  let flops = 0;
  let inSize = inputSize;
  units.forEach((out, index) => {
    flops += (index === 0 ? 2 : 3) * 2 * inSize * out;
    inSize = out;
  });
  return flops;
}

/** FLOPs of one epoch of `w`. */
export function flopsPerEpoch(w: Workload): number {
  return trainFlopsPerRow(w.inputSize, w.units) * w.rows;
}

/** Number of weights and biases. */
export function paramCount(w: Workload): number {
  let count = 0;
  let inSize = w.inputSize;
  for (const out of w.units) {
    count += inSize * out + out;
    inSize = out;
  }
  return count;
}
