// The features benchmark's pieces: every variant is a valid fit configuration on a valid model and turns on what
// its name says, and the report's overheads come from the medians against the no-feature variant (no timing is
// asserted).
import { Mlp } from '@shardprop/core';
import { prepareData, resolveFitOptions } from '@shardprop/core/internal';
import { describe, expect, it } from 'vitest';
import {
  benchRowWeights,
  type FeaturesResult,
  summarise,
  toMarkdown,
  VARIANTS,
  variantOptions,
  variantSpec,
} from '../src/features-bench.js';

describe('bench:features', () => {
  it('has the no-feature baseline first, then each feature alone, then all together; every one is valid', () => {
    expect(VARIANTS.map((v) => v.name)).toEqual([
      'none',
      'l2',
      'l1',
      'clip-norm',
      'clip-value',
      'lr schedule (cosine)',
      'dropout 0.2',
      'row weights',
      'dropout + row weights',
      'all',
    ]);
    const weights = benchRowWeights(8);
    for (const v of VARIANTS) {
      expect(() => resolveFitOptions(variantOptions(v, weights, 'js'))).not.toThrow();
      expect(() => variantSpec(v)).not.toThrow();
    }
  });

  it('the dropout variants drop after every hidden layer and the weighted ones weight every row differently', () => {
    const rows = 8;
    const data = {
      rows,
      features: 39,
      outputs: 1,
      x: new Float32Array(rows * 39),
      y: new Float32Array(rows),
    };
    for (const v of VARIANTS) {
      const spec = variantSpec(v);
      const hidden = spec.layers.slice(0, -1).map((l) => l.dropout ?? 0);
      expect(hidden).toEqual(v.name.includes('dropout') || v.name === 'all' ? [0.2, 0.2, 0.2] : [0, 0, 0]);
      const model = Mlp.create(spec, { seed: 1 });
      const { train } = prepareData(model, data, resolveFitOptions(variantOptions(v, benchRowWeights(rows), 'js')));
      if (v.name.includes('weights') || v.name === 'all') {
        expect(Array.from(train.weights ?? [])).toEqual([0.5, 1, 1.5, 2, 0.5, 1, 1.5, 2]);
      } else {
        expect(train.weights).toBeUndefined();
      }
    }
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
