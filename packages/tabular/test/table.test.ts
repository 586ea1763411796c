import { describe, expect, it } from 'vitest';
import {
  csvSyntaxError,
  isMissing,
  listNames,
  MISSING_MARKERS,
  parseNumber,
  positionalNames,
  quote,
  TableBuilder,
  type TableOptions,
  where,
} from '../src/table.js';
import { tabularError } from './helpers.js';

/** Builds a table from records whose lines are 1, 2, 3, ... */
function build(records: string[][], options: TableOptions = {}, file = 'f.csv') {
  const b = new TableBuilder(file, options);
  records.forEach((r, i) => {
    b.add(r, i + 1);
  });
  return b.finish();
}

describe('parseNumber and missing markers', () => {
  it('accepts decimal numbers only', () => {
    expect(parseNumber('1.5e-3')).toBe(0.0015);
    expect(parseNumber('-.5')).toBe(-0.5);
    expect(parseNumber('+7')).toBe(7);
    expect(parseNumber('5.')).toBe(5);
    for (const bad of ['0x10', 'Infinity', '1,5', 'abc', '1e', '.', '', '1e999', ' 1']) {
      expect(parseNumber(bad)).toBeUndefined();
    }
  });

  it('reads the missing markers, and only them, as missing', () => {
    for (const m of MISSING_MARKERS) expect(isMissing(m)).toBe(true);
    for (const v of ['0', 'na', 'none', ' ', 'NULL']) expect(isMissing(v)).toBe(false);
  });

  it('formats places, names and values for messages', () => {
    expect(where('f.csv', 3)).toBe('f.csv:3');
    expect(where('f.csv', 3, 2)).toBe('f.csv:3:2');
    expect(positionalNames(3)).toEqual(['c1', 'c2', 'c3']);
    expect(quote('a"b')).toBe('"a\\"b"');
    expect(quote('x'.repeat(50))).toBe(`"${'x'.repeat(37)}..."`);
    expect(listNames(['a', 'b'])).toBe('a, b');
    expect(listNames(['a', 'b', 'c'], 2)).toBe('a, b, ... (3 in all)');
  });
});

