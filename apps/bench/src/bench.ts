/**
 * The benchmark run: for every workload, a warm-up round and then `reps` rounds in which every runner trains
 * once, in an order rotated each round (interleaved, so drift on a shared machine hits every runner alike).
 * Each run starts from the same initial weights on the same rows; its last epoch is the timed one and its first
 * epoch's loss is the one reported.
 */

import { type MachineInfo, type SoftwareInfo, waitForIdle, withOtherLoad } from './machine.js';
import { referenceLoss } from './runners/shardprop.js';
import type { EpochSample, Runner, RunnerFamily, RunPlan } from './runners/types.js';
import { relativeDifference, type Spread, spread } from './stats.js';
import {
  flopsPerEpoch,
  initialParams,
  paramCount,
  trainFlopsPerRow,
  type Workload,
  workloadData,
} from './workloads.js';

export const SCHEMA = 'shardprop-bench/1';

export interface WorkloadInfo {
  id: string;
  family: string;
  title: string;
  layers: number[];
  activation: string;
  outputActivation: string;
  loss: string;
  optimizer: string;
  learningRate: number;
  batchSize: number;
  rows: number;
  params: number;
  flopsPerRow: number;
  flopsPerEpoch: number;
}

export interface RunnerInfo {
  id: string;
  label: string;
  family: RunnerFamily;
  threads: number;
  kernels?: string;
  details: Record<string, unknown>;
}

export interface ResultRow {
  workload: string;
  runner: string;
  label: string;
  family: RunnerFamily;
  threads: number;
  kernels?: string;
  /** Rows each timed epoch trained on; times are scaled to the workload's epoch when fewer. */
  rowsTimed: number;
  scaled: boolean;
  epochsPerRun: number;
  /** 1-based index of the timed epoch within each run. */
  timedEpoch: number;
  /** Timed epoch of every measured repetition, ms, scaled to a full epoch. */
  samplesMs: number[];
  msPerEpoch: Spread;
  /** Epoch-1 times (cold: pool start, tier-up), scaled, for reference. */
  firstEpochMs: Spread;
  rowsPerSec: number;
  gflops: number;
  /** Epoch-1 loss of the last repetition (mean over its rows, each before its step). */
  loss: number;
  /** shardprop's epoch-1 loss on the same rows from the same weights. */
  refLoss: number;
  lossRelDiff: number;
  /**
   * Cores other processes kept busy during the measured runs (median and max over repetitions; runs shorter
   * than 50 ms are not measured), from /proc/stat; absent elsewhere.
   */
  otherLoad?: Spread;
  /** Measured repetitions that were run again because other processes were busy during them. */
  redos?: number;
}

export interface BenchResult {
  schema: string;
  createdAt: string;
  date: string;
  host: string;
  quick: boolean;
  reps: number;
  warmupRounds: number;
  command: string;
  method: string[];
  machine: MachineInfo;
  software?: SoftwareInfo;
  runners: RunnerInfo[];
  workloads: WorkloadInfo[];
  results: ResultRow[];
  skipped: { workload: string; runner: string; reason: string }[];
  failures: { workload?: string; runner: string; error: string }[];
}

export interface BenchOptions {
  workloads: Workload[];
  runners: Runner[];
  reps: number;
  quick: boolean;
  machine: MachineInfo;
  software?: SoftwareInfo;
  command?: string;
  now?: Date;
  log?: (line: string) => void;
  /** Before each round, wait up to this many seconds for other processes to go quiet (default 0: do not wait). */
  waitIdleS?: number;
  /**
   * Run a measured repetition again when other processes kept more than `redoAboveCores` cores busy during it
   * (default 0.5), at most `maxRedos` times per repetition (default 2), after waiting for quiet.
   */
  redoAboveCores?: number;
  maxRedos?: number;
  /** Test hook: replaces the machine-load probes. */
  probes?: { withOtherLoad: typeof withOtherLoad; waitForIdle: typeof waitForIdle };
}

export function workloadInfo(w: Workload): WorkloadInfo {
  return {
    id: w.id,
    family: w.family,
    title: w.title,
    layers: [w.inputSize, ...w.units],
    activation: w.activation,
    outputActivation: w.outputActivation,
    loss: w.loss,
    optimizer: 'sgd',
    learningRate: w.learningRate,
    batchSize: w.batchSize,
    rows: w.rows,
    params: paramCount(w),
    flopsPerRow: trainFlopsPerRow(w.inputSize, w.units),
    flopsPerEpoch: flopsPerEpoch(w),
  };
}

