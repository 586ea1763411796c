// The tune benchmark's pieces: the search is the issue's, a missing Python is skipped rather than fatal, and the
// report states the two target ratios from the medians.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  findPython,
  searchOptions,
  summarise,
  type TuneBenchResult,
  type TuneSample,
  toMarkdown,
} from '../src/tune-bench.js';

describe('bench:tune', () => {
  it("searches the issue's grid: (16) or (39, 39) x lr 0.1 or 0.5, sgd, batch 32, 3 folds", () => {
    const o = searchOptions(20, 2);
    expect(o.space).toEqual({
      layers: [
        [16, 1],
        [39, 39, 1],
      ],
      learningRate: [0.1, 0.5],
    });
    expect(o).toMatchObject({ loss: 'mse', activation: 'sigmoid', batchSize: 32, epochs: 20, folds: 3, threads: 2 });
    expect(o.optimizer).toEqual({ name: 'sgd', learningRate: 0.1 });
  });

  it('runs one search in a fresh process and prints its sample (--one-search)', () => {
    const bench = fileURLToPath(new URL('../dist/tune-bench.js', import.meta.url));
    const text = execFileSync(process.execPath, [bench, '--one-search', '2', '--quick'], { encoding: 'utf8' });
    const sample = JSON.parse(text.trim()) as TuneSample;
    expect(sample.ms).toBeGreaterThan(0);
    expect(sample.phases?.fitsMs).toBeGreaterThan(0);
    expect(sample.phases?.searchMs).toBeLessThanOrEqual(sample.ms);
    expect(sample.best.settings).toMatch(/^layers (16,1|39,39,1), lr 0\.(1|5)$/);
  });

  it('skips scikit-learn when no Python has it', () => {
    expect(findPython(['/nonexistent/python3'])).toBeNull();
  });

  it('reports the 2-thread and GridSearchCV ratios from the medians', () => {
    const row = (runner: string, ms: number, phases: TuneSample['phases'] = null) =>
      summarise(runner, [
        {
          ms,
          cpuMs: null,
          refitMs: null,
          phases,
          otherCores: null,
          best: { settings: 'layers 16,1, lr 0.5', mse: 0.005 },
        },
      ]);
    const result = {
      date: '2026-12-02',
      host: 'vm',
      rows: 10_000,
      epochs: 20,
      reps: 1,
      machine: { cores: 2, cpuModel: 'cpu', node: 'v20' },
      results: [
        row('shardprop tune, 1 thread', 2000, { firstFitMs: 300, searchMs: 1900, fitsMs: 1700 }),
        row('shardprop tune, 2 threads', 1000, { firstFitMs: 350, searchMs: 900, fitsMs: 1600 }),
        row('scikit-learn GridSearchCV, n_jobs=2', 9000),
        row('fresh process: shardprop tune, 1 thread', 2600, { firstFitMs: 400, searchMs: 2500, fitsMs: 2300 }),
        row('fresh process: shardprop tune, 2 threads', 2000, { firstFitMs: 450, searchMs: 1900, fitsMs: 2900 }),
      ],
      skipped: [],
    } as unknown as TuneBenchResult;
    const md = toMarkdown(result);
    // The target's ratio is of the searches in this process; the fresh processes' has a line of its own.
    expect(md).toMatch(/- 2 threads vs 1 thread: 2\.00x faster \(target >= 1\.7x\); a later search/);
    expect(md).toMatch(/the first search of a fresh process, 2 threads vs 1 thread: 1\.30x faster/);
    expect(md).toMatch(/the first search of a fresh process on 2 threads vs GridSearchCV n_jobs=2 .*: 4\.50x faster/);
    expect(md).toMatch(/GridSearchCV n_jobs=2: 9\.00x faster \(target >= 5x\)/);
    expect(md).toMatch(/\| shardprop tune, 2 threads \| 1\.00 \| 1\.00 - 1\.00 \| - \| - \|/);
    // The phases: first fit, the rest of the search, after it; the fits summed and shared by the threads.
    expect(md).toContain('| shardprop tune, 1 thread | 0.30 | 1.60 | 0.10 | 1.70 | 1.70 |');
    expect(md).toContain('| shardprop tune, 2 threads | 0.35 | 0.55 | 0.10 | 1.60 | 0.80 |');
    const phaseTable = md.slice(md.indexOf('| runner | first fit done'), md.indexOf('- 2 threads vs'));
    expect(phaseTable).toContain('shardprop tune, 1 thread');
    expect(phaseTable).not.toContain('scikit-learn');
    expect(
      summarise(
        'x',
        [1, 3, 2].map((ms) => ({
          ms,
          cpuMs: ms * 2,
          refitMs: null,
          phases: null,
          otherCores: null,
          best: { settings: '', mse: 0 },
        })),
      ),
    ).toMatchObject({ spread: { median: 2, min: 1, max: 3 }, cpuS: 0.004, refitS: null });
  });
});
