// The features bench measures what it says: every case runs the trainer's step (a case with dropout really
// drops units), and the report has one positive time per case, relative to the case with no feature.
import { describe, expect, it } from 'vitest';
import { FEATURE_CASES, measureFeatures } from '../src/features.js';
import { WORKLOADS, workloadData } from '../src/workloads.js';

describe('bench:features', () => {
  it('times every case once per round and reports ratios to the case with none', () => {
    const w = WORKLOADS.find((x) => x.id === 'A-b32');
    if (!w) throw new Error('no A-b32 workload');
    const costs = measureFeatures(w, workloadData(w, 256), 1);
    expect(costs.map((c) => c.name)).toEqual(FEATURE_CASES.map((c) => c.name));
    for (const c of costs) expect(c.stepUs).toBeGreaterThan(0);
    expect(costs[0].relative).toBe(1);
    expect(costs[1].relative).toBeCloseTo(costs[1].stepUs / costs[0].stepUs, 12);
  });
});
