import { describe, expect, it } from 'vitest';
import {
  type Advice,
  chooseColumns,
  decodeOutputs,
  defaultLoss,
  defaultOutputActivation,
  encodeDataset,
  encodeFeatures,
  fitFeatures,
  inferTarget,
  inputNames,
  normalization,
  usableRows,
} from '../src/features.js';
import type { Column, Table } from '../src/table.js';
import { tabularError } from './helpers.js';

// The CLI's advice, so the messages below are the ones `shardprop` prints.
const CLI: Advice = {
  missingFeature: 'pass --drop-missing or --impute mean',
  missingTarget: 'pass --drop-missing to leave such rows out',
  unknownCategory: 'pass --unknown zeros to encode it as all zeros',
};

function table(cols: Record<string, (number | string | null)[]>): Table {
  const names = Object.keys(cols);
  const rows = cols[names[0]].length;
  const columns = new Map<string, Column>();
  names.forEach((name, i) => {
    const v = cols[name];
    if (v.every((x) => typeof x === 'number' || x === null)) {
      columns.set(name, {
        kind: 'numeric',
        name,
        position: i + 1,
        values: Float64Array.from(v, (x) => (x === null ? Number.NaN : (x as number))),
      });
    } else {
      columns.set(name, { kind: 'categorical', name, position: i + 1, values: v as (string | null)[] });
    }
  });
  return { file: 't.csv', header: names, columns, rows, lines: Int32Array.from({ length: rows }, (_, r) => r + 2) };
}

const all = (t: Table) => Int32Array.from({ length: t.rows }, (_, i) => i);

describe('task inference', () => {
  it('infers regression, binary and multi-class targets', () => {
    const t = table({
      r: [0.1, 0.5, 2.25, 3],
      b: [0, 1, 1, 0],
      s: ['a', 'b', 'c', 'a'],
      k: [1, 2, 3, 1],
      w: ['no', 'yes', 'yes', 'no'],
    });
    expect(inferTarget(t, ['r'], all(t))).toEqual({ task: 'regression', columns: ['r'] });
    expect(inferTarget(t, ['b'], all(t))).toEqual({ task: 'binary', column: 'b', classes: ['0', '1'], numeric: true });
    expect(inferTarget(t, ['s'], all(t))).toEqual({
      task: 'multiclass',
      column: 's',
      classes: ['a', 'b', 'c'],
      numeric: false,
    });
    expect(inferTarget(t, ['k'], all(t))).toMatchObject({ task: 'multiclass', classes: ['1', '2', '3'] });
    expect(inferTarget(t, ['w'], all(t))).toMatchObject({ task: 'binary', classes: ['no', 'yes'] });
    expect(inferTarget(t, ['k'], all(t), 'regression')).toEqual({ task: 'regression', columns: ['k'] });
    expect(tabularError(() => inferTarget(t, ['s'], all(t), 'regression')).kind).toBe('usage');
    expect(tabularError(() => inferTarget(t, ['s'], all(t), 'binary')).message).toContain('has 3 classes');
  });
});

