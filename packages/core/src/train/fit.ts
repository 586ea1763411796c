/**
 * Single-thread training: `fit` runs the shared epoch loop with an engine that executes every shard of a step
 * and then the whole update, in this thread. The parallel trainer runs the same step functions on workers.
 */
import { slotTreeScratchLength } from '@shardprop/worker-pool/browser';
import type { Dataset } from '../data/dataset.js';
import { checkFiniteData } from '../data/finite.js';
import { checkSparseLabels } from '../data/labels.js';
import { checkSampleWeight, rowWeights } from '../data/row-weights.js';
import { trainValidationSplit } from '../data/split.js';
import type { KernelBackend, Kernels } from '../kernels/kernels.js';
import { withKernels } from '../kernels/lease.js';
import type { WasmKernels } from '../kernels/wasm/backend.js';
import { targetWidth } from '../losses/loss.js';
import type { Mlp } from '../model/mlp.js';
import { normBlockCount } from './clipping.js';
import {
  checkStepBuffers,
  runSteps,
  type StepBuffers,
  type StepSync,
  singleThreadShare,
  type ThreadShare,
} from './epoch-steps.js';
import { type EpochEngine, type EpochResult, type FitResult, nonFiniteLoss, trainLoop } from './loop.js';
import { evaluateWeights, type Metrics } from './metrics.js';
import { checkOptionKeys, type FitOptions, type ResolvedFitOptions, resolveFitOptions } from './options.js';
import { maxShareRows, shardCount, type UpdateRules } from './step.js';
import { createWorkspace } from './workspace.js';

/**
 * Checks that `data` fits `model` under `loss` and holds only finite numbers, with messages that say what to
 * change (a non-finite value is named by row and column).
 */
export function checkData(model: Mlp, data: Dataset, opts: ResolvedFitOptions, what = 'training data'): void {
  const expected = targetWidth(opts.loss, model.outputSize);
  if (data.features !== model.inputSize) {
    throw new RangeError(`${what} has ${data.features} features, the model's input size is ${model.inputSize}`);
  }
  if (data.outputs !== expected) {
    throw new RangeError(
      `${what} has ${data.outputs} target columns, ${opts.loss} on ${model.outputSize} outputs needs ${expected}`,
    );
  }
  checkFiniteData(data, what);
  if (opts.loss === 'sparseCategoricalCrossentropy') checkSparseLabels(data, model.outputSize, what);
}

/** The rows a trainer trains on, with their loss weights when the run is weighted. */
export interface TrainingSet extends Dataset {
  /** One weight per row (class and sample weights combined); absent when unweighted. */
  readonly weights?: Float32Array;
}

/**
 * Splits off validation data as the options ask, checks shapes and computes the training rows' weights; shared by
 * every trainer.
 */
export function prepareData(
  model: Mlp,
  data: Dataset,
  opts: ResolvedFitOptions,
): { train: TrainingSet; validation?: Dataset } {
  checkData(model, data, opts);
  if (opts.sampleWeight !== undefined) checkSampleWeight(opts.sampleWeight, data.rows);
  let train = data;
  let validation = opts.validationData;
  if (!validation && opts.validationSplit > 0) {
    const split = trainValidationSplit(data, opts.validationSplit);
    train = split.train;
    validation = split.validation;
  }
  if (validation) checkData(model, validation, opts, 'validation data');
  if (train.rows === 0) throw new RangeError('training data has no rows');
  const weights = rowWeights(train, opts.loss, opts.classWeight, opts.sampleWeight);
  return { train: weights ? { ...train, weights } : train, validation };
}

/** Initial optimizer state: the snapshot to resume from, or zeros. */
export function initialOptimizerState(model: Mlp, opts: ResolvedFitOptions): { step: number; state: Float32Array } {
  const length = opts.optimizer.stateSlots * model.paramCount;
  const snap = opts.optimizerState;
  if (!snap) return { step: 0, state: new Float32Array(length) };
  if (snap.state.length !== length) {
    throw new RangeError(
      `optimizer state has ${snap.state.length} values, ${opts.optimizer.config.name} on ${model.paramCount} parameters needs ${length}`,
    );
  }
  return { step: snap.step, state: snap.state.slice() };
}

/** The update rules of a run, at the optimizer's own learning rate until the loop sets the epoch's. */
export function updateRules(opts: ResolvedFitOptions): UpdateRules {
  return {
    learningRate: opts.optimizer.config.learningRate,
    l1: opts.l1,
    l2: opts.l2,
    clipNorm: opts.clipNorm,
    clipValue: opts.clipValue,
  };
}

class SingleThreadEngine implements EpochEngine {
  private readonly buffers: StepBuffers;
  private readonly share: ThreadShare;
  /** The model's parameters, or a copy inside the WebAssembly memory where the kernels can reach it. */
  private readonly params: Float32Array;
  private readonly state: Float32Array;
  /** Where the wasm kernels read each epoch's order (in their memory; null for the js kernels). */
  private readonly order: Int32Array | null;
  private step: number;
  readonly backend: KernelBackend;
  /** Every log and result says so, as the parallel trainer's do. */
  readonly threads = 1;
  readonly threadTrials = [];

