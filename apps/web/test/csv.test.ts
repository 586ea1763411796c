/**
 * The page's CSV reader and encoding, in Node: the CLI's messages for bad files (copied from what
 * `shardprop train --data <file>` prints), its syntax, and the encoding choices the CLI makes.
 */
import { describe, expect, it } from 'vitest';
import { parseCsv, parseRecords } from '../src/csv.js';
import { irisTable, seedTable, tableHead } from '../src/datasets.js';
import { decodeOutputs, prepareProblem } from '../src/encoding.js';

function errorOf(text: string, file: string): string {
  try {
    parseCsv(text, file);
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
}

describe('parseCsv messages match the CLI', () => {
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
      'badquote.csv:2: CSV syntax error: Invalid Closing Quote: got "x" at line 2 instead of delimiter, record delimiter, trimable character (if activated) or comment',
    ],
    [
      'crlf.csv',
      '\ufeffa, b ,y\r\n\r\n1, 2 ,3\r\n"4","5",6\r\n7,8,9,\n',
      'crlf.csv:5: ragged row: 4 fields, expected 3 as in the header',
    ],
  ])('%s', (file, text, message) => {
    expect(errorOf(text, file)).toBe(message);
  });
});

describe('parseRecords', () => {
  it('handles quotes, doubled quotes, line breaks in quotes, CRLF, a BOM, blank lines and trimming', () => {
    const text = '\ufeffname , note\r\n "a, b" ,"say ""hi"""\r\n\r\nc,"two\nlines"\n  \nd,\n';
    expect(parseRecords(text, 'f.csv')).toEqual([
      { fields: ['name', 'note'], line: 1 },
      { fields: ['a, b', 'say "hi"'], line: 2 },
      { fields: ['c', 'two\nlines'], line: 5 },
      { fields: ['d', ''], line: 7 },
    ]);
  });

  it('reads a last line without a line break, and other delimiters', () => {
    expect(parseRecords('a;b\n1;2', 'f.csv', ';')).toEqual([
      { fields: ['a', 'b'], line: 1 },
      { fields: ['1', '2'], line: 2 },
    ]);
    expect(parseRecords('a\tb\n1\t\t', 'f.tsv', '\t').map((r) => r.fields)).toEqual([
      ['a', 'b'],
      ['1', '', ''],
    ]);
  });
});

describe('typed columns and encoding', () => {
  it('infers numeric and categorical columns and keeps missing values', () => {
    const t = parseCsv('x,c,y\nNA,red,1\n2,,0\n3,blue,1\n', 'f.csv');
    const x = t.columns.get('x');
    expect(x?.kind).toBe('numeric');
    expect(Array.from(x?.values as Float64Array)).toEqual([Number.NaN, 2, 3]);
    expect(t.columns.get('c')).toMatchObject({ kind: 'categorical', values: ['red', null, 'blue'] });
    expect(Array.from(t.lines)).toEqual([2, 3, 4]);
  });

  it('missing values: an error naming the cell, or rows left out, or the mean filled in', () => {
    const t = parseCsv('a,b,y\n1,2,0.5\n3,,0.25\n5,6,0.75\n', 'm.csv');
    expect(() => prepareProblem(t, 'y', 'error')).toThrow(
      'm.csv:3:2: missing value in column "b"; choose "leave the row out" or "fill in the mean" under Missing values',
    );
    expect(prepareProblem(t, 'y', 'drop').dataset.rows).toBe(2);
    const imputed = prepareProblem(t, 'y', 'impute');
    expect(imputed.dataset.rows).toBe(3);
    expect(imputed.dataset.x[3]).toBe(0); // b of row 2: the mean, standardised
  });

  it('makes the CLI choices: the seed problem is a sigmoid regression, iris a softmax classification', () => {
    const seed = prepareProblem(seedTable(200), 'y', 'error');
    expect(seed).toMatchObject({ loss: 'meanSquaredError', outputUnits: 1, outputActivation: 'sigmoid' });
    expect(seed.dataset).toMatchObject({ rows: 200, features: 39, outputs: 1 });
    const iris = prepareProblem(irisTable(), 'species', 'error');
    expect(iris).toMatchObject({ loss: 'categoricalCrossentropy', outputUnits: 3, outputActivation: 'softmax' });
    expect(iris.encoding.target).toEqual({
      task: 'multiclass',
      column: 'species',
      classes: ['setosa', 'versicolor', 'virginica'],
      numeric: false,
    });
    // Shuffled once, so a validation split from the end sees every species.
    const tail = iris.dataset.y.subarray(120 * 3);
    for (let k = 0; k < 3; k++) expect(tail.filter((_, i) => i % 3 === k && tail[i] === 1).length).toBeGreaterThan(0);
    const binary = prepareProblem(parseCsv('s,c,label\n1,red,yes\n2,blue,no\n', 'b.csv'), 'label', 'error');
    expect(binary).toMatchObject({ loss: 'binaryCrossentropy', outputUnits: 1, outputActivation: 'sigmoid' });
    expect(binary.dataset.features).toBe(3); // s, then c one-hot over (blue, red)
  });

  it('decodes outputs into labels and probabilities', () => {
    const target = { task: 'multiclass' as const, column: 'k', classes: ['a', 'b', 'c'], numeric: false };
    expect(decodeOutputs(target, Float32Array.of(0.1, 0.7, 0.2), 1, 3)).toEqual({
      columns: ['predicted_k', 'p_a', 'p_b', 'p_c'],
      cells: [['b', 0.1, 0.7, 0.2]],
    });
    expect(decodeOutputs(undefined, Float32Array.of(0.5), 1, 1).columns).toEqual(['output_1']);
  });

  it('writes the first rows of a table back as CSV for the prediction box', () => {
    const t = parseCsv('a,"b,c"\n1,"x ""y"""\n', 'f.csv');
    expect(tableHead(t, ['a', 'b,c'])).toBe('a,"b,c"\n1,"x ""y"""');
  });
});
