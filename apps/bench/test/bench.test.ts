import { describe, expect, it } from 'vitest';
import { runBench } from '../src/bench.js';
import { machineInfo } from '../src/machine.js';
import type { EpochSample, Runner } from '../src/runners/types.js';
import { tiny } from './helpers.js';

/** A runner that takes no time, records the order it was called in, and reports the given loss. */
function stub(id: string, ms: number[], calls: string[], options: Partial<Runner> = {}): Runner {
  let i = 0;
  return {
    id,
    label: id,
    family: 'naive',
    threads: 1,
    unsupported: () => null,
    plan: (w) => ({ rows: w.rows, epochs: 2 }),
    async run(): Promise<EpochSample[]> {
      calls.push(id);
      const t = ms[i++ % ms.length];
      return [
        { ms: 1000, loss: 0.5 },
        { ms: t, loss: 0.25 },
      ];
    },
    ...options,
  };
}

describe('runBench', () => {
  it('warms up, interleaves rotated rounds, scales subsets, and records skips and failures', async () => {
    const calls: string[] = [];
    const w = tiny('A-b32', 200);
    const runners: Runner[] = [
      stub('a', [999, 10, 30, 20], calls),
      stub('b', [999, 5], calls, { plan: (x) => ({ rows: x.rows / 2, epochs: 2 }) }),
      stub('c', [1], calls, { unsupported: () => 'cannot' }),
      stub('d', [1], calls, {
        run: async () => {
          calls.push('d');
          throw new Error('boom');
        },
      }),
      stub('e', [1], calls, {
        setup: async () => {
          throw new Error('not installed');
        },
      }),
    ];
    const result = await runBench({ workloads: [w], runners, reps: 3, quick: false, machine: machineInfo() });
    // Rounds rotate: warm-up a b d (d fails and is dropped), then b (d) a, (d) a b, a b (d).
    expect(calls).toEqual(['a', 'b', 'd', 'b', 'a', 'a', 'b', 'a', 'b']);
    const a = result.results.find((r) => r.runner === 'a')!;
    expect(a.samplesMs).toEqual([10, 30, 20]);
    expect(a.msPerEpoch).toEqual({ median: 20, min: 10, max: 30 });
    expect(a.firstEpochMs.median).toBe(1000);
    expect(a.loss).toBe(0.5);
    expect(Number.isFinite(a.refLoss)).toBe(true);
    expect(a.rowsPerSec).toBe(Math.round(200 / 0.02));
    expect(a.gflops).toBeCloseTo((24_570 * 200) / 0.02 / 1e9, 3);
    const b = result.results.find((r) => r.runner === 'b')!;
    expect(b).toMatchObject({ rowsTimed: 100, scaled: true });
    expect(b.msPerEpoch.median).toBe(10);
    expect(result.skipped).toEqual([{ workload: w.id, runner: 'c', reason: 'cannot' }]);
    expect(result.failures).toEqual([
      { runner: 'e', error: 'not installed' },
      { workload: w.id, runner: 'd', error: 'boom' },
    ]);
    expect(result.runners.map((r) => r.id)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(result.results.map((r) => r.runner)).toEqual(['a', 'b']);
  });

  it('rejects a run that returns a non-finite loss', async () => {
    const w = tiny('A-b1', 50);
    const bad = stub('nan', [1], [], {
      run: async () => [
        { ms: 1, loss: Number.NaN },
        { ms: 1, loss: Number.NaN },
      ],
    });
    const result = await runBench({ workloads: [w], runners: [bad], reps: 1, quick: false, machine: machineInfo() });
    expect(result.results).toEqual([]);
    expect(result.failures[0].error).toMatch(/non-finite/);
  });

  it('runs a repetition again when other processes were busy during it, at most maxRedos times', async () => {
    const calls: string[] = [];
    const w = tiny('A-b32', 100);
    // Loads seen by successive measured calls: warm-up, then rep 1 busy twice, rep 2 busy three times.
    const loads = [0.9, 0.8, 0.7, 0.1, 0.9, 0.9, 0.9, 0.9];
    let k = 0;
    let waits = 0;
    const result = await runBench({
      workloads: [w],
      runners: [stub('a', [1, 2, 3, 4, 5, 6, 7, 8], calls)],
      reps: 2,
      quick: false,
      machine: machineInfo(),
      maxRedos: 2,
      probes: {
        withOtherLoad: async (fn) => ({ value: await fn(), otherCores: loads[k++] }),
        waitForIdle: async () => {
          waits++;
          return { waitedS: 0 };
        },
      },
    });
    const a = result.results[0];
    // Warm-up is never redone; rep 1 takes 3 runs (0.8, 0.7 redone, 0.1 kept); rep 2 gives up after 2 redos.
    expect(calls).toHaveLength(1 + 3 + 3);
    expect(waits).toBe(4);
    expect(a.samplesMs).toEqual([4, 7]);
    expect(a.redos).toBe(4);
    expect(a.otherLoad).toEqual({ median: 0.5, min: 0.1, max: 0.9 });
  });
});
