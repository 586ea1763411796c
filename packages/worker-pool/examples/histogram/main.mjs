import { BARRIER_WORDS, Barrier, SharedArena, WorkerPool } from '@shardprop/worker-pool';

const threads = 2; // worker threads, all taking part in the barrier
const bins = 10;
const n = 1_000_000;
const arena = SharedArena.create({
  data: { type: 'f64', length: n }, // input, written once here, read by every worker
  slots: { type: 'f64', length: threads * bins }, // one partial histogram per worker
  hist: { type: 'f64', length: bins }, // the result
  control: { type: 'i32', length: BARRIER_WORDS },
});
const data = arena.view('data');
for (let i = 0; i < n; i++) data[i] = (Math.sin(i) + 1) / 2.000001;
const barrier = new Barrier(arena.view('control'), { participants: threads });
const pool = new WorkerPool({ filename: new URL('./worker.mjs', import.meta.url), threads });
await pool.runOnAll((index) => ({ arena: arena.describe(), index, threads, bins }), {
  onFailure: () => barrier.abort(), // a failed worker must not leave the others waiting at the barrier
});
await pool.close();
console.log(Array.from(arena.view('hist')).join(' '));
