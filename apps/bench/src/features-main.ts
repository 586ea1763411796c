#!/usr/bin/env node
/**
 * `pnpm bench:features`: what dropout and row weights cost per training step next to a step with neither, on the
 * seed network (batch 32 and 256) and the wide network (batch 256); median microseconds of one step's shard
 * compute on one thread, the cases interleaved.
 */
import { parseArgs } from 'node:util';
import { runAsProgram } from './cli-entry.js';
import { measureFeatures } from './features.js';
import { selectWorkloads, workloadData } from './workloads.js';

const USAGE = `usage: pnpm bench:features [--reps N] [--workloads LIST] [--json]

Times one training step's forward and backward pass (one thread, wasm kernels) with no feature, dropout 0.2 after
every hidden layer, a loss weight per row, and both; prints the median microseconds per step and the ratio to none.
  --reps N          timed rounds per case (default 7)
  --workloads LIST  A-b32, A-b256, B-b256, ... (default A-b32,A-b256,B-b256)
  --json            one JSON document on stdout`;

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      reps: { type: 'string', default: '7' },
      workloads: { type: 'string', default: 'A-b32,A-b256,B-b256' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const reps = Number(values.reps);
  if (!Number.isInteger(reps) || reps < 1)
    throw new RangeError(`--reps must be a whole number >= 1, got ${values.reps}`);
  const doc: unknown[] = [];
  for (const w of selectWorkloads(values.workloads)) {
    const costs = measureFeatures(w, workloadData(w, Math.min(w.rows, 4000)), reps);
    doc.push({ workload: w.id, costs });
    if (values.json) continue;
    console.log(`\n${w.title}`);
    for (const c of costs) {
      console.log(`  ${c.name.padEnd(18)} ${c.stepUs.toFixed(1).padStart(9)} us/step  ${c.relative.toFixed(2)}x`);
    }
  }
  if (values.json) console.log(JSON.stringify({ features: doc }, null, 2));
}

runAsProgram(import.meta.url, 'bench:features', main);
