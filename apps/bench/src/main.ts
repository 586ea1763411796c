/**
 * `pnpm bench:peers`: shardprop against TensorFlow.js (cpu, wasm), brain.js and a naive per-sample loop on the
 * same workloads, with interleaved repetitions; writes `results/<date>-<host>.{json,md,svg}`.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type BenchResult, runBench, workloadInfo } from './bench.js';
import { runAsProgram } from './cli-entry.js';
import { machineInfo, softwareInfo } from './machine.js';
import { toMarkdown, writeReport } from './report.js';
import { brainRunner } from './runners/brain.js';
import { naiveRunner } from './runners/naive.js';
import { referenceLoss, shardpropFit, shardpropParallel } from './runners/shardprop.js';
import { tfjsRunner } from './runners/tfjs.js';
import type { Runner } from './runners/types.js';
import { initialParams, selectWorkloads, WORKLOADS, type Workload, workloadData } from './workloads.js';

const HELP = `Usage: pnpm bench:peers [-- options]   (or: node apps/bench/dist/main.js [options])

Trains the same networks on the same data from the same initial weights with shardprop (1 thread and worker
threads, wasm and js kernels), tfjs (cpu, wasm), brain.js and a naive per-sample loop, and writes
results/<date>-<host>.json, .md and .svg.

Options:
  --reps N            measured repetitions per runner after one warm-up round (default 5; 2 with --quick)
  --quick             smoke run: at most ~1,000 rows per timed epoch, fewer repetitions
  --workloads LIST    A-b1,A-b32,A-b256,B-b256, a family (A, B) or all (default all)
  --runners LIST      only runners whose id starts with one of these (e.g. shardprop,tfjs-wasm)
  --threads LIST      worker counts for shardprop's thread scaling (default 1..cores, or powers of 2 and cores)
  --out DIR           where to write the reports (default apps/bench/results)
  --merge FILE        add the runners and results of another run's JSON (e.g. pytorch_bench.py's output)
  --rewrite FILE      run nothing: rewrite the .md and .svg (and .json) of an earlier run's JSON, after --merge
  --wait-idle S       before each round, wait up to S seconds for other processes to go quiet (shared machines)
  --export-data DIR   write the workloads' data and initial weights as raw float32 for pytorch_bench.py, then exit
  --help              this text`;

export function defaultThreadList(cores: number): number[] {
  if (cores <= 4) return Array.from({ length: cores }, (_, i) => i + 1);
  const list: number[] = [];
  for (let t = 1; t < cores; t *= 2) list.push(t);
  list.push(cores);
  return list;
}

export function parseList(value: string | undefined, name: string): number[] | undefined {
  if (value === undefined) return undefined;
  const list = value.split(',').map((s) => Number(s.trim()));
  if (list.length === 0 || !list.every((n) => Number.isInteger(n) && n >= 1)) {
    throw new RangeError(`--${name} takes a comma-separated list of positive integers, got "${value}"`);
  }
  return list;
}

export function positiveInt(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`--${name} takes a positive integer, got "${value}"`);
  return n;
}

export function buildRunners(cores: number, threads: number[], filter?: string): Runner[] {
  const runners: Runner[] = [
    shardpropFit('wasm'),
    shardpropFit('js'),
    ...threads.map((t) => shardpropParallel('wasm', t)),
    shardpropParallel('js', cores),
    tfjsRunner('cpu'),
    tfjsRunner('wasm'),
    brainRunner(),
    naiveRunner(),
  ];
  if (!filter) return runners;
  const prefixes = filter
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return runners.filter((r) => prefixes.some((p) => r.id.startsWith(p)));
}

/** Rows the PyTorch script times per-sample training on (and its --quick rows): their reference losses are exported. */
const PYTORCH_SUBSET_ROWS = [2000, 1000];

/**
 * Writes each workload family's data and initial weights as little-endian float32 files, plus `meta.json` with
 * the workloads and shardprop's reference (epoch-1) losses for the row counts pytorch_bench.py trains on.
 */
export async function exportData(dir: string, workloads: readonly Workload[] = WORKLOADS): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const families: Record<string, unknown>[] = [];
  const write = (name: string, array: Float32Array) => {
    const file = path.join(dir, name);
    writeFileSync(file, new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
    written.push(file);
    return name;
  };
  for (const family of ['A', 'B'] as const) {
    const w = WORKLOADS.find((x) => x.family === family)!;
    const data = workloadData(w);
    families.push({
      family,
      rows: data.rows,
      features: data.features,
      outputs: data.outputs,
      x: write(`${family}-x.f32`, data.x),
      y: write(`${family}-y.f32`, data.y),
      params: write(`${family}-params.f32`, initialParams(w)),
    });
  }
  const refLosses: Record<string, Record<string, number>> = {};
  for (const w of workloads) {
    const data = workloadData(w);
    refLosses[w.id] = {};
    for (const rows of [w.rows, ...PYTORCH_SUBSET_ROWS]) {
      refLosses[w.id][String(rows)] = await referenceLoss(w, data, rows, initialParams(w));
    }
  }
  const metaFile = path.join(dir, 'meta.json');
  const meta = {
    format: 'little-endian float32, row-major; params per layer: kernel [in x out] then bias (Keras order)',
    families,
    workloads: WORKLOADS.map(workloadInfo),
    refLosses,
  };
  writeFileSync(metaFile, `${JSON.stringify(meta, null, 2)}\n`);
  written.push(metaFile);
  return written;
}

