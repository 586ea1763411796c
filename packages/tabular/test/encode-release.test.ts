/**
 * `encodeFeatures` with `release`: the same matrix (bits) and the same first error as without it, on tables built
 * by `TableBuilder` (whose numeric columns can give their memory back), for every row selection and missing-value
 * policy; afterwards the numeric feature columns are gone from the table and their memory is given back.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type EncodeOptions, encodeFeatures, fitFeatures, inputWidth, usableRows } from '../src/features.js';
import { type Table, TableBuilder } from '../src/table.js';

/**
 * A table of `rows` rows: numeric columns n0.. (cell (r, j) missing when `missing(r, j)`), a categorical `k` and a
 * target `t`.
 */
function build(rows: number, numeric: number, missing: (r: number, j: number) => boolean, reserve: boolean): Table {
  const names = [...Array.from({ length: numeric }, (_, j) => `n${j}`), 'k', 't'];
  const b = new TableBuilder('t.csv');
  b.add(names, 1);
  if (reserve) b.reserve(rows);
  for (let r = 0; r < rows; r++) {
    const record = names.map((name, j) => {
      if (name === 'k') return `c${r % 3}`;
      if (name === 't') return String(r % 2);
      return missing(r, j) ? '' : String(((r * 7919 + j * 104729) % 1000) / 37 - 13);
    });
    b.add(record, r + 2);
  }
  return b.finish();
}

function attempt(fn: () => Float32Array): Float32Array | string {
  try {
    return fn();
  } catch (error) {
    return (error as Error).message;
  }
}

describe('encodeFeatures with release', () => {
  it('into: refuses an array of the wrong length, naming both lengths', () => {
    const table = build(10, 2, () => false, false);
    const { rows } = usableRows(table, ['n0', 'n1'], ['t'], 'error');
    const features = fitFeatures(table, ['n0', 'n1'], rows);
    expect(() =>
      encodeFeatures(table, features, rows, { missing: 'error', unknown: 'error', into: new Float32Array(19) }),
    ).toThrow('encodeFeatures: into has 19 values, 10 rows x 2 need 20');
  });

  it('gives the bits and the first error of the plain encoding, and takes the numeric columns out of the table', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20_000 }),
        fc.integer({ min: 1, max: 4 }),
        fc.oneof(fc.constant(0), fc.integer({ min: 20, max: 2000 })),
        fc.constantFrom<EncodeOptions['missing']>('error', 'drop', 'impute'),
        fc.boolean(),
        fc.constantFrom('all', 'shuffled', 'middle'),
        fc.boolean(),
        (rows, numeric, every, missing, reserve, order, given) => {
          // Sparse missing cells (none, or one in `every` per column at a place of its own), so that rows are left.
          const holes = (r: number, j: number) => every > 1 && (r * 31 + j * 17) % every === 0;
          const names = [...Array.from({ length: numeric }, (_, j) => `n${j}`), 'k'];
          const plain = build(rows, numeric, holes, reserve);
          const released = build(rows, numeric, holes, reserve);
          let used: Int32Array;
          try {
            ({ rows: used } = usableRows(plain, names, ['t'], missing === 'error' ? 'impute' : missing));
          } catch {
            fc.pre(false); // row 0 always has a hole: with `drop` and a row or two, none is left to encode
            return;
          }
          // A shuffled selection is encoded without giving memory back early, to the same bits; a middle part of
          // the rows (consecutive ones when no row was dropped) starts elsewhere than row 0.
          const selection =
            order === 'shuffled'
              ? used.slice().reverse()
              : order === 'middle'
                ? used.subarray(used.length >> 2, used.length - (used.length >> 3))
                : used;
          let features: ReturnType<typeof fitFeatures>;
          try {
            features = fitFeatures(plain, names, used);
          } catch {
            fc.pre(false); // a column whose every used value is missing: nothing to encode
            return;
          }
          const options: EncodeOptions = { missing, unknown: 'error' };
          const expected = attempt(() => encodeFeatures(plain, features, selection, options));
          // `into`: the caller's zero-filled array, filled in place with the same bits.
          const into = given ? new Float32Array(selection.length * inputWidth(features)) : undefined;
          const got = attempt(() =>
            encodeFeatures(released, features, selection, { ...options, release: true, ...(into ? { into } : {}) }),
          );
          if (typeof expected === 'string') {
            expect(got).toBe(expected);
            return;
          }
          expect(got).toBeInstanceOf(Float32Array);
          if (into) expect(got).toBe(into);
          expect(new Uint8Array((got as Float32Array).buffer)).toEqual(new Uint8Array(expected.buffer));
          expect([...released.columns.keys()]).toEqual(['k', 't']);
          expect(plain.columns.size).toBe(numeric + 2);
        },
      ),
      { numRuns: 15 },
    );
  });

  it("gives a numeric column's memory back as it goes, to the plain encoding's bits, leaving other columns", () => {
    const expected = (() => {
      const plain = build(200_000, 2, () => false, true);
      const { rows } = usableRows(plain, ['n0', 'n1'], ['t'], 'error');
      return encodeFeatures(plain, fitFeatures(plain, ['n0', 'n1'], rows), rows, {
        missing: 'error',
        unknown: 'error',
      });
    })();
    const table = build(200_000, 2, () => false, true);
    const column = table.columns.get('n0');
    if (column?.kind !== 'numeric') throw new Error('expected a numeric column');
    const buffer = column.values.buffer;
    expect(buffer.byteLength).toBe(200_000 * 8);
    const { rows } = usableRows(table, ['n0', 'n1'], ['t'], 'error');
    const features = fitFeatures(table, ['n0', 'n1'], rows);
    const x = encodeFeatures(table, features, rows, { missing: 'error', unknown: 'error', release: true });
    expect(new Uint8Array(x.buffer)).toEqual(new Uint8Array(expected.buffer));
    expect(buffer.byteLength).toBe(0);
    expect(table.columns.has('n0')).toBe(false);
    expect(table.columns.get('t')?.values.length).toBe(200_000);
  });
});
