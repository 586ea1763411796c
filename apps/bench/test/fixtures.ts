import { type BenchResult, METHOD, type ResultRow, SCHEMA, workloadInfo } from '../src/bench.js';
import { machineInfo } from '../src/machine.js';
import { spread } from '../src/stats.js';
import { WORKLOADS } from '../src/workloads.js';

/** A hand-made result: known numbers for the report tests. */
function row(workload: string, runner: string, label: string, ms: number, extra: Partial<ResultRow> = {}): ResultRow {
  const w = WORKLOADS.find((x) => x.id === workload)!;
  const info = workloadInfo(w);
  return {
    workload,
    runner,
    label,
    family: runner.startsWith('shardprop') ? 'shardprop' : runner.startsWith('tfjs') ? 'tfjs' : 'naive',
    threads: 1,
    rowsTimed: w.rows,
    scaled: false,
    epochsPerRun: 2,
    timedEpoch: 2,
    samplesMs: [ms * 0.9, ms, ms * 1.2],
    msPerEpoch: spread([ms * 0.9, ms, ms * 1.2]),
    firstEpochMs: spread([ms * 2]),
    rowsPerSec: Math.round(w.rows / (ms / 1000)),
    gflops: info.flopsPerEpoch / (ms / 1000) / 1e9,
    loss: 0.05,
    refLoss: 0.05,
    lossRelDiff: 0,
    ...extra,
  };
}

export function fakeResult(): BenchResult {
  const machine = { ...machineInfo(), host: 'test host/1', cores: 2 };
  return {
    schema: SCHEMA,
    createdAt: '2026-01-02T03:04:05.000Z',
    date: '2026-01-02',
    host: machine.host,
    quick: false,
    reps: 3,
    warmupRounds: 1,
    command: 'pnpm bench:peers --reps 3',
    method: METHOD,
    machine,
    runners: [
      { id: 'tfjs-wasm', label: 'tfjs wasm', family: 'tfjs', threads: 1, details: { simd: true, multithread: false } },
    ],
    workloads: WORKLOADS.map(workloadInfo),
    results: [
      row('A-b1', 'shardprop-wasm', 'shardprop wasm, 1 thread', 80),
      row('A-b1', 'naive', 'naive <JS> & co', 200),
      row('A-b1', 'tfjs-cpu', 'tfjs cpu', 8000, { rowsTimed: 1000, scaled: true }),
      row('A-b32', 'shardprop-par-wasm-t1', 'shardprop wasm, 1 worker', 20),
      row('A-b32', 'shardprop-par-wasm-t2', 'shardprop wasm, 2 workers', 12, { threads: 2 }),
      row('A-b32', 'tfjs-cpu', 'tfjs cpu', 700),
      row('A-b32', 'tfjs-wasm', 'tfjs wasm', 350),
      row('A-b256', 'shardprop-par-wasm-t2', 'shardprop wasm, 2 workers', 16, { threads: 2 }),
      row('B-b256', 'shardprop-par-wasm-t2', 'shardprop wasm, 2 workers', 150, { threads: 2 }),
      row('B-b256', 'tfjs-wasm', 'tfjs wasm', 2500),
    ],
    skipped: [{ workload: 'B-b256', runner: 'brain', reason: 'no softmax' }],
    failures: [{ runner: 'imaginary', error: 'did not install' }],
  };
}