export const METHOD = [
  'Every runner trains the same network on the same rows (no shuffling) from the same initial weights (shardprop Glorot-uniform, seed 1; brain.js, tfjs and the naive loop get them copied in), with plain SGD.',
  'Each repetition is one run: shardprop fit, tfjs, brain.js and the naive loop train 2 epochs and the 2nd is timed; shardprop fitParallel starts a fresh worker pool and trains 4 epochs, the 4th timed (worker threads tier their code up lazily, so the first epochs are slower; the cold first epoch is kept in the JSON).',
  'One warm-up round, then the repetitions; within a round the runners take turns, in an order rotated every round. Reported: median and min-max of the timed epochs.',
  'Where a runner would take long (tfjs at batch 1, tfjs cpu on workload B, shardprop js kernels on B), the timed epoch covers fewer rows (the "rows timed" column) and the time is scaled to the 10,000-row epoch.',
  'Loss: the first epoch\'s mean training loss (each row before its step, as Keras reports it), beside shardprop\'s on the same rows ("ref"), so that equal work is visible.',
  "Other load: the cores other processes kept busy during each run (machine busy time from /proc/stat minus this process's CPU time, over the wall time); a repetition during which others kept more than half a core busy is run again once the machine is quiet (at most twice), and runs that still shared the machine are listed under their table.",
  'FLOPs per epoch from the architecture: 2 per multiply-add, for x W, x^T dZ and (but the first layer) dZ W^T; GFLOP/s = FLOPs per epoch / median time.',
];

function localDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

interface Entry {
  runner: Runner;
  plan: RunPlan;
  refLoss: number;
  times: number[];
  first: number[];
  other: number[];
  redos: number;
  loss: number;
  failed: boolean;
}

