/**
 * The byte-level fast path (PlainCsvReader) against csv-parse (parseCsvText): on every input, either the fast path
 * declines (NotPlainCsv: the caller then reads the file with csv-parse) or it gives the same table, or the same
 * error message. Inputs: generated plain files (numbers in many spellings, missing markers, words, spaces, CRLF,
 * BOM, blank lines, ragged rows, long fields), text from a hostile alphabet (quotes, lone CRs, control bytes,
 * non-ASCII whitespace), and the chunk boundaries fall anywhere.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exactNumber, NotPlainCsv, PlainCsvReader } from '../src/bytes.js';
import { TabularError } from '../src/errors.js';
import { type CsvOptions, parseCsvText } from '../src/parse.js';
import { type Table, TableBuilder } from '../src/table.js';

type Outcome = { table: Table } | { error: string } | { notPlain: true };

function viaCsvParse(text: string, options: CsvOptions): Outcome {
  try {
    return { table: parseCsvText(text, 'f.csv', options) };
  } catch (error) {
    if (!(error instanceof TabularError)) throw error;
    return { error: error.message };
  }
}

/** The fast path over the text's UTF-8 bytes, pushed in chunks cut at `cuts` (as a file read delivers them). */
function viaBytes(text: string, options: CsvOptions, cuts: number[], reserve?: number): Outcome {
  const bytes = new TextEncoder().encode(text);
  const builder = new TableBuilder('f.csv', options);
  try {
    const reader = new PlainCsvReader(builder, options.delimiter);
    // A buffer that receives the file piece by piece, keeping what push did not consume.
    const buffer = new Uint8Array(bytes.length + 1);
    let held = 0;
    let from = 0;
    for (const cut of [...cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b), bytes.length]) {
      if (cut < from) continue;
      buffer.set(bytes.subarray(from, cut), held);
      held += cut - from;
      from = cut;
      const used = reader.push(buffer, held, false);
      // A reader's row estimate, right or wrong, arrives after the first lines (as the CLI's does).
      if (reserve !== undefined && reader.lines > 0) builder.reserve(reserve);
      buffer.copyWithin(0, used, held);
      held -= used;
    }
    reader.push(buffer, held, true);
    return { table: builder.finish() };
  } catch (error) {
    if (error instanceof NotPlainCsv) return { notPlain: true };
    if (!(error instanceof TabularError)) throw error;
    return { error: error.message };
  }
}

/** Tables as plain data, numbers compared with Object.is (so -0, NaN and every bit of a double count). */
function plain(outcome: Outcome): unknown {
  if (!('table' in outcome)) return outcome;
  const t = outcome.table;
  return {
    header: t.header,
    rows: t.rows,
    lines: Array.from(t.lines),
    columns: [...t.columns.values()].map((c) => ({
      ...c,
      values: c.kind === 'numeric' ? Array.from(c.values, (v) => (Object.is(v, -0) ? '-0' : v)) : c.values,
    })),
  };
}

function agree(text: string, options: CsvOptions, cuts: number[], reserve?: number): Outcome {
  const fast = viaBytes(text, options, cuts, reserve);
  if (!('notPlain' in fast)) expect(plain(fast)).toEqual(plain(viaCsvParse(text, options)));
  return fast;
}

const numberText = fc.oneof(
  fc.stringMatching(/^[+-]?\d{0,18}(\.\d{0,18})?([eE][+-]?\d{1,3})?$/),
  fc.double({ noNaN: true }).map(String),
  fc.integer().map(String),
  fc.constantFrom('0', '-0', '+0.0', '.5', '5.', '1e22', '1e23', '9007199254740993', '0.1', '1e-22', '123456789012345'),
);
const missing = fc.constantFrom('', 'NA', 'N/A', 'NaN', 'nan', 'null');
const word = fc.constantFrom('red', 'blue', 'é', 'a b', 'x\u00a0', 'Infinity', '0x1F', '-', '1e', 'v'.repeat(5000));
const pad = fc.constantFrom('', '', ' ', '\t', '  ');

/** A plain file: header, rows of cells (mostly numbers), blank lines, now and then a ragged row. */
const plainFile = fc
  .record({
    cols: fc.integer({ min: 1, max: 5 }),
    rows: fc.array(
      fc.array(fc.tuple(pad, fc.oneof(numberText, numberText, missing, word), pad), { minLength: 1, maxLength: 6 }),
      {
        minLength: 1,
        maxLength: 12,
      },
    ),
    ragged: fc.boolean(),
    blank: fc.array(fc.nat(14), { maxLength: 3 }),
    bom: fc.boolean(),
    crlf: fc.boolean(),
    lastNewline: fc.boolean(),
  })
  .map(({ cols, rows, ragged, blank, bom, crlf, lastNewline }) => {
    const lines = [Array.from({ length: cols }, (_, j) => `c${j}`).join(',')];
    for (const cells of rows) {
      const row = ragged ? cells : Array.from({ length: cols }, (_, j) => cells[j % cells.length]);
      lines.push(row.map(([a, v, b]) => `${a}${v}${b}`).join(','));
    }
    for (const at of blank) lines.splice(1 + (at % lines.length), 0, at % 2 ? '' : ' \t ');
    const end = crlf ? '\r\n' : '\n';
    return `${bom ? '\ufeff' : ''}${lines.join(end)}${lastNewline ? end : ''}`;
  });

