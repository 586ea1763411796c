/**
 * parseCsvText: csv-parse's syntax with the CLI's options, and the CLI's messages for bad files (the same table
 * as `shardprop train --data <file>` prints; packages/cli/test/csv.test.ts checks the two readers agree).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCsvText } from '../src/parse.js';
import { MISSING_MARKERS, type Table } from '../src/table.js';
import { tabularError } from './helpers.js';

function errorOf(text: string, file: string): string {
  return tabularError(() => parseCsvText(text, file)).message;
}

const values = (t: Table, name: string) => {
  const c = t.columns.get(name);
  return c?.kind === 'numeric' ? Array.from(c.values) : c?.values;
};

describe('parseCsvText messages match the CLI', () => {
  it.each([
    ['ragged.csv', 'a,b,y\n1,2,3\n4,5\n', 'ragged.csv:3: ragged row: 2 fields, expected 3 as in the header'],
    [
      'nonnum.csv',
      'a,b,y\n1,2,3\n4,x,6\n',
      `nonnum.csv:3:2: non-numeric value "x" in numeric column "b" (the column's first value (line 2) is a number)`,
    ],
    [
      'trail.csv',
      'a,b,y\n1,2,3\n4,5,6 x\n',
      `trail.csv:3:3: non-numeric value "6 x" in numeric column "y" (the column's first value (line 2) is a number)`,
    ],
    ['empty.csv', '', 'empty.csv: empty file (expected a header row and data rows)'],
    ['blank.csv', '\n\n  \n', 'blank.csv: empty file (expected a header row and data rows)'],
    ['bom.csv', '\ufeff', 'bom.csv: empty file (expected a header row and data rows)'],
    ['header.csv', 'a,b,y\n', 'header.csv: no data rows after the header'],
    ['dup.csv', 'a,a,y\n1,2,3\n', 'dup.csv:1:2: duplicate column name "a" (also column 1)'],
    ['emptyname.csv', 'a,,y\n1,2,3\n', 'emptyname.csv:1:2: empty column name in the header'],
    [
      'quote.csv',
      'a,b,y\n1,"2,3\n4,5,6\n',
      'quote.csv:3: CSV syntax error: Quote Not Closed: the parsing is finished with an opening quote at line 3',
    ],
    [
      'badquote.csv',
      'a,b,y\n1,2,"3"x\n',
      'badquote.csv:2:3: CSV syntax error: Invalid Closing Quote: got "x" at line 2 instead of delimiter, record delimiter, trimable character (if activated) or comment',
    ],
    // csv-parse 6 codes this one INVALID_OPENING_QUOTE (no CSV_ prefix); its message echoes the whole field.
    [
      'stray.csv',
      'a,b\n1,2\n3,x"y\n',
      'stray.csv:3:2: CSV syntax error: a quote character inside an unquoted field (after "x"); enclose the whole field in quotes and double the quotes inside it',
    ],
    [
      'long.csv',
      `a,b\n1,${'v'.repeat(300_000)}"\n`,
      `long.csv:2:2: CSV syntax error: a quote character inside an unquoted field (after "${'v'.repeat(37)}..."); enclose the whole field in quotes and double the quotes inside it`,
    ],
    [
      'binary.csv',
      'a,b\n\u0000\u0001\u00ff"\u0007,1\n',
      'binary.csv:2:1: CSV syntax error: a quote character inside an unquoted field (after "\\u0000\\u0001ÿ"); enclose the whole field in quotes and double the quotes inside it',
    ],
    // A first value that reads as a number to a person but not to the reader: refused, not typed as categories.
    ...['Infinity', '-inf', '0x1F', '1e999', '"1,5"', '1_000'].map((value) => [
      `lookalike-${value}.csv`,
      `a,y\n${value},1\n2,0\n`,
      `lookalike-${value}.csv:2:1: column "a" starts with ${JSON.stringify(value.replace(/"/g, ''))}, which looks like a number but is not a decimal number this reader takes (such as -1.5 or 2e3); fix the value`,
    ]),
    [
      'crlf.csv',
      '\ufeffa, b ,y\r\n\r\n1, 2 ,3\r\n"4","5",6\r\n7,8,9,\n',
      'crlf.csv:5: ragged row: 4 fields, expected 3 as in the header',
    ],
    // A record before a syntax error is typed first, as the streaming reader does it.
    ['order.csv', 'a,b\n1,2\n3\n4,"5\n', 'order.csv:3: ragged row: 1 field, expected 2 as in the header'],
  ])('%s', (file, text, message) => {
    expect(errorOf(text, file)).toBe(message);
  });

  it('asks for the categorical advice when a column starts with a number-like non-number, and obeys a type hint', () => {
    const advice = { numericAdvice: (c: string) => `pass --categorical ${c} if it holds categories` };
    expect(tabularError(() => parseCsvText('a;y\n1,5;1\n', 'f.csv', { ...advice, delimiter: ';' })).message).toBe(
      'f.csv:2:1: column "a" starts with "1,5", which looks like a number but is not a decimal number this reader takes (such as -1.5 or 2e3); fix the value, or pass --categorical a if it holds categories',
    );
    const t = parseCsvText('a,y\n0x1F,1\n0x20,0\n', 'f.csv', { types: new Map([['a', 'categorical']]) });
    expect(values(t, 'a')).toEqual(['0x1F', '0x20']);
    // A category column whose later values look numeric stays categories (only the first value decides).
    expect(values(parseCsvText('a,y\nred,1\nInfinity,0\n', 'f.csv'), 'a')).toEqual(['red', 'Infinity']);
  });

  it('adds the caller advice for a non-number in a numeric column', () => {
    expect(() =>
      parseCsvText('a,b\n1,2\n3,x\n', 'f.csv', {
        numericAdvice: (c) => `pass --categorical ${c} if it holds categories`,
      }),
    ).toThrow(
      `f.csv:3:2: non-numeric value "x" in numeric column "b" (the column's first value (line 2) is a number; pass --categorical b if it holds categories)`,
    );
  });
});

describe('parseCsvText syntax', () => {
  it('handles quotes, doubled quotes, line breaks in quotes, a BOM, blank lines and trimming', () => {
    const t = parseCsvText('\ufeffname , note\n "a, b" ,"say ""hi"""\n\nc,"two\nlines"\n  \nd,\n', 'f.csv');
    expect(t.header).toEqual(['name', 'note']);
    expect(values(t, 'name')).toEqual(['a, b', 'c', 'd']);
    expect(values(t, 'note')).toEqual(['say "hi"', 'two\nlines', null]);
    expect(Array.from(t.lines)).toEqual([2, 5, 7]);
  });

  it('reads CRLF line ends', () => {
    const t = parseCsvText('a,b\r\n1,"x"\r\n\r\n2,"y\r\nz"\r\n', 'f.csv');
    expect(values(t, 'a')).toEqual([1, 2]);
    expect(values(t, 'b')).toEqual(['x', 'y\r\nz']);
  });

  it('refuses mixed line ends after a quoted field, as the CLI does (csv-parse takes the first line end)', () => {
    expect(errorOf('a,b\r\n1,"x"\n2,y\r\n', 'mixed.csv')).toMatch(
      /^mixed\.csv:\d+:\d+: CSV syntax error: Invalid Closing Quote/,
    );
  });

  it('reads a last line without a line break, other delimiters, no header and type hints', () => {
    const semi = parseCsvText('a;b\n1;2', 'f.csv', { delimiter: ';' });
    expect(values(semi, 'b')).toEqual([2]);
    const tsv = parseCsvText('a\tb\tc\n1\t\t', 'f.tsv', { delimiter: '\t' });
    expect(values(tsv, 'a')).toEqual([1]);
    expect(values(tsv, 'c')).toEqual([Number.NaN]);
    const plain = parseCsvText('1,x\n2,y\n', 'f.csv', { header: false });
    expect(plain.header).toEqual(['c1', 'c2']);
    expect(values(plain, 'c2')).toEqual(['x', 'y']);
    const hinted = parseCsvText('zip\n01234\n', 'f.csv', { types: new Map([['zip', 'categorical']]) });
    expect(values(hinted, 'zip')).toEqual(['01234']);
  });

  it('keeps missing values as NaN or null', () => {
    const t = parseCsvText('x,c,y\nNA,red,1\n2,,0\n3,blue,N/A\n', 'f.csv');
    expect(values(t, 'x')).toEqual([Number.NaN, 2, 3]);
    expect(values(t, 'c')).toEqual(['red', null, 'blue']);
    expect(values(t, 'y')).toEqual([1, 0, Number.NaN]);
  });
});

/** A CSV field as a writer would put it: quoted when it holds a delimiter, quote, line break or edge spaces. */
function field(v: string): string {
  return /[",\r\n]|^\s|\s$/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

describe('round trip', () => {
  // Column names and categories: text that is never a number or a missing marker once trimmed.
  const word = fc
    .string({ minLength: 1, maxLength: 8, unit: fc.constantFrom('a', 'b', 'Z', ' ', ',', '"', '\n', 'é', '-') })
    .map((s) => `k${s.trim()}`);
  const number = fc
    .oneof(
      fc.integer({ min: -1e6, max: 1e6 }),
      fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }),
    )
    .map((v) => v + 0); // -0 is written "0"

  const table = fc.integer({ min: 1, max: 5 }).chain((cols) =>
    fc.record({
      names: fc.uniqueArray(word, { minLength: cols, maxLength: cols }),
      kinds: fc.array(fc.boolean(), { minLength: cols, maxLength: cols }),
      rows: fc.integer({ min: 1, max: 8 }),
      lineEnd: fc.constantFrom('\n', '\r\n'),
      seed: fc.array(fc.tuple(number, word, fc.constantFrom(undefined, ...MISSING_MARKERS)), {
        minLength: 40,
        maxLength: 40,
      }),
    }),
  );

  it('typed values written as CSV text read back the same', () => {
    fc.assert(
      fc.property(table, ({ names, kinds, rows, lineEnd, seed }) => {
        // Cell (r, j): a number or a word by the column's kind, or now and then a missing marker. A one-column row
        // written as '' would be an empty line, which CSV readers skip: such a cell is written as NA.
        const at = (r: number, j: number) => seed[(r * names.length + j) % seed.length];
        const cell = (r: number, j: number) => {
          const [n, w, missing] = at(r, j);
          if (missing !== undefined) return null;
          return kinds[j] ? n : w;
        };
        const text = (r: number, j: number) => {
          const v = cell(r, j);
          if (v !== null) return field(String(v));
          const marker = at(r, j)[2] as string;
          return marker === '' && names.length === 1 ? 'NA' : marker;
        };
        const lines = [names.map(field).join(',')];
        for (let r = 0; r < rows; r++) lines.push(names.map((_, j) => text(r, j)).join(','));
        const t = parseCsvText(lines.join(lineEnd) + lineEnd, 'p.csv');
        expect(t.header).toEqual(names);
        expect(t.rows).toBe(rows);
        names.forEach((name, j) => {
          // The first present value decides the type; a column with none is numeric, all NaN.
          const column = Array.from({ length: rows }, (_, r) => cell(r, j));
          const numeric = kinds[j] || column.every((v) => v === null);
          const expected = column.map((v) => v ?? (numeric ? Number.NaN : null));
          expect(t.columns.get(name)?.kind).toBe(numeric ? 'numeric' : 'categorical');
          expect(values(t, name)).toEqual(expected);
        });
      }),
      { numRuns: 200 },
    );
  });
});
