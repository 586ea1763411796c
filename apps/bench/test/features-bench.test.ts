// The features benchmark's pieces: every variant is a valid fit configuration, and the report's overheads come
// from the medians against the no-feature variant (no timing is asserted).
import { resolveFitOptions } from '@shardprop/core/internal';
import { describe, expect, it } from 'vitest';
import { type FeaturesResult, summarise, toMarkdown, VARIANTS } from '../src/features-bench.js';

describe('bench:features', () => {
  it('has the no-feature baseline first, then each feature alone, then all together; every one is valid', () => {
    expect(VARIANTS.map((v) => v.name)).toEqual([
      'none',
      'l2',
      'l1',
      'clip-norm',
      'clip-value',
      'lr schedule (cosine)',
      'all',
    ]);
    for (const v of VARIANTS) expect(() => resolveFitOptions({ loss: 'mse', epochs: 1, ...v.options })).not.toThrow();
  });

  it('reports median, range and the overhead of each median against none', () => {
    const rows = summarise(
      ['none', 'l2'],
      [
        [100, 90, 110],
        [120, 150, 100],
      ],
    );
    expect(rows[0]).toMatchObject({ name: 'none', spread: { median: 100, min: 90, max: 110 }, overhead: null });
    expect(rows[1].spread.median).toBe(120);
    expect(rows[1].overhead).toBeCloseTo(0.2, 12);
    const result: FeaturesResult = {
      date: '2026-12-02',
      host: 'vm',
      rows: 10_000,
      batchSize: 32,
      threads: 1,
      kernels: 'wasm',
      reps: 3,
      machine: { cores: 2, cpuModel: 'cpu', node: 'v20' },
      results: rows,
    };
    const md = toMarkdown(result);
    expect(md).toContain('| none | 100.0 | 90.0-110.0 |  |');
    expect(md).toContain('| l2 | 120.0 | 100.0-150.0 | +20.0% |');
  });
});
