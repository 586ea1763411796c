// The scaling projection: whole shards per thread (no gain past the shard count), the update split evenly, and
// synchronisation only with more than one thread.
import { describe, expect, it } from 'vitest';
import { projectStepMs, warmupEpochs } from '../src/scaling.js';

describe('projectStepMs', () => {
  const c = { shards: 4, batchSize: 32, computeUs: 800, updateUs: 40, replicated: false };

  it('one thread is compute plus update, no sync', () => {
    expect(projectStepMs(c, 10, 1)).toBeCloseTo(0.84, 10);
  });

  it('two threads halve compute and update and pay one sync', () => {
    expect(projectStepMs(c, 10, 2)).toBeCloseTo((400 + 20 + 10) / 1000, 10);
  });

  it('past the shard count the compute stops shrinking; sync grows with log2 of the threads', () => {
    const at4 = projectStepMs(c, 10, 4);
    const at8 = projectStepMs(c, 10, 8);
    expect(at4).toBeCloseTo((200 + 10 + 20) / 1000, 10);
    expect(at8).toBeCloseTo((200 + 5 + 30) / 1000, 10);
    expect(at8).toBeGreaterThan(at4);
  });

  it('a replicated update is done whole by every thread', () => {
    expect(projectStepMs({ ...c, replicated: true }, 10, 2)).toBeCloseTo((400 + 40 + 10) / 1000, 10);
  });
});

describe('warmupEpochs', () => {
  it('at least the given epochs, and enough for 1,200 steps up to 30 epochs', () => {
    // Seed network, 10,000 rows: batch 1 (10,000 steps per epoch), 32 (313), 256 (40); wide, 4,000 rows at 256 (16).
    expect([10_000, 313, 40, 16].map((steps) => warmupEpochs(steps, 20))).toEqual([20, 20, 30, 30]);
    expect(warmupEpochs(100, 10)).toBe(12);
    expect(warmupEpochs(100, 0)).toBe(12);
    expect(warmupEpochs(100, 50)).toBe(50);
  });
});
