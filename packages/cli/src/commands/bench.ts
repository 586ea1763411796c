/**
 * `shardprop bench`: the built-in workload (the seed problem and the seed network) trained with 1..N threads
 * side by side: ms per epoch, rows/s, GFLOP/s and speedups, and a check that every thread count ends with
 * the same weights, bit for bit.
 */
import { availableParallelism } from 'node:os';
import {
  type FitResult,
  fit,
  Mlp,
  mlpSpec,
  paramLayout,
  parseActivation,
  seedProblem,
  trainFlopsPerRow,
} from '@shardprop/core';
import { fitParallel } from '@shardprop/core/parallel';
import type { Command } from 'commander';
import { parseIntArg, parseIntList, parsePositive } from '../config.js';
import { oneLine, usageError } from '../errors.js';
import { createOutput, table as textTable } from '../output.js';
import { formatInt } from '../progress.js';
import type { Runner } from '../runner.js';

interface BenchFlags {
  threads?: number[];
  batchSize?: number[];
  epochs: number;
  warmup: number;
  rows: number;
  layers: number[];
  activation: string;
  lr: number;
  shards?: number;
  main: boolean;
  json?: boolean;
}

/** Worker threads tier their WebAssembly code up lazily: the first two or three epochs of a run are slower. */
const WARMUP_EPOCHS = 3;

