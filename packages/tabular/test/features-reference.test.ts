/**
 * The feature pipeline against a plain reference (one column at a time, every value collected, as it was written
 * before the tiled encoder and the early answers): usable rows, the inferred task, the fitted statistics and the
 * encoded matrix are bit for bit the same, and so is the first error, on generated tables with missing values,
 * categories, unknown categories and more rows than one tile.
 */
import { fitStandardizer } from '@shardprop/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TabularError } from '../src/errors.js';
import {
  type EncodeOptions,
  encodeFeatures,
  type FeatureEncoding,
  fitFeatures,
  inferTarget,
  type MissingPolicy,
  usableRows,
} from '../src/features.js';
import type { Column, Table } from '../src/table.js';

function outcome<T>(fn: () => T): T | { error: string } {
  try {
    return fn();
  } catch (error) {
    if (!(error instanceof TabularError)) throw error;
    return { error: error.message };
  }
}

function referenceRows(t: Table, names: string[], policy: MissingPolicy): Int32Array | { error: string } {
  const keep: number[] = [];
  for (let r = 0; r < t.rows; r++) {
    let ok = true;
    for (const name of names) {
      const c = t.columns.get(name) as Column;
      const missing = c.kind === 'numeric' ? Number.isNaN(c.values[r]) : c.values[r] === null;
      if (missing && policy === 'error') return { error: `${name}@${r}` };
      if (missing && policy === 'drop') ok = false;
    }
    if (ok) keep.push(r);
  }
  return Int32Array.from(keep);
}

function referenceStats(c: Column & { kind: 'numeric' }, rows: Int32Array): number[] {
  const present: number[] = [];
  for (const r of rows) if (!Number.isNaN(c.values[r])) present.push(c.values[r]);
  const mean0 = fitStandardizer(present, present.length, 1).mean[0];
  const filled = Array.from(rows, (r) => (Number.isNaN(c.values[r]) ? mean0 : c.values[r]));
  const s = fitStandardizer(filled, filled.length, 1);
  return [s.mean[0], s.std[0]];
}

function referenceEncode(t: Table, features: FeatureEncoding[], rows: Int32Array, options: EncodeOptions) {
  const width = features.reduce((w, f) => w + (f.kind === 'numeric' ? 1 : f.vocabulary.length), 0);
  const x = new Float32Array(rows.length * width);
  let offset = 0;
  for (const f of features) {
    const c = t.columns.get(f.name) as Column;
    for (let i = 0; i < rows.length; i++) {
      let v = c.values[rows[i]];
      const missing = v === null || (typeof v === 'number' && Number.isNaN(v));
      if (missing && options.missing !== 'impute') return { error: `missing ${f.name} line ${t.lines[rows[i]]}` };
      if (f.kind === 'numeric') {
        v = missing ? f.mean : (v as number);
        x[i * width + offset] = (v - f.mean) / f.std;
      } else {
        const k = f.vocabulary.indexOf(missing ? f.mode : (v as string));
        if (k < 0 && options.unknown === 'error') return { error: `unknown ${f.name} line ${t.lines[rows[i]]}` };
        if (k >= 0) x[i * width + offset + k] = 1;
      }
    }
    offset += f.kind === 'numeric' ? 1 : f.vocabulary.length;
  }
  return x;
}

