import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seedCsv, sixDigits } from '../src/seed.js';

const reference = (v: number) => Number(v.toPrecision(6));

describe('sixDigits', () => {
  it('is Number(v.toPrecision(6)), bit for bit, for any double (property)', () => {
    fc.assert(
      fc.property(fc.double(), (v) => {
        expect(Object.is(sixDigits(v), reference(v))).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });

  it('agrees at and next to the ties and the powers of ten, where rounding is closest', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100_000, max: 999_999 }),
        fc.integer({ min: -20, max: 20 }),
        fc.constantFrom(-2, -1, 0, 1, 2),
        fc.boolean(),
        (n, e, nudge, negative) => {
          // (n + 0.5) x 10^e, and the doubles a few ulps around it.
          let v = (n + 0.5) * 10 ** e;
          for (let i = 0; i < Math.abs(nudge); i++) v = nudge > 0 ? nextUp(v) : nextDown(v);
          if (negative) v = -v;
          expect(Object.is(sixDigits(v), reference(v))).toBe(true);
          const p = 10 ** e * (nudge >= 0 ? 1 : 1 - 2 ** -52);
          expect(Object.is(sixDigits(p), reference(p))).toBe(true);
        },
      ),
      { numRuns: 5_000 },
    );
    for (const v of [0, -0, 999_999.5, 99_999.95, 1e-300, 5e-324, 1e300, 1e21, Number.NaN, Infinity, -Infinity]) {
      expect(Object.is(sixDigits(v), reference(v))).toBe(true);
    }
  });

  it('gives the numbers of data/seed.csv', () => {
    const file = readFileSync(fileURLToPath(new URL('../../../data/seed.csv', import.meta.url)), 'utf8');
    const rows = 2_000;
    const head = file
      .split('\n')
      .slice(0, rows + 1)
      .join('\n');
    expect(seedCsv(rows)).toBe(`${head}\n`);
  });
});

function nextUp(x: number): number {
  const b = new Float64Array([x]);
  const i = new BigInt64Array(b.buffer);
  i[0] += x >= 0 ? 1n : -1n;
  return b[0];
}

function nextDown(x: number): number {
  const b = new Float64Array([x]);
  const i = new BigInt64Array(b.buffer);
  i[0] += x > 0 ? -1n : 1n;
  return b[0];
}
