import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatInt } from '../src/progress.js';

describe('formatInt', () => {
  it("prints what toLocaleString('en-US') prints for the rounded number (property)", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer(),
          fc.double({ min: -1e16, max: 1e16, noNaN: true }),
          fc.constantFrom(0, -0, -0.4, 0.5, 999.5, 1e21, Number.NaN, Number.POSITIVE_INFINITY),
        ),
        (n) => {
          expect(formatInt(n)).toBe(Math.round(n).toLocaleString('en-US'));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('groups by thousands', () => {
    expect([0, 7, 999, 1000, 12_345, -1_234_567].map(formatInt)).toEqual([
      '0',
      '7',
      '999',
      '1,000',
      '12,345',
      '-1,234,567',
    ]);
  });
});
