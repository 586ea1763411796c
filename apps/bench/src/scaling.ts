/**
 * Thread scaling, measured and projected. For each workload it measures, on this machine:
 * - the phases of one step on one thread, with the trainer's own functions (wasm kernels): shard compute
 *   (forward and backward over the batch's rows, per row) and reduce + update (per parameter);
 * - whole epochs with `fit` and with `fitParallel` on 1 and 2 workers and on `'auto'`, interleaved, median and
 *   range over repetitions;
 * and derives the synchronisation cost per step (what 2 workers take beyond half the work), then projects the
 * speed-up at 4..32 cores with {@link projectStepMs}.
 */
import {
  createKernels,
  type Dataset,
  fit,
  Mlp,
  paramLayout,
  shardCount,
  targetWidth,
  trainFlopsPerRow,
} from '@shardprop/core';
import {
  createWorkspace,
  epochOrder,
  maxShareRows,
  reduceAndUpdate,
  resolveFitOptions,
  shardRangeGradients,
  shardShare,
  shardStart,
  slotTreeScratchLength,
} from '@shardprop/core/internal';
import { fitParallel, replicatesUpdate } from '@shardprop/core/parallel';
import { type Spread, spread } from './stats.js';
import { type Workload, workloadData, workloadSpec } from './workloads.js';

/** Per-step costs of a workload on one thread, in microseconds. */
export interface PhaseCosts {
  /** Shards per full batch: the most threads that can share the compute. */
  shards: number;
  batchSize: number;
  /** Forward + backward over the whole batch (every shard), one thread. */
  computeUs: number;
  /** Reduce of the shard slots + optimizer update over every parameter, one thread. */
  updateUs: number;
  /**
   * Whether the parallel trainer gives every thread its own copy of the update (one barrier per step, each thread
   * doing the whole update: core's `replicatesUpdate`) rather than a range of it (1/T of the update each).
   */
  replicated: boolean;
}

/**
 * Modelled ms per step on `threads` threads: the largest thread's share of the shards (whole shards, so a batch
 * of S shards gains nothing beyond S threads), its share of the update (all of it when the update is
 * replicated), and `syncUs` per step for T > 1, which grows with log2(T) (more threads meeting on the same
 * barrier words and exchanging more gradient slots).
 */
export function projectStepMs(c: PhaseCosts, syncUs: number, threads: number): number {
  let most = 0;
  for (let t = 0; t < threads; t++) {
    const { first, last } = shardShare(c.shards, threads, t);
    most = Math.max(most, shardStart(last, c.batchSize, c.shards) - shardStart(first, c.batchSize, c.shards));
  }
  const compute = (c.computeUs * most) / c.batchSize;
  const sync = threads > 1 ? syncUs * Math.log2(threads) : 0;
  const update = c.replicated ? c.updateUs : c.updateUs / threads;
  return (compute + update + sync) / 1000;
}

/** Median microseconds of `fn` over `reps` runs of `inner` calls each. */
function timeUs(fn: () => void, inner: number, reps: number): number {
  const samples: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    for (let i = 0; i < inner; i++) fn();
    samples.push(((performance.now() - t0) * 1000) / inner);
  }
  return spread(samples).median;
}