/** Runs the benchmark; failures of a runner are recorded, not thrown. */
export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const log = options.log ?? (() => {});
  const redoAbove = options.redoAboveCores ?? 0.5;
  const maxRedos = options.maxRedos ?? 2;
  const probes = options.probes ?? { withOtherLoad, waitForIdle };
  const now = options.now ?? new Date();
  const result: BenchResult = {
    schema: SCHEMA,
    createdAt: now.toISOString(),
    date: localDate(now),
    host: options.machine.host,
    quick: options.quick,
    reps: options.reps,
    warmupRounds: 1,
    command: options.command ?? '',
    method: METHOD,
    machine: options.machine,
    ...(options.software ? { software: options.software } : {}),
    runners: [],
    workloads: options.workloads.map(workloadInfo),
    results: [],
    skipped: [],
    failures: [],
  };

  const ready: Runner[] = [];
  for (const runner of options.runners) {
    try {
      await runner.setup?.();
      ready.push(runner);
    } catch (error) {
      result.failures.push({ runner: runner.id, error: message(error) });
      log(`${runner.id}: set-up failed: ${message(error)}`);
    }
    result.runners.push({
      id: runner.id,
      label: runner.label,
      family: runner.family,
      threads: runner.threads,
      ...(runner.kernels ? { kernels: runner.kernels } : {}),
      details: safeDescribe(runner),
    });
  }

  for (const w of options.workloads) {
    const data = workloadData(w);
    const params = initialParams(w);
    const refs = new Map<number, number>();
    const entries: Entry[] = [];
    for (const runner of ready) {
      const reason = runner.unsupported(w);
      if (reason) {
        result.skipped.push({ workload: w.id, runner: runner.id, reason });
        continue;
      }
      const plan = runner.plan(w, options.quick);
      if (!refs.has(plan.rows)) refs.set(plan.rows, await referenceLoss(w, data, plan.rows, params));
      entries.push({
        runner,
        plan,
        refLoss: refs.get(plan.rows)!,
        times: [],
        first: [],
        other: [],
        redos: 0,
        loss: Number.NaN,
        failed: false,
      });
    }
    log(`\n${w.title}: ${entries.map((e) => e.runner.id).join(', ')}`);
    for (let round = 0; round <= options.reps; round++) {
      if (options.waitIdleS) {
        const idle = await probes.waitForIdle(options.waitIdleS);
        if (idle.waitedS > 1.5) {
          log(
            `  (waited ${idle.waitedS.toFixed(0)} s for other processes to go quiet; load ${idle.load?.toFixed(2)} cores)`,
          );
        }
      }
      const order = entries.map((_, i) => entries[(i + round) % entries.length]);
      for (const entry of order) {
        if (entry.failed) continue;
        const { runner, plan } = entry;
        let samples: EpochSample[] | undefined;
        let otherCores: number | undefined;
        for (let attempt = 0; ; attempt++) {
          try {
            const measured = await probes.withOtherLoad(() =>
              runner.run({ workload: w, data, rows: plan.rows, epochs: plan.epochs, params }),
            );
            samples = measured.value;
            otherCores = measured.otherCores;
            if (samples.length !== plan.epochs) throw new Error(`ran ${samples.length} of ${plan.epochs} epochs`);
            if (!samples.every((s) => Number.isFinite(s.loss) && s.ms > 0)) {
              throw new Error(`non-finite loss or time: ${JSON.stringify(samples)}`);
            }
          } catch (error) {
            entry.failed = true;
            result.failures.push({ workload: w.id, runner: runner.id, error: message(error) });
            log(`  ${runner.id}: failed: ${message(error)}`);
            break;
          }
          // A measured run that shared the machine is run again once the machine is quiet (a bounded number of
          // times; the report flags any that stayed busy).
          if (round === 0 || otherCores === undefined || otherCores <= redoAbove || attempt >= maxRedos) break;
          entry.redos++;
          log(`  ${runner.id}: other processes used ${otherCores.toFixed(2)} cores; running it again when quiet`);
          await probes.waitForIdle(Math.max(options.waitIdleS ?? 0, 10));
        }
        if (entry.failed || !samples) continue;
        const scale = w.rows / plan.rows;
        const timed = samples[samples.length - 1].ms * scale;
        if (round > 0) {
          entry.times.push(timed);
          entry.first.push(samples[0].ms * scale);
          if (otherCores !== undefined) entry.other.push(otherCores);
        }
        entry.loss = samples[0].loss;
        log(
          `  ${round === 0 ? 'warm-up' : `rep ${round}`}  ${runner.id.padEnd(22)} ${timed.toFixed(1).padStart(9)} ms/epoch  loss ${entry.loss.toPrecision(6)}` +
            (otherCores !== undefined ? `  other load ${otherCores.toFixed(2)} cores` : ''),
        );
      }
    }
    const flops = flopsPerEpoch(w);
    for (const e of entries) {
      if (e.times.length === 0) continue;
      const ms = spread(e.times);
      result.results.push({
        workload: w.id,
        runner: e.runner.id,
        label: e.runner.label,
        family: e.runner.family,
        threads: e.runner.threads,
        ...(e.runner.kernels ? { kernels: e.runner.kernels } : {}),
        rowsTimed: e.plan.rows,
        scaled: e.plan.rows !== w.rows,
        epochsPerRun: e.plan.epochs,
        timedEpoch: e.plan.epochs,
        samplesMs: e.times.map((t) => round3(t)),
        msPerEpoch: { median: round3(ms.median), min: round3(ms.min), max: round3(ms.max) },
        firstEpochMs: mapSpread(spread(e.first), round3),
        rowsPerSec: Math.round(w.rows / (ms.median / 1000)),
        gflops: round3(flops / (ms.median / 1000) / 1e9),
        loss: e.loss,
        refLoss: e.refLoss,
        lossRelDiff: relativeDifference(e.loss, e.refLoss),
        ...(e.redos ? { redos: e.redos } : {}),
        ...(e.other.length ? { otherLoad: mapSpread(spread(e.other), (x) => Math.round(x * 100) / 100) } : {}),
      });
    }
  }
  for (const runner of ready) await runner.dispose?.();
  return result;
}

function mapSpread(s: Spread, f: (x: number) => number): Spread {
  return { median: f(s.median), min: f(s.min), max: f(s.max) };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function safeDescribe(runner: Runner): Record<string, unknown> {
  try {
    return runner.describe?.() ?? {};
  } catch (error) {
    return { describeError: message(error) };
  }
}
