// The search's workers outlive a search: a later search in the process finds them started and warm, they never
// take one search's data for another's, a search beside another gets workers of its own, they exit when closed or
// left idle, and idle workers never keep the process alive. Workers started are counted with Node's own
// 'worker_threads' diagnostics channel, published once per `new Worker`. Needs the compiled worker (the test task
// builds first).
import { spawnSync } from 'node:child_process';
import dc from 'node:diagnostics_channel';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../src/data/dataset.js';
import { seedProblem } from '../src/data/synthetic.js';
import { closeSearchWorkers, SEARCH_WORKERS_IDLE_MS, startSearchWorkers } from '../src/parallel/search-workers.js';
import { type TuneOptions, type TuneResult, tune } from '../src/parallel/tune.js';
import { SMALL_SEARCH } from './helpers.js';

const base: TuneOptions = SMALL_SEARCH;
// Two problems of the same shape: a worker that kept the first one's rows would train the second without an error,
// on the wrong rows.
const first = seedProblem({ rows: 300, seed: 3 });
const second = seedProblem({ rows: 300, seed: 4 });

let started = 0;
beforeAll(() => {
  dc.subscribe('worker_threads', () => {
    started++;
  });
});
afterEach(() => closeSearchWorkers());

/** Everything a search decides, without the times. */
const outcome = (r: TuneResult) => ({
  trials: r.trials.map(({ ms: _ms, ...rest }) => rest),
  best: r.best,
  weights: Buffer.from(r.refit?.model.params.buffer as ArrayBuffer),
});
const search = (data: Dataset, threads: number) => tune(data, { ...base, threads });

describe('search workers', () => {
  it('are kept for the next search, which trains on its own data, as one thread would', async () => {
    const before = started;
    await search(first, 2);
    const afterFirst = started;
    expect(afterFirst - before).toBe(1); // the calling thread is one lane, a worker the other
    const again = await search(second, 2);
    expect(started).toBe(afterFirst);
    expect(outcome(again)).toEqual(outcome(await search(second, 1)));
  });

  it('give a search beside a running one workers of its own, and keep the first ones', async () => {
    await search(first, 2);
    const before = started;
    const [a, b] = await Promise.all([search(first, 2), search(second, 2)]);
    expect(started - before).toBe(1);
    expect(outcome(a)).toEqual(outcome(await search(first, 1)));
    expect(outcome(b)).toEqual(outcome(await search(second, 1)));
    const kept = started;
    await search(second, 2);
    expect(started).toBe(kept);
  });

  it('are replaced by more when a search needs more, with the same results', async () => {
    await search(first, 2);
    const before = started;
    const three = await search(second, 3);
    expect(started - before).toBe(2);
    expect(outcome(three)).toEqual(outcome(await search(second, 1)));
  });

  it('can be started before the search, which then starts none', async () => {
    const before = started;
    startSearchWorkers(1);
    expect(started - before).toBe(1);
    startSearchWorkers(1);
    await search(first, 2);
    expect(started - before).toBe(1);
    expect(() => startSearchWorkers(0)).toThrow(/threads must be a positive integer, got 0/);
  });

  it('exit when closed, and a later search starts new ones', async () => {
    await search(first, 2);
    await closeSearchWorkers();
    const before = started;
    await search(first, 2);
    expect(started - before).toBe(1);
  });

  it('exit after waiting keepWorkersMs for the next search, or with the search for 0', async () => {
    await tune(first, { ...base, threads: 2, keepWorkersMs: 300 });
    await new Promise((resolve) => setTimeout(resolve, 800));
    let before = started;
    await tune(first, { ...base, threads: 2, keepWorkersMs: 0 });
    expect(started - before).toBe(1);
    before = started;
    await tune(first, { ...base, threads: 2, keepWorkersMs: Number.POSITIVE_INFINITY });
    expect(started - before).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await search(first, 2);
    expect(started - before).toBe(1);
    await expect(tune(first, { ...base, threads: 2, keepWorkersMs: -1 })).rejects.toThrow(
      /options.keepWorkersMs must be a number of milliseconds >= 0, got -1/,
    );
    expect(() => startSearchWorkers(1, { idleMs: 0 })).toThrow(
      /options.idleMs must be a positive number of milliseconds, got 0/,
    );
  });

  it('never keep the process alive', { timeout: 30_000 }, () => {
    // A program that searches on 2 threads and closes nothing ends when its work does, before the workers'
    // idle time is up.
    const dist = fileURLToPath(new URL('../dist/parallel/index.js', import.meta.url));
    const core = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    const program = `
      const { seedProblem } = await import(${JSON.stringify(core)});
      const { tune } = await import(${JSON.stringify(dist)});
      const r = await tune(seedProblem({ rows: 300, seed: 3 }), ${JSON.stringify({ ...base, threads: 2 })});
      console.log('searched', r.trials.length);`;
    const t0 = performance.now();
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', program], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    const ms = performance.now() - t0;
    expect(child.stderr).toBe('');
    expect(child.stdout.trim()).toBe('searched 4');
    expect(SEARCH_WORKERS_IDLE_MS).toBeGreaterThan(20_000);
    expect(ms).toBeLessThan(10_000);
  });
});