/** Times the two phases of a step of `w` on this thread with the wasm kernels (after a warm-up). */
export function measurePhases(w: Workload, data: Dataset): PhaseCosts {
  const spec = workloadSpec(w);
  const layout = paramLayout(spec);
  const kernels = createKernels('wasm');
  const opts = resolveFitOptions({ loss: w.loss, optimizer: { name: 'sgd', learningRate: w.learningRate } });
  const targetCols = targetWidth(opts.loss, layout.outputSize);
  const P = layout.paramCount;
  const shards = shardCount(w.batchSize);
  const alloc = kernels.allocF32;
  const params = alloc(P);
  params.set(Mlp.create(spec, { seed: w.seed }).params);
  const x = alloc(data.x.length);
  x.set(data.x);
  const y = alloc(data.y.length);
  y.set(data.y);
  const ws = createWorkspace(layout, targetCols, maxShareRows(w.batchSize, undefined, 1), alloc);
  const slots = alloc(shards * P);
  const losses = new Float64Array(shards);
  const grad = alloc(P);
  const scratch = alloc(slotTreeScratchLength(shards));
  const state = alloc(Math.max(1, opts.optimizer.stateSlots * P));
  const order = epochOrder(data.rows, 1, 0, true);
  const ctx = { kernels, layout, loss: opts.loss, targetCols };
  let from = 0;
  const compute = () => {
    shardRangeGradients(ctx, params, x, y, order, from, w.batchSize, shards, 0, shards, ws, slots, 0, losses);
    from = (from + w.batchSize) % (data.rows - w.batchSize);
  };
  // The update is timed with a learning rate of 0 in effect: the weights it writes are restored each call.
  const saved = params.slice();
  const update = () => {
    reduceAndUpdate(kernels, opts.optimizer, params, slots, shards, grad, state, w.batchSize, 1, 0, P, scratch);
    params.set(saved);
  };
  const inner = Math.max(1, Math.round(20_000 / w.batchSize));
  timeUs(compute, inner, 3);
  const copyUs = timeUs(() => params.set(saved), inner, 5);
  return {
    shards,
    batchSize: w.batchSize,
    computeUs: timeUs(compute, inner, 7),
    updateUs: Math.max(0, timeUs(update, inner, 7) - copyUs),
    replicated: replicatesUpdate({
      paramCount: P,
      flopsPerRow: trainFlopsPerRow(layout),
      batchSize: w.batchSize,
      maxThreads: 2,
    }),
  };
}

/** A trainer configuration measured side by side. */
export type Trainer = 'fit' | 1 | 2 | 'auto';

export interface MeasuredRow {
  trainer: Trainer;
  msPerEpoch: Spread;
  /** Threads `auto` ended on, per repetition. */
  autoThreads?: number[];
}

/**
 * Median ms per epoch of each trainer on `w`, interleaved (every repetition runs every trainer once, in turn), so
 * that a noisy moment hurts all of them alike. Each run trains `warmup + timed` epochs; the timed ones count.
 */
export async function measureTrainers(
  w: Workload,
  data: Dataset,
  trainers: readonly Trainer[],
  reps: number,
  warmup: number,
  timed: number,
): Promise<MeasuredRow[]> {
  const samples = new Map<Trainer, number[]>(trainers.map((t) => [t, []]));
  const auto: number[] = [];
  for (let r = 0; r < reps; r++) {
    for (const trainer of trainers) {
      const model = Mlp.create(workloadSpec(w), { seed: w.seed });
      const options = {
        loss: w.loss,
        optimizer: { name: 'sgd' as const, learningRate: w.learningRate },
        batchSize: w.batchSize,
        epochs: warmup + timed,
      };
      const result =
        trainer === 'fit'
          ? await fit(model, data, options)
          : await fitParallel(model, data, { ...options, threads: trainer });
      if (trainer === 'auto') auto.push(result.threads ?? 0);
      const ms = result.history.slice(warmup).map((h) => h.msPerEpoch);
      samples.get(trainer)?.push(spread(ms).median);
    }
  }
  return trainers.map((trainer) => ({
    trainer,
    msPerEpoch: spread(samples.get(trainer) ?? []),
    ...(trainer === 'auto' ? { autoThreads: auto } : {}),
  }));
}

/**
 * Untimed epochs before the timed ones: at least `minEpochs`, and enough for `WARMUP_STEPS` steps, up to
 * `WARMUP_MAX_EPOCHS`. A worker's V8 optimises its step functions after some hundreds of steps and the functions it
 * calls once per epoch after some epochs, compiling on the cores the workers train on: on 2 workers the seed network
 * took up to 27 ms for some epochs between 10 and 17 at batch 32 (8-10 ms once warm), and 12-19 ms for some up to
 * the 30th at batch 256 (40 steps per epoch; 6-7 ms for most).
 */
export function warmupEpochs(stepsPerEpoch: number, minEpochs: number): number {
  return Math.max(minEpochs, Math.min(WARMUP_MAX_EPOCHS, Math.ceil(WARMUP_STEPS / Math.max(1, stepsPerEpoch))));
}

/** Steps a run warms up for at least (see {@link warmupEpochs}). */
export const WARMUP_STEPS = 1200;
/** Most untimed epochs {@link warmupEpochs} asks for the steps (the wide network's 16 steps per epoch). */
export const WARMUP_MAX_EPOCHS = 30;

/** The rows of a workload used for the scaling run (the wide network trains on fewer to keep a run short). */
export function scalingData(w: Workload, wideRows: number): Dataset {
  return workloadData(w, w.family === 'B' ? wideRows : w.rows);
}
