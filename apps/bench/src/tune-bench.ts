/**
 * `pnpm bench:tune`: model selection side by side (issue 14). The search: hidden layers (16) or (39, 39),
 * learning rate 0.1 or 0.5, sigmoid, plain SGD, batch 32, 20 epochs, 3-fold cross-validation, then the best
 * refit on all rows, on the seed problem (10,000 rows). shardprop's `tune` with 1 and 2 threads (later searches in
 * this process, and the first search of a fresh process each) and scikit-learn's `GridSearchCV(MLPRegressor,
 * n_jobs=2)` (Debian's python3-sklearn; skipped where absent) take turns in every round; writes
 * `results/<date>-tune-<host>.{json,md}`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Dataset, seedProblem } from '@shardprop/core';
import { type TuneOptions, tune } from '@shardprop/core/parallel';
import { runAsProgram } from './cli-entry.js';
import { machineInfo, softwareInfo, waitForIdle, withOtherLoad } from './machine.js';
import { reportBaseName, writeAtomic } from './report.js';
import { type Spread, spread } from './stats.js';

const HELP = `Usage: pnpm bench:tune [-- options]   (or: node apps/bench/dist/tune-bench.js [options])

Times the same grid search (2 x 2 candidates, 3 folds, 20 epochs, best refit) with shardprop tune on 1 and 2
threads (in this process, whose threads are warm after the first round, and as the first search of a fresh
process) and with scikit-learn's GridSearchCV(MLPRegressor, n_jobs=2), in turns, and writes
results/<date>-tune-<host>.json and .md.

Options:
  --reps N          measured rounds after one warm-up round (default 3; 1 with --quick)
  --quick           smoke run: 600 rows, 2 epochs
  --python PATH     Python with scikit-learn (default: /usr/bin/python3, then python3)
  --no-sklearn      leave scikit-learn out
  --wait-idle S     before each round, wait up to S seconds for other processes to go quiet (shared machines)
  --out DIR         where to write the reports (default apps/bench/results)
  --one-search T    run one search on T threads in this process, print its sample as JSON, and end (what the
                    fresh-process runners start)
  --help            this text`;

const SKLEARN_SCRIPT = fileURLToPath(new URL('../sklearn_tune_bench.py', import.meta.url));
const RESULTS_DIR = fileURLToPath(new URL('../results', import.meta.url));

/** The search of the issue, in `tune`'s terms. */
export function searchOptions(epochs: number, threads: number): TuneOptions {
  return {
    loss: 'mse',
    layers: [16, 1],
    activation: 'sigmoid',
    optimizer: { name: 'sgd', learningRate: 0.1 },
    batchSize: 32,
    epochs,
    space: {
      layers: [
        [16, 1],
        [39, 39, 1],
      ],
      learningRate: [0.1, 0.5],
    },
    folds: 3,
    seed: 1,
    threads,
  };
}

/** One measured run of one runner. */
export interface TuneSample {
  /** Wall milliseconds: the whole search and the refit. */
  ms: number;
  /** CPU milliseconds of this process, worker threads included (shardprop only). */
  cpuMs: number | null;
  /** Wall milliseconds of the refit alone (shardprop only; threads auto, up to the search's count). */
  refitMs: number | null;
  /**
   * Where a shardprop run's wall time goes (null for scikit-learn): from the call until the first fit finished
   * (the calling thread's first fit, while any workers start), until the last fit finished (the search), and the
   * fits' own milliseconds summed over all of them (what the threads share).
   */
  phases: { firstFitMs: number; searchMs: number; fitsMs: number } | null;
  /** Cores other processes kept busy meanwhile (shardprop only). */
  otherCores: number | null;
  best: { settings: string; mse: number };
}

export interface TuneBenchRow {
  runner: string;
  samples: TuneSample[];
  /** Of the wall times. */
  spread: Spread;
  /** Median CPU seconds, when measured. */
  cpuS: number | null;
  refitS: number | null;
  best: { settings: string; mse: number };
}

export interface TuneBenchResult {
  schema: 'shardprop-bench-tune/1';
  date: string;
  host: string;
  rows: number;
  epochs: number;
  reps: number;
  machine: ReturnType<typeof machineInfo>;
  software: ReturnType<typeof softwareInfo>;
  results: TuneBenchRow[];
  skipped: string[];
}

interface Runner {
  id: string;
  run(): Promise<TuneSample>;
}