export function registerBench(program: Command, runner: Runner): Command {
  const cores = availableParallelism();
  return program
    .command('bench')
    .description('time training on 1..N threads side by side on the built-in workload (the seed problem)')
    .option('--threads <list>', `thread counts to compare (default: 1 to ${cores}, every core)`, parseIntList(1))
    .option('--batch-size <list>', 'batch sizes to compare (default: 32)', parseIntList(1))
    .option('--epochs <n>', 'timed epochs per run (default: 3)', parseIntArg(1), 3)
    .option('--warmup <n>', `untimed epochs first (default: ${WARMUP_EPOCHS})`, parseIntArg(0), WARMUP_EPOCHS)
    .option('--rows <n>', 'rows of the seed problem (default: 10000)', parseIntArg(1), 10_000)
    .option('--layers <units>', 'the network, output last (default: 39,39,39,1)', parseIntList(1), [39, 39, 39, 1])
    .option('--activation <name>', 'activation of every layer (default: sigmoid)', 'sigmoid')
    .option('--lr <rate>', 'sgd learning rate (default: 0.1)', parsePositive, 0.1)
    .option(
      '--shards <n>',
      'most shards per batch (default: 1 per 16 rows, 2 from 16 rows, at most 16)',
      parseIntArg(1),
    )
    .option('--no-main', 'leave out the main-thread baseline (fit, no workers)')
    .option('--json', 'print one JSON document on stdout')
    .addHelpText(
      'after',
      `
Every run trains the same model from the same seed, so the final weights must agree bit for bit across
thread counts; the "same weights" column checks it. GFLOP/s counts the multiply-adds of the forward and
backward passes (2 FLOPs each). Timings are medians over the timed epochs.

Examples:
  $ shardprop bench
  $ shardprop bench --threads 1,2,4 --batch-size 32,256
  $ shardprop bench --json > bench.json`,
    )
    .action(async (flags: BenchFlags) => runner.setExitCode(await runBench(flags)));
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

export async function runBench(flags: BenchFlags): Promise<number> {
  const out = createOutput(flags.json === true);
  const cores = availableParallelism();
  const threadList = flags.threads ?? Array.from({ length: cores }, (_, i) => i + 1);
  const batchSizes = flags.batchSize ?? [32];
  let activation: ReturnType<typeof parseActivation>;
  try {
    activation = parseActivation(flags.activation, '--activation');
  } catch (error) {
    throw usageError(oneLine(error));
  }
  const layers = flags.layers;
  if (layers[layers.length - 1] !== 1)
    throw usageError(`--layers ${layers.join(',')}: the seed problem has one target, so the last layer must be 1`);
  const data = seedProblem({ rows: flags.rows, seed: 1 });
  const spec = mlpSpec(data.features, layers, activation, activation);
  const flopsPerRow = trainFlopsPerRow(paramLayout(spec));
  const epochs = flags.warmup + flags.epochs;
  out.line(
    `workload: seed problem, ${formatInt(data.rows)} rows x ${data.features} features; network ${data.features} inputs -> ${layers.join('-')} ${activation}, ${formatInt(Mlp.create(spec).paramCount)} parameters; sgd lr ${flags.lr}, mse`,
  );
  out.line(
    `${flags.warmup} warm-up + ${flags.epochs} timed epochs per run; ${cores} cores; ${formatInt(flopsPerRow)} FLOPs per training row`,
  );

  interface Row {
    batchSize: number;
    threads: number | 'main';
    msPerEpoch: number;
    rowsPerSec: number;
    gflops: number;
    speedup: number;
    sameWeights: boolean;
  }
  const results: Row[] = [];
  for (const batchSize of batchSizes) {
    const runs: { threads: number | 'main'; result: FitResult; params: Float32Array }[] = [];
    const configs: (number | 'main')[] = [...(flags.main ? (['main'] as const) : []), ...threadList];
    for (const threads of configs) {
      const model = Mlp.create(spec, { seed: 1 });
      const options = {
        loss: 'meanSquaredError' as const,
        optimizer: { name: 'sgd' as const, learningRate: flags.lr },
        epochs,
        batchSize,
        seed: 1,
        shards: flags.shards,
      };
      const result =
        threads === 'main' ? await fit(model, data, options) : await fitParallel(model, data, { ...options, threads });
      runs.push({ threads, result, params: model.params });
      if (process.stderr.isTTY) {
        const what = threads === 'main' ? 'main thread' : `${threads} thread${threads === 1 ? '' : 's'}`;
        process.stderr.write(`  batch ${batchSize}, ${what}: done\r`);
      }
    }
    const base = runs[0];
    const baseMs = median(base.result.history.slice(flags.warmup).map((h) => h.msPerEpoch));
    for (const run of runs) {
      const ms = median(run.result.history.slice(flags.warmup).map((h) => h.msPerEpoch));
      const rowsPerSec = data.rows / (ms / 1000);
      results.push({
        batchSize,
        threads: run.threads,
        msPerEpoch: ms,
        rowsPerSec,
        gflops: (rowsPerSec * flopsPerRow) / 1e9,
        speedup: baseMs / ms,
        sameWeights: sameBits(run.params, base.params),
      });
    }
  }
  if (process.stderr.isTTY) process.stderr.write(`${' '.repeat(60)}\r`);
  const allSame = results.every((r) => r.sameWeights);
  if (out.json) {
    out.printJson({
      ok: true,
      workload: {
        problem: 'seed',
        rows: data.rows,
        features: data.features,
        layers,
        activation,
        loss: 'meanSquaredError',
        optimizer: 'sgd',
        learningRate: flags.lr,
      },
      cores,
      warmupEpochs: flags.warmup,
      timedEpochs: flags.epochs,
      flopsPerRow,
      baseline: flags.main ? 'main' : threadList[0],
      results,
      sameWeights: allSame,
    });
    return 0;
  }
  out.line();
  out.line(
    textTable(
      ['batch', 'threads', 'ms/epoch', 'rows/s', 'GFLOP/s', 'speedup', 'same weights'],
      results.map((r) => [
        r.batchSize,
        r.threads === 'main' ? 'main' : String(r.threads),
        Number(r.msPerEpoch.toFixed(1)),
        formatInt(r.rowsPerSec),
        Number(r.gflops.toFixed(3)),
        `${r.speedup.toFixed(2)}x`,
        r.sameWeights ? 'yes' : 'NO',
      ]),
    ),
  );
  out.line();
  out.line(
    `speedup is relative to the ${flags.main ? 'main-thread run (fit, no workers)' : `${threadList[0]}-thread run`} of the same batch size.`,
  );
  if (!allSame) out.line('warning: thread counts ended with different weights; please report this');
  return 0;
}
