// Piscina task for bench/barrier.mjs: time `rounds` barrier waits after a warm-up.
import { Barrier } from '../dist/index.js';

export default function ({ control, participants, spin, warmup, rounds }) {
  const barrier = new Barrier(new Int32Array(control), { participants, spin, timeoutMs: 60_000 });
  for (let i = 0; i < warmup; i++) barrier.wait();
  const start = performance.now();
  for (let i = 0; i < rounds; i++) barrier.wait();
  return performance.now() - start;
}