/**
 * Adds another run's runners and results (for workloads this run has) to `into`, with its method notes; a
 * runner already present is replaced, so merging the same file twice changes nothing.
 */
export function mergeResults(
  into: BenchResult,
  other: Pick<BenchResult, 'runners' | 'results'> & Partial<BenchResult>,
): void {
  const known = new Set(into.workloads.map((w) => w.id));
  const ids = new Set(other.runners.map((r) => r.id));
  into.runners = [...into.runners.filter((r) => !ids.has(r.id)), ...other.runners];
  into.results = [
    ...into.results.filter((r) => !ids.has(r.runner)),
    ...other.results.filter((r) => known.has(r.workload)),
  ];
  for (const s of other.skipped ?? []) {
    if (!into.skipped.some((t) => t.runner === s.runner && t.workload === s.workload)) into.skipped.push(s);
  }
  into.failures.push(...(other.failures ?? []));
  const from = other.command ? `merged from \`${other.command}\`` : 'merged';
  const source = other.date ? `${from} (${other.date}, ${other.host})` : from;
  for (const line of other.method ?? []) {
    const note = `${source}: ${line}`;
    if (!into.method.includes(note)) into.method.push(note);
  }
}

function packageVersion(name: string): string {
  try {
    const require = createRequire(import.meta.url);
    return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      reps: { type: 'string' },
      quick: { type: 'boolean', default: false },
      workloads: { type: 'string' },
      runners: { type: 'string' },
      threads: { type: 'string' },
      out: { type: 'string' },
      merge: { type: 'string' },
      'export-data': { type: 'string' },
      'wait-idle': { type: 'string' },
      rewrite: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    allowPositionals: false,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  if (values['export-data']) {
    for (const file of await exportData(values['export-data'], selectWorkloads(values.workloads))) console.log(file);
    return;
  }
  if (values.rewrite) {
    const result = JSON.parse(readFileSync(values.rewrite, 'utf8')) as BenchResult;
    if (values.merge) mergeResults(result, JSON.parse(readFileSync(values.merge, 'utf8')));
    const files = writeReport(result, values.out ?? path.dirname(values.rewrite));
    console.log(`wrote ${files.json}\n      ${files.markdown}\n      ${files.svg}`);
    return;
  }
  const machine = machineInfo();
  const reps = values.reps !== undefined ? positiveInt(values.reps, 'reps') : values.quick ? 2 : 5;
  const waitIdleS = values['wait-idle'] !== undefined ? positiveInt(values['wait-idle'], 'wait-idle') : 0;
  const threads = parseList(values.threads, 'threads') ?? defaultThreadList(machine.cores);
  const workloads = selectWorkloads(values.workloads);
  const runners = buildRunners(machine.cores, threads, values.runners);
  if (runners.length === 0) throw new RangeError(`--runners "${values.runners}" matches no runner`);
  const outDir = values.out ?? fileURLToPath(new URL('../results/', import.meta.url));

  console.log(
    `machine: ${machine.cpuModel}, ${machine.cores} cores, SIMD ${machine.simdFlags.join(' ') || '-'}, Node ${machine.node}`,
  );
  console.log(`workloads: ${workloads.map((w) => w.id).join(', ')}; reps ${reps}${values.quick ? ' (quick)' : ''}`);
  const result = await runBench({
    workloads,
    runners,
    reps,
    quick: values.quick,
    machine,
    software: softwareInfo(fileURLToPath(new URL('.', import.meta.url)), {
      '@shardprop/core': packageVersion('@shardprop/core'),
      '@tensorflow/tfjs': packageVersion('@tensorflow/tfjs'),
      '@tensorflow/tfjs-backend-wasm': packageVersion('@tensorflow/tfjs-backend-wasm'),
      'brain.js': packageVersion('brain.js'),
    }),
    command: ['pnpm bench:peers', ...argv].join(' '),
    log: (line) => console.log(line),
    waitIdleS,
  });
  if (values.merge) mergeResults(result, JSON.parse(readFileSync(values.merge, 'utf8')));
  const files = writeReport(result, outDir);
  console.log(`\n${toMarkdown(result)}`);
  console.log(`wrote ${files.json}\n      ${files.markdown}\n      ${files.svg}`);
}

runAsProgram(import.meta.url, 'bench:peers', main);
