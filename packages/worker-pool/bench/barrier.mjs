// Per-barrier cost of the Atomics barrier with two worker threads and the main thread outside the barrier
// (idle in `await`), beside the round trip of a no-op piscina task. Medians of repetitions; each worker times
// its own loop, and a repetition reports the slower of the two. Not a test: numbers vary with machine load.
//
//   node bench/barrier.mjs [--reps 9] [--rounds 20000]
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { BARRIER_WORDS, DEFAULT_SPIN, WorkerPool } from '../dist/index.js';

const { values } = parseArgs({
  options: { reps: { type: 'string', default: '9' }, rounds: { type: 'string', default: '20000' } },
});
const reps = Number(values.reps);
const rounds = Number(values.rounds);
const threads = 2;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (us) => (us < 10 ? us.toFixed(2) : us.toFixed(1)).padStart(8);

console.log(`node ${process.version}, ${availableParallelism()} cores; ${reps} repetitions, median shown`);
console.log('');
console.log(`barrier, ${threads} worker threads, main thread not taking part (${rounds} waits per repetition)`);
const barrierPool = new WorkerPool({ filename: new URL('./barrier-worker.mjs', import.meta.url), threads });
for (const [label, spin] of [
  ['sleep at once (spin 0)', 0],
  ['spin 200 loads, then sleep', 200],
  [`spin ${DEFAULT_SPIN} loads (default), then sleep`, DEFAULT_SPIN],
  ['spin 50000 loads, then sleep', 50_000],
]) {
  const perBarrier = [];
  for (let r = 0; r < reps; r++) {
    const control = new SharedArrayBuffer(4 * BARRIER_WORDS);
    const task = { control, participants: threads, spin, warmup: Math.min(2_000, rounds), rounds };
    const elapsedMs = await barrierPool.runOnAll(() => task);
    perBarrier.push((Math.max(...elapsedMs) * 1000) / rounds);
  }
  console.log(
    `  ${label.padEnd(42)} ${fmt(median(perBarrier))} us per barrier  (min ${fmt(Math.min(...perBarrier)).trim()})`,
  );
}
await barrierPool.close();

console.log('');
const calls = Math.max(1, Math.floor(rounds / 10));
console.log(`piscina no-op task, awaited one at a time (${calls} calls per repetition)`);
for (const poolThreads of [1, threads]) {
  const pool = new WorkerPool({ filename: new URL('./noop-worker.mjs', import.meta.url), threads: poolThreads });
  for (let i = 0; i < 500; i++) await pool.run(null);
  const perCall = [];
  for (let r = 0; r < reps; r++) {
    const start = performance.now();
    for (let i = 0; i < calls; i++) await pool.run(null);
    perCall.push(((performance.now() - start) * 1000) / calls);
  }
  console.log(
    `  ${`round trip, pool of ${poolThreads}`.padEnd(42)} ${fmt(median(perCall))} us per task     (min ${fmt(Math.min(...perCall)).trim()})`,
  );
  await pool.close();
}