function shardpropRunner(data: Dataset, epochs: number, threads: number): Runner {
  return {
    id: `shardprop tune, ${threads} thread${threads === 1 ? '' : 's'}`,
    async run() {
      const cpu0 = process.cpuUsage();
      const started = performance.now();
      let firstFitMs = 0;
      let searchMs = 0;
      const onFitEnd = () => {
        searchMs = performance.now() - started;
        if (firstFitMs === 0) firstFitMs = searchMs;
      };
      const { value, otherCores } = await withOtherLoad(() =>
        tune(data, { ...searchOptions(epochs, threads), onFitEnd }),
      );
      const ms = performance.now() - started;
      const cpu = process.cpuUsage(cpu0);
      const best = value.best;
      if (!best || !value.refit) throw new Error('the search found no best candidate');
      const settings = `layers ${String(best.settings.layers)}, lr ${best.settings.learningRate}`;
      return {
        ms,
        cpuMs: (cpu.user + cpu.system) / 1000,
        refitMs: value.refit.result.history.reduce((sum, h) => sum + h.msPerEpoch, 0),
        phases: { firstFitMs, searchMs, fitsMs: value.trials.reduce((sum, t) => sum + t.ms, 0) },
        otherCores: otherCores ?? null,
        best: { settings, mse: best.mean },
      };
    },
  };
}

/**
 * The first search of a fresh Node process: nothing is warm, neither the calling thread's code nor any worker
 * (what one `shardprop tune` command gets). The child times its `tune` call alone, as the runner above does.
 */
function freshProcessRunner(epochs: number, quick: boolean, threads: number): Runner {
  return {
    id: `fresh process: shardprop tune, ${threads} thread${threads === 1 ? '' : 's'}`,
    async run() {
      const args = [fileURLToPath(import.meta.url), '--one-search', String(threads), ...(quick ? ['--quick'] : [])];
      const text = execFileSync(process.execPath, args, { encoding: 'utf8' });
      const sample = JSON.parse(text.trim().split('\n').at(-1) as string) as TuneSample;
      if (sample.phases?.fitsMs === undefined) throw new Error(`--one-search printed no sample: ${text}`);
      return sample;
    },
  };
}

/** The Python with scikit-learn to use, or null (the runner is skipped, as the PyTorch one is). */
export function findPython(candidates: readonly string[]): string | null {
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', 'import sklearn, numpy'], { stdio: 'ignore' });
    if (r.status === 0) return python;
  }
  return null;
}

function sklearnRunner(python: string, dataDir: string, data: Dataset, epochs: number): Runner {
  return {
    id: 'scikit-learn GridSearchCV, n_jobs=2',
    async run() {
      const args = [
        SKLEARN_SCRIPT,
        '--data',
        dataDir,
        '--rows',
        String(data.rows),
        '--features',
        String(data.features),
      ];
      const text = execFileSync(python, [...args, '--jobs', '2', '--epochs', String(epochs)], {
        encoding: 'utf8',
        env: { ...process.env, PYTHONWARNINGS: 'ignore' },
      });
      const out = JSON.parse(text.trim().split('\n').at(-1) as string) as {
        ms: number;
        bestParams: { hidden_layer_sizes: number[]; learning_rate_init: number };
        bestMse: number;
      };
      const layers = [...out.bestParams.hidden_layer_sizes, 1].join(',');
      return {
        ms: out.ms,
        cpuMs: null,
        refitMs: null,
        phases: null,
        otherCores: null,
        best: { settings: `layers ${layers}, lr ${out.bestParams.learning_rate_init}`, mse: out.bestMse },
      };
    },
  };
}

const f2 = (v: number) => v.toFixed(2);

/** A runner's samples: the spread of the wall times, median CPU and refit seconds, the last best candidate. */
export function summarise(runner: string, samples: TuneSample[]): TuneBenchRow {
  const median = (values: (number | null)[]) => {
    const known = values.filter((v): v is number => v !== null);
    return known.length > 0 ? spread(known).median / 1000 : null;
  };
  return {
    runner,
    samples,
    spread: spread(samples.map((x) => x.ms)),
    cpuS: median(samples.map((x) => x.cpuMs)),
    refitS: median(samples.map((x) => x.refitMs)),
    best: samples[samples.length - 1].best,
  };
}

