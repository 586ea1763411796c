/**
 * `pnpm bench:features`: what each training feature of issue 16 costs per step. The seed network (39-39-39-1,
 * sigmoid, adam, batch 32) on the seed problem trains one epoch with no feature, then with each of the L2 and L1
 * penalties, global-norm and value clipping, a learning-rate schedule, dropout after every hidden layer and a loss
 * weight per row, with dropout and row weights together, and with all of them. The variants take turns within
 * every round (the order rotates each round), so a machine that slows down during the run slows every variant
 * alike; each variant's per-step time is reported as the median and range over the rounds, with the median's
 * overhead against no feature. Writes `results/<date>-features-<host>.{json,md}`.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Dataset, type FitOptions, fit, Mlp, type ModelSpec, mlpSpec, seedProblem } from '@shardprop/core';
import { fitParallel } from '@shardprop/core/parallel';
import { runAsProgram } from './cli-entry.js';
import { machineInfo, waitForIdle } from './machine.js';
import { reportBaseName, writeAtomic } from './report.js';
import { type Spread, spread } from './stats.js';

const HELP = `Usage: pnpm bench:features [-- options]   (or: node apps/bench/dist/features-bench.js [options])

Times one epoch of the seed network per training feature (none, l2, l1, clip-norm, clip-value, lr schedule,
dropout, row weights, dropout + row weights, all), the variants in turns, and writes
results/<date>-features-<host>.json and .md.

Options:
  --reps N          measured rounds after one warm-up round (default 7; 2 with --quick)
  --quick           smoke run: 2,000 rows
  --threads N       threads per fit (default 1: the step's own cost, without a barrier)
  --kernels K       wasm or js (default wasm)
  --wait-idle S     before each round, wait up to S seconds for other processes to go quiet (shared machines)
  --out DIR         where to write the reports (default apps/bench/results)
  --help            this text`;

const RESULTS_DIR = fileURLToPath(new URL('../results', import.meta.url));
const BATCH_SIZE = 32;

/** One configuration of the run: the fit options it sets, and the features that live outside them. */
export interface FeatureVariant {
  name: string;
  options: Partial<FitOptions>;
  /** Dropout rate after every hidden layer (a setting of the model, not of the fit); default none. */
  dropout?: number;
  /** Whether every row carries a loss weight (`sampleWeight`, varying from row to row). */
  rowWeights?: boolean;
}

const ALL_OPTIONS: Partial<FitOptions> = {
  l2: 1e-4,
  l1: 1e-5,
  clipNorm: 1e-3,
  clipValue: 1e-4,
  lrSchedule: { name: 'cosine', stepEpochs: 10 },
};

/** The variants: each feature alone, at a setting where it is active every step, and all of them. */
export const VARIANTS: readonly FeatureVariant[] = [
  { name: 'none', options: {} },
  { name: 'l2', options: { l2: 1e-4 } },
  { name: 'l1', options: { l1: 1e-5 } },
  { name: 'clip-norm', options: { clipNorm: 1e-3 } },
  { name: 'clip-value', options: { clipValue: 1e-4 } },
  { name: 'lr schedule (cosine)', options: { lrSchedule: { name: 'cosine', stepEpochs: 10 } } },
  { name: 'dropout 0.2', options: {}, dropout: 0.2 },
  { name: 'row weights', options: {}, rowWeights: true },
  { name: 'dropout + row weights', options: {}, dropout: 0.2, rowWeights: true },
  { name: 'all', options: ALL_OPTIONS, dropout: 0.2, rowWeights: true },
];

/** The seed network with the variant's dropout. */
export function variantSpec(v: FeatureVariant): ModelSpec {
  return mlpSpec(39, [39, 39, 39, 1], 'sigmoid', 'sigmoid', v.dropout ?? 0);
}

/** Loss weights 0.5, 1, 1.5, 2 in turn: every row weighted, no two neighbours alike. */
export function benchRowWeights(rows: number): Float32Array {
  return Float32Array.from({ length: rows }, (_, r) => 0.5 + (r % 4) * 0.5);
}

/** The variant's fit options for one epoch; `weights` holds one weight per row of the data. */
export function variantOptions(v: FeatureVariant, weights: Float32Array, kernels: 'wasm' | 'js'): FitOptions {
  return {
    loss: 'mse',
    optimizer: { name: 'adam', learningRate: 0.01 },
    batchSize: BATCH_SIZE,
    kernels,
    ...v.options,
    ...(v.rowWeights ? { sampleWeight: weights } : {}),
    epochs: 1,
  };
}

export interface FeatureRow {
  name: string;
  /** Microseconds per step, one per measured round. */
  usPerStep: number[];
  spread: Spread;
  /** Median against the median of `none` (0.05 = 5% slower); null for `none` itself. */
  overhead: number | null;
}