describe('TableBuilder', () => {
  it('types columns from their first present value and keeps missing values', () => {
    const t = build([
      ['x', 'c', 'e'],
      ['NA', '', ''],
      ['2', 'red', 'NaN'],
      ['-3e2', 'null', ''],
    ]);
    expect(t.header).toEqual(['x', 'c', 'e']);
    expect(t.rows).toBe(3);
    expect(Array.from(t.lines)).toEqual([2, 3, 4]);
    expect(t.columns.get('x')).toMatchObject({ kind: 'numeric', position: 1 });
    expect(Array.from(t.columns.get('x')?.values as Float64Array)).toEqual([Number.NaN, 2, -300]);
    expect(t.columns.get('c')).toMatchObject({ kind: 'categorical', position: 2, values: [null, 'red', null] });
    // A column with no value at all is numeric and all NaN.
    expect(t.columns.get('e')?.kind).toBe('numeric');
    expect(Array.from(t.columns.get('e')?.values as Float64Array)).toEqual([Number.NaN, Number.NaN, Number.NaN]);
  });

  it('keeps the selected columns, honours type hints, and names columns without a header', () => {
    const t = build(
      [
        ['id', 'zip', 'y'],
        ['1', '01234', '0'],
        ['2', '99999', '1'],
      ],
      { select: () => ['zip', 'y'], types: new Map([['zip', 'categorical']]) },
    );
    expect([...t.columns.keys()]).toEqual(['zip', 'y']);
    expect(t.columns.get('zip')).toMatchObject({ kind: 'categorical', position: 2, values: ['01234', '99999'] });
    const plain = build(
      [
        ['1', '2'],
        ['3', '4'],
      ],
      { header: false },
    );
    expect(plain.header).toEqual(['c1', 'c2']);
    expect(Array.from(plain.lines)).toEqual([1, 2]);
  });

  it('refuses bad tables with the CLI messages', () => {
    const cases: [string[][], TableOptions, string, 'data' | 'usage'][] = [
      [[['a', 'b'], ['1']], {}, 'f.csv:2: ragged row: 1 field, expected 2 as in the header', 'data'],
      [
        [
          ['1', '2'],
          ['1', '2', '3'],
        ],
        { header: false },
        'f.csv:2: ragged row: 3 fields, expected 2 as in the first row',
        'data',
      ],
      [
        [
          ['a', 'b'],
          ['1', '2'],
          ['3', 'abc'],
        ],
        {},
        'f.csv:3:2: non-numeric value "abc" in numeric column "b" (the column\'s first value (line 2) is a number)',
        'data',
      ],
      [
        [
          ['a', 'b'],
          ['1', '2'],
          ['3', 'abc'],
        ],
        { numericAdvice: (c) => `pass --categorical ${c} if the column holds categories` },
        'f.csv:3:2: non-numeric value "abc" in numeric column "b" (the column\'s first value (line 2) is a number; pass --categorical b if the column holds categories)',
        'data',
      ],
      [
        [['a'], ['red']],
        { types: new Map([['a', 'numeric']]) },
        'f.csv:2:1: non-numeric value "red" in numeric column "a" (the model reads this column as numbers)',
        'data',
      ],
      [
        [
          ['a', 'a'],
          ['1', '2'],
        ],
        {},
        'f.csv:1:2: duplicate column name "a" (also column 1)',
        'data',
      ],
      [
        [
          ['a', ''],
          ['1', '2'],
        ],
        {},
        'f.csv:1:2: empty column name in the header',
        'data',
      ],
      [
        [
          ['a', 'b'],
          ['1', '2'],
        ],
        { select: () => ['z'] },
        'f.csv: no column named "z" (columns: a, b)',
        'usage',
      ],
      [[], {}, 'f.csv: empty file (expected a header row and data rows)', 'data'],
      [[['a', 'b']], {}, 'f.csv: no data rows after the header', 'data'],
    ];
    for (const [records, options, message, kind] of cases) {
      const e = tabularError(() => build(records, options));
      expect(e.message).toBe(message);
      expect(e.kind).toBe(kind);
    }
  });

  it('turns csv-parse errors into one line with the file and line, and leaves other errors alone', () => {
    const csv = Object.assign(new Error('Quote Not Closed: the parsing is finished\nmore detail'), {
      code: 'CSV_QUOTE_NOT_CLOSED',
      lines: 4,
    });
    expect(csvSyntaxError('f.csv', csv)?.message).toBe(
      'f.csv:4: CSV syntax error: Quote Not Closed: the parsing is finished',
    );
    const opening = Object.assign(new Error(`Invalid Opening Quote: value is "${'z'.repeat(100)}"`), {
      code: 'INVALID_OPENING_QUOTE',
      lines: 7,
      index: 2,
      field: 'z'.repeat(100),
    });
    expect(csvSyntaxError('f.csv', opening)?.message).toBe(
      `f.csv:7:3: CSV syntax error: a quote character inside an unquoted field (after "${'z'.repeat(37)}..."); enclose the whole field in quotes and double the quotes inside it`,
    );
    const other = Object.assign(new Error(`Max Record Size: value is "${'q'.repeat(50)}"`), {
      code: 'CSV_MAX_RECORD_SIZE',
      lines: 2,
    });
    expect(csvSyntaxError('f.csv', other)?.message).toBe(
      `f.csv:2: CSV syntax error: Max Record Size: value is "${'q'.repeat(37)}..."`,
    );
    expect(csvSyntaxError('f.csv', new Error('other'))).toBeUndefined();
    expect(csvSyntaxError('f.csv', Object.assign(new Error('x'), { code: 'ENOENT' }))).toBeUndefined();
  });
});