/** The Markdown report: times side by side, the ratios the issue targets, and each runner's best candidate. */
export function toMarkdown(r: TuneBenchResult): string {
  const lines = [
    `# shardprop tune vs GridSearchCV, ${r.date} (${r.host})`,
    '',
    `Seed problem, ${r.rows.toLocaleString('en-US')} rows; hidden layers (16) or (39, 39) x learning rate 0.1 or 0.5;`,
    `sigmoid hidden units, plain SGD, batch 32, ${r.epochs} epochs; 3-fold cross-validation, then the best refit on all rows.`,
    `${r.reps} measured round(s) after a warm-up, runners in turns; ${r.machine.cores} cores (${r.machine.cpuModel}), Node ${r.machine.node}.`,
    '',
    '| runner | median s | min - max s | CPU s | refit s | best candidate | its CV MSE |',
    '|---|---:|---:|---:|---:|---|---:|',
  ];
  const opt = (v: number | null) => (v === null ? '-' : f2(v));
  for (const row of r.results) {
    lines.push(
      `| ${row.runner} | ${f2(row.spread.median / 1000)} | ${f2(row.spread.min / 1000)} - ${f2(row.spread.max / 1000)} | ${opt(row.cpuS)} | ${opt(row.refitS)} | ${row.best.settings} | ${row.best.mse.toFixed(6)} |`,
    );
  }
  const phased = r.results.filter((row) => row.samples.every((x) => x.phases !== null));
  if (phased.length > 0) {
    lines.push(
      '',
      'Where the time goes (medians, s): until the first fit is done (the calling thread fits from the start, the',
      'workers start meanwhile where they are new), the rest of the search, after it (the refit); the time of the',
      'fits themselves summed, and divided by the threads.',
      '',
      '| runner | first fit done | rest of the search | after the search | fits summed | per thread |',
      '|---|---:|---:|---:|---:|---:|',
    );
    for (const row of phased) {
      const med = (f: (x: TuneSample) => number) => spread(row.samples.map(f)).median / 1000;
      const threads = Number(/(\d+) thread/.exec(row.runner)?.[1] ?? 1);
      const p = (x: TuneSample) => x.phases as NonNullable<TuneSample['phases']>;
      lines.push(
        `| ${row.runner} | ${f2(med((x) => p(x).firstFitMs))} | ${f2(med((x) => p(x).searchMs - p(x).firstFitMs))} | ${f2(med((x) => x.ms - p(x).searchMs))} | ${f2(med((x) => p(x).fitsMs))} | ${f2(med((x) => p(x).fitsMs) / threads)} |`,
      );
    }
  }
  const find = (prefix: string) => r.results.find((row) => row.runner.startsWith(prefix));
  const t1 = find('shardprop tune, 1 thread');
  const t2 = find('shardprop tune, 2 threads');
  const f1 = find('fresh process: shardprop tune, 1 thread');
  const ff2 = find('fresh process: shardprop tune, 2 threads');
  const sk = find('scikit-learn');
  lines.push('');
  if (t1 && t2)
    lines.push(
      `- 2 threads vs 1 thread: ${f2(t1.spread.median / t2.spread.median)}x faster (target >= 1.7x); a later search in a process, whose calling thread and search workers are warm`,
    );
  if (f1 && ff2)
    lines.push(
      `- the first search of a fresh process, 2 threads vs 1 thread: ${f2(f1.spread.median / ff2.spread.median)}x faster (nothing warm: what one \`shardprop tune\` command's search gets)`,
    );
  if (t2 && sk)
    lines.push(
      `- shardprop on 2 threads vs GridSearchCV n_jobs=2: ${f2(sk.spread.median / t2.spread.median)}x faster (target >= 5x)`,
    );
  if (ff2 && sk)
    lines.push(
      `- the first search of a fresh process on 2 threads vs GridSearchCV n_jobs=2 (a fresh Python process each round too): ${f2(sk.spread.median / ff2.spread.median)}x faster`,
    );
  for (const s of r.skipped) lines.push(`- skipped: ${s}`);
  const busy = r.results
    .flatMap((row) => row.samples.map((x) => x.otherCores))
    .filter((c): c is number => c !== null && c > 0.25);
  if (busy.length > 0) {
    lines.push(
      `- other processes kept up to ${f2(Math.max(...busy))} cores busy during some rounds: the machine was shared`,
    );
  }
  lines.push(
    "- GridSearchCV times only `fit` (not Python start-up or imports); shardprop times the whole `tune` call, the start of any new workers included (in a fresh process: the call alone, not Node's start-up or the imports).",
    '- CPU s: this process and its worker threads; refit s: the refit of the best candidate on all rows, after the search (threads auto, up to the search threads).',
    '- MLPRegressor has an identity output, shardprop a sigmoid one: the best MSEs are comparable, not equal.',
  );
  return `${lines.join('\n')}\n`;
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      reps: { type: 'string' },
      quick: { type: 'boolean', default: false },
      python: { type: 'string' },
      'no-sklearn': { type: 'boolean', default: false },
      'wait-idle': { type: 'string' },
      out: { type: 'string' },
      'one-search': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const quick = values.quick === true;
  const reps = values.reps !== undefined ? Number(values.reps) : quick ? 1 : 3;
  if (!(Number.isInteger(reps) && reps >= 1))
    throw new RangeError(`--reps takes a positive integer, got "${values.reps}"`);
  const waitIdleS = values['wait-idle'] !== undefined ? Number(values['wait-idle']) : 0;
  const rows = quick ? 600 : 10_000;
  const epochs = quick ? 2 : 20;
  const data = seedProblem({ rows, seed: 1 });
  if (values['one-search'] !== undefined) {
    const threads = Number(values['one-search']);
    if (!(Number.isInteger(threads) && threads >= 1))
      throw new RangeError(`--one-search takes a positive integer, got "${values['one-search']}"`);
    process.stdout.write(`${JSON.stringify(await shardpropRunner(data, epochs, threads).run())}\n`);
    return;
  }

  const runners = [
    shardpropRunner(data, epochs, 1),
    shardpropRunner(data, epochs, 2),
    freshProcessRunner(epochs, quick, 1),
    freshProcessRunner(epochs, quick, 2),
  ];
  const skipped: string[] = [];
  const dataDir = mkdtempSync(path.join(tmpdir(), 'shardprop-tune-bench-'));
  try {
    const python = values['no-sklearn']
      ? null
      : findPython(values.python ? [values.python] : ['/usr/bin/python3', 'python3']);
    if (python) {
      writeFileSync(path.join(dataDir, 'x.f32'), new Uint8Array(data.x.buffer, data.x.byteOffset, data.x.byteLength));
      writeFileSync(path.join(dataDir, 'y.f32'), new Uint8Array(data.y.buffer, data.y.byteOffset, data.y.byteLength));
      runners.push(sklearnRunner(python, dataDir, data, epochs));
    } else {
      skipped.push(
        values['no-sklearn']
          ? 'scikit-learn (--no-sklearn)'
          : 'scikit-learn (no Python with scikit-learn and numpy found)',
      );
    }

    const measured = new Map(runners.map((r) => [r.id, [] as TuneSample[]]));
    for (let round = 0; round <= reps; round++) {
      // Round 0 warms up; then the runners take turns, starting one later each round.
      for (let k = 0; k < runners.length; k++) {
        const runner = runners[(k + round) % runners.length];
        if (waitIdleS > 0) await waitForIdle(waitIdleS);
        const r = await runner.run();
        process.stderr.write(
          `${round === 0 ? 'warm-up' : `round ${round}/${reps}`}: ${runner.id}: ${(r.ms / 1000).toFixed(2)} s\n`,
        );
        if (round > 0) measured.get(runner.id)?.push(r);
      }
    }
    const machine = machineInfo();
    const date = new Date().toISOString().slice(0, 10);
    const result: TuneBenchResult = {
      schema: 'shardprop-bench-tune/1',
      date,
      host: machine.host,
      rows,
      epochs,
      reps,
      machine,
      software: softwareInfo(path.dirname(SKLEARN_SCRIPT), {}),
      results: runners.map((r) => summarise(r.id, measured.get(r.id) ?? [])),
      skipped,
    };
    const dir = values.out ?? RESULTS_DIR;
    mkdirSync(dir, { recursive: true });
    const base = path.join(
      dir,
      `${reportBaseName({ date: `${date}-tune`, host: machine.host })}${quick ? '-quick' : ''}`,
    );
    writeAtomic(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
    writeAtomic(`${base}.md`, toMarkdown(result));
    process.stdout.write(`${toMarkdown(result)}\nwrote ${base}.json\n      ${base}.md\n`);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

runAsProgram(import.meta.url, 'bench:tune', main);
