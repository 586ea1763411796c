import { trainFlopsPerRow as coreTrainFlops, mlpSpec, paramLayout } from '@shardprop/core';
import { describe, expect, it } from 'vitest';
import {
  flopsPerEpoch,
  paramCount,
  selectWorkloads,
  trainFlopsPerRow,
  WORKLOADS,
  workloadSpec,
} from '../src/workloads.js';

describe('FLOP counting', () => {
  it('counts the seed network by hand: 2 x (39x39 x2 + (39x39 x3) x2 + 39x1 x3) per row', () => {
    const macs = 39 * 39 * 2 + 39 * 39 * 3 * 2 + 39 * 1 * 3;
    expect(trainFlopsPerRow(39, [39, 39, 39, 1])).toBe(2 * macs);
    expect(trainFlopsPerRow(39, [39, 39, 39, 1])).toBe(24_570);
  });

  it('counts the wide network by hand', () => {
    expect(trainFlopsPerRow(784, [256, 128, 10])).toBe(2 * (784 * 256 * 2 + 256 * 128 * 3 + 128 * 10 * 3));
    expect(trainFlopsPerRow(784, [256, 128, 10])).toBe(1_007_104);
  });

  it('agrees with @shardprop/core for every workload', () => {
    for (const w of WORKLOADS) {
      expect(trainFlopsPerRow(w.inputSize, w.units)).toBe(coreTrainFlops(paramLayout(workloadSpec(w))));
      expect(paramCount(w)).toBe(paramLayout(workloadSpec(w)).paramCount);
    }
    expect(coreTrainFlops(paramLayout(mlpSpec(3, [2], 'linear')))).toBe(trainFlopsPerRow(3, [2]));
  });

  it('scales per epoch with the rows', () => {
    const a = WORKLOADS.find((w) => w.id === 'A-b32')!;
    expect(flopsPerEpoch(a)).toBe(24_570 * 10_000);
    expect(paramCount(a)).toBe(4_720);
  });
});

describe('workload selection', () => {
  it('selects by id, by family and all', () => {
    expect(selectWorkloads(undefined).map((w) => w.id)).toEqual(['A-b1', 'A-b32', 'A-b256', 'B-b256']);
    expect(selectWorkloads('A').map((w) => w.id)).toEqual(['A-b1', 'A-b32', 'A-b256']);
    expect(selectWorkloads('b-b256,A-b1').map((w) => w.id)).toEqual(['A-b1', 'B-b256']);
    expect(() => selectWorkloads('C')).toThrow(/unknown workload "C"/);
  });
});