/** Columns of a table: numbers with some missing, a few distinct values, or categories with some missing. */
const table = fc
  .record({
    rows: fc.integer({ min: 1, max: 4500 }),
    kinds: fc.array(fc.constantFrom('numbers', 'few', 'categories'), { minLength: 1, maxLength: 5 }),
    missing: fc.array(fc.nat(4500), { maxLength: 12 }),
    seed: fc.nat(),
  })
  .map(({ rows, kinds, missing, seed }): Table => {
    let state = seed | 1;
    const next = () => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state / 4294967296;
    };
    const columns = new Map<string, Column>();
    kinds.forEach((kind, j) => {
      const name = `c${j}`;
      if (kind === 'categories') {
        const values = Array.from({ length: rows }, () => ['a', 'b', 'c'][Math.floor(next() * 3)] as string | null);
        for (const m of missing) if (m < rows && m % kinds.length === j) values[m] = null;
        columns.set(name, { kind: 'categorical', name, position: j + 1, values });
        return;
      }
      const values = Float64Array.from({ length: rows }, () =>
        kind === 'few' ? Math.floor(next() * 3) : (next() - 0.5) * 1e3,
      );
      for (const m of missing) if (m < rows && m % kinds.length === j) values[m] = Number.NaN;
      columns.set(name, { kind: 'numeric', name, position: j + 1, values });
    });
    const header = [...columns.keys()];
    return { file: 't.csv', header, columns, rows, lines: Int32Array.from({ length: rows }, (_, r) => r + 2) };
  });

describe('the feature pipeline equals its plain reference', () => {
  it('rows, task, statistics, encoding and the first error', () => {
    fc.assert(
      fc.property(
        table,
        fc.constantFrom<MissingPolicy>('error', 'drop', 'impute'),
        fc.constantFrom<'error' | 'zeros'>('error', 'zeros'),
        (t, policy, unknown) => {
          const names = t.header;
          const features = names.slice(0, -1);
          const target = names[names.length - 1];
          const ref = referenceRows(t, names.slice(0, -1).concat([target]), policy === 'impute' ? 'drop' : policy);
          const got = outcome(() => usableRows(t, features, [target], policy).rows);
          // (Imputing keeps rows whose only missing values are features; the reference drops on the target only.)
          if (policy !== 'impute') {
            expect('error' in got).toBe('error' in ref);
            if ('error' in got) return;
            expect(Array.from(got as Int32Array)).toEqual(Array.from(ref as Int32Array));
          }
          if ('error' in got) return;
          const rows = got as Int32Array;
          if (rows.length === 0) return;
          const c = t.columns.get(target) as Column;
          if (c.kind === 'numeric') {
            const task = outcome(() => inferTarget(t, [target], rows).task);
            const distinct = new Set(Array.from(rows, (r) => c.values[r])).size;
            if (distinct > 20) expect(task).toBe('regression');
          }
          if (features.length === 0) return;
          const fitted = outcome(() => fitFeatures(t, features, rows));
          if ('error' in fitted) return;
          for (const f of fitted) {
            const col = t.columns.get(f.name) as Column;
            if (f.kind === 'numeric' && col.kind === 'numeric') {
              expect([f.mean, f.std]).toEqual(referenceStats(col, rows));
            }
          }
          // Unknown categories: the vocabulary fitted on a part of the rows meets the rest.
          // (A part whose rows miss every value of a column has nothing to fit: that case is left out.)
          const part = outcome(() => fitFeatures(t, features, rows.subarray(0, Math.max(1, rows.length >> 3))));
          // And every row, missing values included, without imputing: the first missing value is the error.
          const every = Int32Array.from({ length: t.rows }, (_, r) => r);
          const cases: [FeatureEncoding[], Int32Array, MissingPolicy][] = [
            [fitted, rows, policy],
            ...('error' in part ? [] : [[part, rows, policy] as [FeatureEncoding[], Int32Array, MissingPolicy]]),
            [fitted, every, 'error'],
          ];
          for (const [fs, rs, missing] of cases) {
            const options: EncodeOptions = { missing, unknown };
            const mine = outcome(() => encodeFeatures(t, fs, rs, options));
            const theirs = referenceEncode(t, fs, rs, options);
            expect('error' in mine).toBe('error' in theirs);
            if ('error' in mine && 'error' in theirs) {
              const [kind, name, , line] = theirs.error.split(' ');
              expect(mine.error).toContain(`t.csv:${line}:`);
              expect(mine.error).toContain(
                kind === 'missing' ? `missing value in column "${name}"` : `of column "${name}"`,
              );
            } else expect(mine).toEqual(theirs);
          }
        },
      ),
      { numRuns: 80 },
    );
  });
});
