#!/usr/bin/env node
/**
 * `pnpm bench:scaling`: shardprop's thread scaling on this machine, side by side (fit, 1 and 2 workers, auto;
 * median and range, ratios), the per-phase costs of a step, and the projected speed-up at 4..32 cores.
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { runAsProgram } from './cli-entry.js';
import { formatMs } from './report.js';
import {
  type MeasuredRow,
  measurePhases,
  measureTrainers,
  projectStepMs,
  scalingData,
  type Trainer,
  WARMUP_STEPS,
  warmupEpochs,
} from './scaling.js';
import { WORKLOADS } from './workloads.js';

const USAGE = `usage: pnpm bench:scaling [--reps N] [--warmup N] [--epochs N] [--wide-rows N] [--json]

Trains the seed network (39-39-39-1) at batch 1, 32 and 256 and the wide network (784-256-128-10) at batch 256
with fit (the main thread), fitParallel on 1 and 2 workers and on threads 'auto', interleaved; prints median
[min-max] ms per epoch and the ratios; then per-phase costs of one step and the projected speed-up at 4..32 cores.
  --reps N       repetitions of every trainer (default 5)
  --warmup N     untimed epochs per run, at least (default 20), and as many more as 1,200 steps take, up to 30:
                 each worker's V8 optimises its code over the first hundreds of steps and tens of epochs, and 2
                 workers do it on the cores they train on (seed network, batch 32: epochs 2-9 took 15-35 ms and
                 some of 10-17 up to 27 ms, against 8-10 once warm; batch 256: some epochs up to the 30th took
                 12-19 ms against 6-7)
  --epochs N     timed epochs per run (default 5; the median counts)
  --wide-rows N  rows of the wide network's data (default 4000)
  --json         one JSON document on stdout`;

const PROJECTED = [4, 8, 16, 32];

function ratio(base: MeasuredRow | undefined, row: MeasuredRow | undefined): string {
  if (!base || !row) return '-';
  return `${(base.msPerEpoch.median / row.msPerEpoch.median).toFixed(2)}x`;
}

function label(t: Trainer): string {
  return t === 'fit'
    ? 'fit (main thread)'
    : t === 'auto'
      ? "fitParallel 'auto'"
      : `fitParallel ${t} worker${t === 1 ? '' : 's'}`;
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      reps: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '20' },
      epochs: { type: 'string', default: '5' },
      'wide-rows': { type: 'string', default: '4000' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const int = (v: string, name: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`--${name} must be a whole number, got ${v}`);
    return n;
  };
  const reps = Math.max(1, int(values.reps, 'reps'));
  const warmup = int(values.warmup, 'warmup');
  const epochs = Math.max(1, int(values.epochs, 'epochs'));
  const wideRows = Math.max(256, int(values['wide-rows'], 'wide-rows'));
  const cores = availableParallelism();
  const log = values.json ? (_: string) => {} : (line: string) => console.log(line);
  log(
    `${cores} cores; ${reps} repetitions x (at least ${warmup} warm-up epochs and ${WARMUP_STEPS} steps, then ${epochs} timed epochs), interleaved`,
  );
  const doc: unknown[] = [];
  for (const w of WORKLOADS) {
    const data = scalingData(w, wideRows);
    const trainers: Trainer[] = ['fit', 1, 2, 'auto'];
    const steps = Math.ceil(data.rows / w.batchSize);
    const warm = warmupEpochs(steps, warmup);
    const rows = await measureTrainers(w, data, trainers, reps, warm, epochs);
    const phases = measurePhases(w, data);
    const at = (t: Trainer) => rows.find((r) => r.trainer === t);
    const one = at(1) as MeasuredRow;
    const two = at(2) as MeasuredRow;
    // The phases were timed on the main thread; scale them to what one worker measured per step, then take what
    // two workers need beyond their share of that work as the synchronisation per step.
    const oneStepMs = one.msPerEpoch.median / steps;
    const scale = oneStepMs / projectStepMs(phases, 0, 1);
    const calibrated = { ...phases, computeUs: phases.computeUs * scale, updateUs: phases.updateUs * scale };
    const syncUs = Math.max(0, (two.msPerEpoch.median / steps - projectStepMs(calibrated, 0, 2)) * 1000);
    const projected = PROJECTED.map((t) => ({
      threads: t,
      speedup: oneStepMs / projectStepMs(calibrated, syncUs, t),
    }));
    log('');
    log(
      `${w.title}, ${data.rows} rows (${steps} steps per epoch, ${phases.shards} shards per batch; ${warm} warm-up epochs)`,
    );
    for (const r of rows) {
      const s = r.msPerEpoch;
      const autoNote = r.autoThreads ? `  (ended on ${r.autoThreads.join(', ')} threads)` : '';
      log(
        `  ${label(r.trainer).padEnd(26)} ${formatMs(s.median).padStart(9)} ms  [${formatMs(s.min)}-${formatMs(s.max)}]  vs fit ${ratio(at('fit'), r).padStart(6)}  vs 1 worker ${ratio(one, r).padStart(6)}${autoNote}`,
      );
    }
    log(
      `  per step on the main thread: compute ${phases.computeUs.toFixed(1)} us (${(phases.computeUs / w.batchSize).toFixed(2)} us/row), reduce+update ${phases.updateUs.toFixed(1)} us (${phases.replicated ? 'every thread all of it, one barrier per step' : '1/T each, two barriers per step'}); 1 worker: ${(oneStepMs * 1000).toFixed(1)} us/step; derived sync on 2 workers ${syncUs.toFixed(1)} us/step`,
    );
    log(
      `  projected speed-up over 1 worker: ${projected.map((p) => `${p.threads} cores ${p.speedup.toFixed(2)}x`).join(', ')}  (no more than ${phases.shards} threads share the compute)`,
    );
    doc.push({ workload: w.id, rows: data.rows, steps, measured: rows, phases, syncUs, projected });
  }
  if (values.json) console.log(JSON.stringify({ cores, reps, warmup, epochs, workloads: doc }, null, 2));
}

runAsProgram(import.meta.url, 'bench:scaling', main);