  constructor(
    private readonly model: Mlp,
    private readonly data: TrainingSet,
    private readonly opts: ResolvedFitOptions,
    private readonly kernels: Kernels,
  ) {
    this.backend = kernels.backend;
    const layout = model.layout;
    const targetCols = targetWidth(opts.loss, model.outputSize);
    const batch = Math.min(opts.batchSize, data.rows);
    const alloc = kernels.allocF32;
    this.params = kernels.backend === 'js' ? model.params : alloc(layout.paramCount);
    const init = initialOptimizerState(model, opts);
    // Inside the kernels' memory: the wasm kernels update the state in place.
    this.state = kernels.backend === 'js' ? init.state : alloc(init.state.length);
    if (this.state !== init.state) this.state.set(init.state);
    this.step = init.step;
    const buffers: StepBuffers = {
      ctx: { kernels, layout, loss: opts.loss, targetCols, seed: opts.seed },
      optimizer: opts.optimizer,
      batchSize: opts.batchSize,
      shards: opts.shards,
      x: data.x,
      y: data.y,
      w: data.weights,
      params: this.params,
      slotSets: [
        {
          grad: alloc(shardCount(batch, opts.shards) * layout.paramCount),
          loss: new Float64Array(shardCount(batch, opts.shards)),
        },
      ],
      grad: alloc(layout.paramCount),
      slotScratch: alloc(slotTreeScratchLength(shardCount(batch, opts.shards))),
      optState: this.state,
      rules: updateRules(opts),
      normParts: new Float64Array(normBlockCount(layout.paramCount)),
      ws: createWorkspace(layout, targetCols, maxShareRows(batch, opts.shards, 1), alloc),
    };
    // The wasm kernels gather each batch's rows in their own memory (about 8x the TypeScript loop): the training
    // rows go there once, as the parallel trainer copies them into its arena, and each epoch's order before its
    // steps. Allocated after the step's own buffers, so that rows too large for the memory only stay where they are.
    const rows = kernels.wasm ? rowsInKernelsMemory(kernels.wasm, data, targetCols) : null;
    this.order = rows?.order ?? null;
    this.buffers = checkStepBuffers(rows ? { ...buffers, x: rows.x, y: rows.y } : buffers);
    this.share = singleThreadShare(layout.paramCount);
  }

  async runEpoch(
    order: Int32Array,
    epoch: number,
    learningRate: number,
    report: (step: number, lossSum: number, rowsDone: number) => void,
  ): Promise<EpochResult> {
    const { params, opts } = this;
    this.buffers.rules.learningRate = learningRate;
    // Like the parallel trainer: an already-aborted run takes no step.
    if (opts.signal?.aborted) return { lossSum: 0, rowsDone: 0, aborted: true };
    if (params !== this.model.params) params.set(this.model.params);
    const sync: StepSync = {
      shardsDone: () => {},
      gradientDone: () => {},
      stepDone: (step, lossSum, rowsDone) => {
        report(step, lossSum, rowsDone);
        return opts.signal?.aborted === true;
      },
    };
    const start = { step: 1, lossSum: 0, rowsDone: 0, optimizerStep: this.step };
    if (this.order) this.order.set(order);
    const steps = this.order ?? order;
    const r = runSteps(this.buffers, this.share, sync, steps, order.length, start, Number.POSITIVE_INFINITY, epoch);
    this.step = r.optimizerStep;
    if (params !== this.model.params) this.model.params.set(params);
    // Checked before the update, so the weights never take a step from a non-finite gradient.
    if (r.nonFinite) throw nonFiniteLoss(r.nonFinite.loss, epoch, r.nonFinite.step);
    return { lossSum: r.lossSum, rowsDone: r.rowsDone, aborted: r.stopped };
  }

  optimizerSnapshot() {
    return { step: this.step, state: this.state.slice() };
  }

  async evaluate(params: Float32Array): Promise<Metrics> {
    return evaluateWeights(this.model.layout, params, this.data, this.opts.loss, this.kernels);
  }
}

/**
 * The training rows and an epoch's order inside the kernels' memory (the rows where they lie when they already do),
 * or null when they do not fit in it: the step then gathers them with the TypeScript loop, the same bits.
 */
export function rowsInKernelsMemory(
  wasm: WasmKernels,
  data: TrainingSet,
  targetCols: number,
): { x: Float32Array; y: Float32Array; order: Int32Array } | null {
  const mark = wasm.mark();
  try {
    const inside = (rows: Float32Array) => {
      if (wasm.owns(rows)) return rows;
      const copy = wasm.alloc(Float32Array, rows.length);
      copy.set(rows);
      return copy;
    };
    return {
      x: inside(data.x.subarray(0, data.rows * data.features)),
      y: inside(data.y.subarray(0, data.rows * targetCols)),
      order: wasm.alloc(Int32Array, data.rows),
    };
  } catch (error) {
    // Past the memory's maximum: give back what was taken (nothing else allocates meanwhile: this thread's run).
    if (!(error instanceof RangeError)) throw error;
    wasm.release(mark);
    return null;
  }
}

/**
 * Trains `model` in place on `data` in this thread (Keras `model.fit` semantics: mini-batch gradient is the
 * mean over the batch, last batch may be partial, shuffling per epoch).
 */
export async function fit(model: Mlp, data: Dataset, options: FitOptions): Promise<FitResult> {
  const opts = resolveFitOptions(options);
  checkOptionKeys(options, []);
  const { train, validation } = prepareData(model, data, opts);
  return withKernels(opts.kernels, (kernels) =>
    trainLoop(model, train, validation, opts, new SingleThreadEngine(model, train, opts, kernels)),
  );
}