describe('PlainCsvReader equals csv-parse', () => {
  it('on generated plain files, with and without a header, cut into chunks anywhere', () => {
    let fastReads = 0;
    fc.assert(
      fc.property(plainFile, fc.array(fc.nat(), { maxLength: 6 }), fc.boolean(), (text, cuts, header) => {
        const outcome = agree(text, { header }, cuts);
        if (!('notPlain' in outcome)) fastReads++;
        // Plain files never need csv-parse (their only CR is in CRLF line ends).
        expect('notPlain' in outcome).toBe(false);
      }),
      { numRuns: 400 },
    );
    expect(fastReads).toBe(400);
  });

  it('on numeric files (the one-pass line reader), with odd lines among them, any columns selected', () => {
    const cell = fc.oneof(
      { weight: 12, arbitrary: numberText },
      { weight: 1, arbitrary: missing },
      { weight: 1, arbitrary: word },
      { weight: 1, arbitrary: fc.constantFrom('"1"', '1\r2', '1\u000b', ' 1 \t', '1e5000', '-0.0') },
    );
    const numericFile = fc
      .record({
        cols: fc.integer({ min: 1, max: 6 }),
        rows: fc.array(fc.array(cell, { minLength: 6, maxLength: 6 }), { minLength: 1, maxLength: 40 }),
        ragged: fc.nat(60),
        crlf: fc.boolean(),
        lastNewline: fc.boolean(),
      })
      .map(({ cols, rows, ragged, crlf, lastNewline }) => {
        const lines = [Array.from({ length: cols }, (_, j) => `c${j}`).join(',')];
        rows.forEach((cells, r) => {
          lines.push(cells.slice(0, r === ragged ? cols + 1 : cols).join(','));
        });
        const end = crlf ? '\r\n' : '\n';
        return { cols, text: `${lines.join(end)}${lastNewline ? end : ''}` };
      });
    fc.assert(
      fc.property(
        numericFile,
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.array(fc.nat(5)),
        fc.option(fc.nat(80)),
        ({ cols, text }, cuts, picks, reserve) => {
          const names = [...new Set(picks.filter((k) => k < cols))].map((k) => `c${k}`);
          const select = names.length > 0 ? () => names : undefined;
          agree(text, { select }, cuts, reserve ?? undefined);
        },
      ),
      { numRuns: 600 },
    );
  });

  it('on text from a hostile alphabet (quotes, lone CRs, control bytes, odd whitespace), or it declines', () => {
    const unit = fc.constantFrom(
      ...[
        '1',
        '2.5',
        '-',
        'e',
        '.',
        ',',
        ';',
        ' ',
        '\t',
        '\n',
        '\r\n',
        '\r',
        '"',
        '""',
        'a',
        'NA',
        'é',
        '\u00a0',
        '\f',
      ],
      ...['\u0000', '\ufeff', '\u2028', 'Infinity', '\n\n'],
    );
    fc.assert(
      fc.property(
        fc.string({ unit, maxLength: 60 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        fc.constantFrom(',', ';'),
        (text, cuts, delimiter) => {
          agree(text, { delimiter }, cuts);
          agree(text, { delimiter, header: false, types: new Map([['c1', 'categorical']]) }, cuts);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('on the fixtures and cases of the csv-parse tests', () => {
    for (const text of [
      'a,b,y\n1,2,3\n4,5\n',
      'a,b,y\n1,2,3\n4,x,6\n',
      'a,b\nNA,\n2,red\nNaN,N/A\n',
      '\ufeffa, b ,y\r\n\r\n1, 2 ,3\r\n"4","5",6\r\n7,8,9,\n',
      'a,a,y\n1,2,3\n',
      'a,,y\n1,2,3\n',
      '\n\n  \n',
      '\ufeff',
      '',
      'a,y\nInfinity,1\n',
      'a,b\r\n1,"x"\n2,y\r\n',
    ]) {
      agree(text, {}, []);
    }
  });

  it('refuses a delimiter that trimming or quoting would make ambiguous', () => {
    for (const delimiter of [' ', '\t', '"', ';;', '']) {
      expect(() => new PlainCsvReader(new TableBuilder('f.csv'), delimiter)).toThrow(NotPlainCsv);
    }
  });
});

describe('exactNumber', () => {
  it('is Number(text) whenever it gives a number, and declines what is not a decimal number', () => {
    fc.assert(
      fc.property(fc.oneof(numberText, fc.string({ maxLength: 8 })), (text) => {
        const bytes = new TextEncoder().encode(text);
        const v = exactNumber(bytes, 0, bytes.length);
        if (!Number.isNaN(v)) expect(Object.is(v, Number(text))).toBe(true);
      }),
      { numRuns: 5000 },
    );
    for (const bad of ['', '.', '-', '1e', '1e+', '0x1F', 'Infinity', '1,5', '1 ', '1.2.3', '++1']) {
      expect(exactNumber(new TextEncoder().encode(bad), 0, bad.length)).toBeNaN();
    }
    // Cases that need more than one rounding step are left to Number(text).
    for (const long of ['1234567890123456', '9007199254740993', '1e23', '1e-23']) {
      expect(exactNumber(new TextEncoder().encode(long), 0, long.length)).toBeNaN();
    }
    expect(Object.is(exactNumber(new TextEncoder().encode('-0'), 0, 2), -0)).toBe(true);
  });
});
