import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_SHARDS, DEFAULT_MIN_SHARD_ROWS, DEFAULT_SHARD_ROWS, shardCount } from '../src/train/step.js';

// The shard count fixes the arithmetic of every step (one gradient slot per shard, summed in a fixed tree), so it
// may depend on the batch and the `shards` option only, never on the thread count or the machine.
describe('shardCount', () => {
  it('by default: one shard per 16 rows, at most 16, and two from 16 rows on', () => {
    const cases: [number, number][] = [
      [1, 1],
      [7, 1],
      [8, 1],
      [15, 1],
      [16, 2],
      [31, 2],
      [32, 2],
      [47, 2],
      [48, 3],
      [64, 4],
      [128, 8],
      [255, 15],
      [256, 16],
      [10_000, 16],
    ];
    expect(cases.map(([rows]) => [rows, shardCount(rows)])).toEqual(cases);
  });

  it('by default: shards of at least 8 rows, 16 or more from 32 rows, at most 16 shards (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), (rows) => {
        const s = shardCount(rows);
        expect(s).toBeGreaterThanOrEqual(1);
        expect(s).toBeLessThanOrEqual(DEFAULT_MAX_SHARDS);
        if (s > 1) expect(Math.floor(rows / s)).toBeGreaterThanOrEqual(DEFAULT_MIN_SHARD_ROWS);
        if (rows >= 2 * DEFAULT_SHARD_ROWS && s < DEFAULT_MAX_SHARDS) {
          expect(Math.floor(rows / s)).toBeGreaterThanOrEqual(DEFAULT_SHARD_ROWS);
          expect(Math.floor(rows / (s + 1))).toBeLessThan(DEFAULT_SHARD_ROWS);
        }
        // A longer batch never has fewer shards.
        expect(shardCount(rows + 1)).toBeGreaterThanOrEqual(s);
      }),
    );
  });

  it('`shards` is an upper bound, and a shard has at least one row', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5_000 }), fc.integer({ min: 1, max: 64 }), (rows, shards) => {
        expect(shardCount(rows, shards)).toBe(Math.min(shards, rows));
      }),
    );
  });
});