describe('encoding', () => {
  it('standardises numbers with the population std and one-hot encodes categories', () => {
    const t = table({ x: [1, 2, 3, 4], c: ['red', 'blue', 'red', 'green'], k: [5, 5, 5, 5], y: [0, 1, 0, 1] });
    const features = fitFeatures(t, ['x', 'c', 'k'], all(t));
    expect(features[0]).toEqual({ name: 'x', kind: 'numeric', mean: 2.5, std: Math.sqrt(1.25) });
    expect(features[1]).toEqual({ name: 'c', kind: 'categorical', vocabulary: ['blue', 'green', 'red'], mode: 'red' });
    expect(features[2]).toEqual({ name: 'k', kind: 'numeric', mean: 5, std: 1 });
    expect(inputNames(features)).toEqual(['x', 'c=blue', 'c=green', 'c=red', 'k']);
    const x = encodeFeatures(t, features, all(t), { missing: 'error', unknown: 'error' });
    const s = Math.sqrt(1.25);
    expect(Array.from(x.subarray(0, 5))).toEqual([Math.fround(-1.5 / s), 0, 0, 1, 0]);
    expect(Array.from(x.subarray(5, 10))).toEqual([Math.fround(-0.5 / s), 1, 0, 0, 0]);
  });

  it('encodes targets as the loss needs them', () => {
    const t = table({ x: [1, 2, 3], y: ['b', 'a', 'c'] });
    const target = inferTarget(t, ['y'], all(t));
    const encoding = { features: fitFeatures(t, ['x'], all(t)), target };
    const cce = encodeDataset(t, encoding, all(t), 'categoricalCrossentropy', 3, {
      missing: 'error',
      unknown: 'error',
    });
    expect(Array.from(cce.y)).toEqual([0, 1, 0, 1, 0, 0, 0, 0, 1]);
    const scce = encodeDataset(t, encoding, all(t), 'sparseCategoricalCrossentropy', 3, {
      missing: 'error',
      unknown: 'error',
    });
    expect(Array.from(scce.y)).toEqual([1, 0, 2]);
  });

  it('errors on unseen categories with their location, or encodes zeros', () => {
    const train = table({ c: ['a', 'b'] });
    const features = fitFeatures(train, ['c'], all(train));
    const test = table({ c: ['b', 'z'] });
    const e = tabularError(() =>
      encodeFeatures(test, features, all(test), { missing: 'error', unknown: 'error', advice: CLI }),
    );
    expect(e.message).toBe(
      't.csv:3:1: category "z" of column "c" was not seen in training (known: a, b); pass --unknown zeros to encode it as all zeros',
    );
    expect(e.kind).toBe('data');
    expect(
      tabularError(() => encodeFeatures(test, features, all(test), { missing: 'error', unknown: 'error' })).message,
    ).toBe('t.csv:3:1: category "z" of column "c" was not seen in training (known: a, b)');
    expect(Array.from(encodeFeatures(test, features, all(test), { missing: 'error', unknown: 'zeros' }))).toEqual([
      0, 1, 0, 0,
    ]);
  });

  it('names the column and line of values too large to standardise, and of targets beyond float32', () => {
    const t = table({ a: [1, 1e308, 1e308, 2], y: [0.5, 1, 1e39, 1] });
    expect(tabularError(() => fitFeatures(t, ['a'], all(t))).message).toBe(
      't.csv:3:1: column "a" holds values too large to standardise (its mean or standard deviation overflows; largest 1e+308); rescale the column',
    );
    const spread = table({ a: [-1e200, 1e200, 0] });
    expect(tabularError(() => fitFeatures(spread, ['a'], all(spread))).message).toMatch(
      /^t\.csv:2:1: column "a" holds/,
    );
    const encoding = { features: fitFeatures(t, ['a'], Int32Array.of(0, 3)), target: inferTarget(t, ['y'], all(t)) };
    expect(
      tabularError(() =>
        encodeDataset(t, encoding, Int32Array.of(0, 2), 'meanSquaredError', 1, { missing: 'error', unknown: 'error' }),
      ).message,
    ).toBe(
      't.csv:4:2: target value 1e+39 of column "y" is beyond float32\'s range (about 3.4e38), which training uses; rescale the column',
    );
  });

  it('handles missing values: error, drop or impute', () => {
    const t = table({ x: [1, null, 3, 4], c: ['a', 'b', null, 'b'], y: [1, 2, 3, null] });
    const e = tabularError(() => usableRows(t, ['x', 'c'], ['y'], 'error', CLI));
    expect(e.message).toBe('t.csv:3:1: missing value in column "x"; pass --drop-missing or --impute mean');
    expect(tabularError(() => usableRows(t, ['x', 'c'], ['y'], 'error')).message).toBe(
      't.csv:3:1: missing value in column "x"',
    );
    const target = tabularError(() => usableRows(t, [], ['y'], 'error', { missingTarget: 'leave the row out' }));
    expect(target.message).toBe('t.csv:5:3: missing value in column "y"; leave the row out');
    expect(Array.from(usableRows(t, ['x', 'c'], ['y'], 'drop').rows)).toEqual([0]);
    const { rows, dropped } = usableRows(t, ['x', 'c'], ['y'], 'impute');
    expect(Array.from(rows)).toEqual([0, 1, 2]);
    expect(dropped).toBe(1);
    const features = fitFeatures(t, ['x', 'c'], rows);
    expect(features[0]).toMatchObject({ mean: 2 });
    expect(features[1]).toMatchObject({ mode: 'a' });
    const x = encodeFeatures(t, features, rows, { missing: 'impute', unknown: 'error' });
    expect(x[3]).toBe(0); // row 1: x imputed with the mean, standardised to 0
  });

  it('chooses columns and refuses unknown ones', () => {
    expect(chooseColumns('f', ['a', 'b', 'y'], ['y'])).toEqual({ features: ['a', 'b'], targets: ['y'] });
    expect(chooseColumns('f', ['a', 'b', 'y'], ['y'], undefined, ['b'])).toEqual({ features: ['a'], targets: ['y'] });
    expect(tabularError(() => chooseColumns('f', ['a', 'y'], ['z'])).message).toBe(
      '--target: f has no column named "z" (columns: a, y)',
    );
  });

  it('chooses the default loss, output activation and normalization', () => {
    const t = table({ x: [1, 2, 3], p: [0, 0.5, 1], r: [0, 2, 7.5], s: ['a', 'b', 'c'] });
    const rows = all(t);
    const p = inferTarget(t, ['p'], rows);
    expect(defaultLoss(p)).toBe('meanSquaredError');
    expect(defaultOutputActivation(p, 'meanSquaredError', 1, t, rows)).toBe('sigmoid');
    const r = inferTarget(t, ['r'], rows);
    expect(defaultOutputActivation(r, 'meanSquaredError', 1, t, rows)).toBe('linear');
    const s = inferTarget(t, ['s'], rows);
    expect(defaultLoss(s)).toBe('categoricalCrossentropy');
    expect(defaultOutputActivation(s, 'categoricalCrossentropy', 3, t, rows)).toBe('softmax');
    const encoding = { features: fitFeatures(t, ['x', 's'], rows), target: r };
    expect(normalization(encoding)).toEqual({ mean: [2, 0, 0, 0], std: [Math.sqrt(2 / 3), 1, 1, 1] });
  });

  it('decodes raw outputs when the model has no target encoding', () => {
    expect(decodeOutputs(undefined, Float32Array.of(0.5, 1.25), 1, 2)).toEqual({
      columns: ['output_1', 'output_2'],
      cells: [[0.5, 1.25]],
    });
  });

  it('decodes class outputs into labels and probabilities', () => {
    const target = { task: 'binary' as const, column: 'y', classes: ['no', 'yes'], numeric: false };
    const d = decodeOutputs(target, Float32Array.of(0.25, 0.75), 2, 1);
    expect(d.columns).toEqual(['predicted_y', 'p_no', 'p_yes']);
    expect(d.cells).toEqual([
      ['no', 0.75, 0.25],
      ['yes', 0.25, 0.75],
    ]);
  });
});