export interface FeaturesResult {
  date: string;
  host: string;
  rows: number;
  batchSize: number;
  threads: number;
  kernels: 'wasm' | 'js';
  reps: number;
  machine: { cores: number; cpuModel: string; node: string };
  results: FeatureRow[];
}

/** One epoch of the variant; returns microseconds per step. */
async function timeEpoch(
  data: Dataset,
  v: FeatureVariant,
  weights: Float32Array,
  threads: number,
  kernels: 'wasm' | 'js',
): Promise<number> {
  const model = Mlp.create(variantSpec(v), { seed: 1 });
  const opts = variantOptions(v, weights, kernels);
  const r = threads === 1 ? await fit(model, data, opts) : await fitParallel(model, data, { ...opts, threads });
  const steps = Math.ceil(data.rows / BATCH_SIZE);
  return (r.history[0].msPerEpoch * 1000) / steps;
}

/** Rows of the report from every round's times (`times[v][round]`), with overheads against the first variant. */
export function summarise(names: readonly string[], times: readonly number[][]): FeatureRow[] {
  const base = spread(times[0]).median;
  return names.map((name, v) => {
    const s = spread(times[v]);
    return { name, usPerStep: [...times[v]], spread: s, overhead: v === 0 ? null : s.median / base - 1 };
  });
}

export function toMarkdown(r: FeaturesResult): string {
  const lines = [
    `# Training features: cost per step (${r.date}, ${r.host})`,
    '',
    `Seed network 39-39-39-1 (dropout variants: 0.2 after each hidden layer), adam, batch ${r.batchSize}, ${r.rows.toLocaleString('en-US')} rows, ${r.threads} thread${r.threads === 1 ? '' : 's'}, ${r.kernels} kernels; ${r.reps} rounds, variants in turns. ${r.machine.cores} cores, ${r.machine.cpuModel}, Node ${r.machine.node}.`,
    '',
    '| variant | us per step, median | range | vs none |',
    '| --- | ---: | --- | ---: |',
    ...r.results.map(
      (row) =>
        `| ${row.name} | ${row.spread.median.toFixed(1)} | ${row.spread.min.toFixed(1)}-${row.spread.max.toFixed(1)} | ${row.overhead === null ? '' : `${row.overhead >= 0 ? '+' : ''}${(row.overhead * 100).toFixed(1)}%`} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      reps: { type: 'string' },
      quick: { type: 'boolean' },
      threads: { type: 'string' },
      kernels: { type: 'string' },
      'wait-idle': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const reps = Number(values.reps ?? (values.quick ? 2 : 7));
  const threads = Number(values.threads ?? 1);
  const kernels = (values.kernels ?? 'wasm') as 'wasm' | 'js';
  if (!Number.isInteger(reps) || reps < 1) throw new Error('--reps must be a positive integer');
  if (!Number.isInteger(threads) || threads < 1) throw new Error('--threads must be a positive integer');
  if (kernels !== 'wasm' && kernels !== 'js') throw new Error('--kernels must be wasm or js');
  const waitIdle = Number(values['wait-idle'] ?? 0);
  const rows = values.quick ? 2_000 : 10_000;
  const data = seedProblem({ rows, seed: 1 });
  const weights = benchRowWeights(rows);
  const times: number[][] = VARIANTS.map(() => []);
  for (let round = 0; round <= reps; round++) {
    if (waitIdle > 0) await waitForIdle(waitIdle);
    for (let i = 0; i < VARIANTS.length; i++) {
      const v = (i + round) % VARIANTS.length;
      const us = await timeEpoch(data, VARIANTS[v], weights, threads, kernels);
      if (round > 0) times[v].push(us); // round 0 warms up
    }
    process.stderr.write(`round ${round}/${reps}${round === 0 ? ' (warm-up)' : ''}\n`);
  }
  const m = machineInfo();
  const result: FeaturesResult = {
    date: new Date().toISOString().slice(0, 10),
    host: m.host,
    rows,
    batchSize: BATCH_SIZE,
    threads,
    kernels,
    reps,
    machine: { cores: m.cores, cpuModel: m.cpuModel, node: process.version },
    results: summarise(
      VARIANTS.map((v) => v.name),
      times,
    ),
  };
  const dir = values.out ?? RESULTS_DIR;
  mkdirSync(dir, { recursive: true });
  const base = path.join(dir, `${reportBaseName({ date: result.date, host: `features-${result.host}` })}`);
  writeAtomic(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
  writeAtomic(`${base}.md`, toMarkdown(result));
  console.log(toMarkdown(result));
}

runAsProgram(import.meta.url, 'bench:features', main);
