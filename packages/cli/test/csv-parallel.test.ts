/**
 * The parallel CSV read (chunks of whole lines parsed on worker threads, the rest on the main thread) against the
 * one-thread read and csv-parse alone, on generated files cut into many small chunks: the same table (every
 * value, every line number) or the same one-line error, whatever the chunk size, for files with quotes, CRLF,
 * BOM, missing values, text, ragged rows, blank lines and fields longer than a chunk.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Table, TabularError } from '@shardprop/tabular';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultReadThreads, type ReadCsvOptions, readCsv, readCsvParse } from '../src/csv.js';
import { UserError } from '../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'shardprop-csv-parallel-'));
let n = 0;

/** A table as plain data (numbers by Object.is, so -0 and NaN count), or the error's message. */
async function outcome(read: Promise<Table>): Promise<unknown> {
  try {
    const t = await read;
    return {
      header: t.header,
      rows: t.rows,
      lines: Array.from(t.lines),
      columns: [...t.columns.values()].map((c) => ({
        ...c,
        values: c.kind === 'numeric' ? Array.from(c.values, (v) => (Object.is(v, -0) ? '-0' : v)) : c.values,
      })),
    };
  } catch (error) {
    if (!(error instanceof TabularError || error instanceof UserError)) throw error;
    return { error: error.message };
  }
}

const number = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).map((v) => v.toFixed(6)),
  fc.integer().map(String),
  fc.constantFrom('0', '-0', '1e5', '2.5E-3', ' 7 ', '\t8'),
);
const odd = fc.constantFrom('', 'NA', 'x', '"3"', '1'.repeat(400), '1;2');
const cell = fc.oneof({ weight: 40, arbitrary: number }, { weight: 1, arbitrary: odd });

const numericFile = fc
  .record({
    cols: fc.integer({ min: 1, max: 5 }),
    rows: fc.array(fc.array(cell, { minLength: 6, maxLength: 6 }), { minLength: 1, maxLength: 300 }),
    ragged: fc.nat(400),
    blankAt: fc.nat(400),
    bom: fc.boolean(),
    crlf: fc.boolean(),
    lastNewline: fc.boolean(),
  })
  .map(({ cols, rows, ragged, blankAt, bom, crlf, lastNewline }) => {
    const lines = [Array.from({ length: cols }, (_, j) => `c${j}`).join(',')];
    rows.forEach((cells, r) => {
      if (r === blankAt) lines.push('');
      lines.push(cells.slice(0, r === ragged ? cols + 1 : cols).join(','));
    });
    const end = crlf ? '\r\n' : '\n';
    return { cols, text: `${bom ? '\ufeff' : ''}${lines.join(end)}${lastNewline ? end : ''}` };
  });

describe('readCsv on worker threads', () => {
  it('reads on the calling thread by default below 4 cores, then on a worker per core but one, at most 4', () => {
    expect([1, 2, 3, 4, 8, 64].map(defaultReadThreads)).toEqual([1, 1, 1, 3, 4, 4]);
  });

  it('gives the table or the error of one thread and of csv-parse, for any chunk size', async () => {
    await fc.assert(
      fc.asyncProperty(
        numericFile,
        fc.integer({ min: 16, max: 600 }),
        fc.array(fc.nat(5)),
        async ({ cols, text }, chunkBytes, picks) => {
          const path = join(dir, `t${n++}.csv`);
          writeFileSync(path, text);
          const names = [...new Set(picks.filter((k) => k < cols))].map((k) => `c${k}`);
          const options: ReadCsvOptions = names.length > 0 ? { select: () => names } : {};
          const parallel = await outcome(readCsv(path, { ...options, threads: 2, chunkBytes }));
          expect(parallel).toEqual(await outcome(readCsv(path, { ...options, threads: 1 })));
          expect(parallel).toEqual(await outcome(readCsvParse(path, options)));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('numbers lines across chunks: a bad cell deep in a large file is reported at its line and column', async () => {
    const rows = Array.from({ length: 5000 }, (_, r) => `${r},${(r * 0.25).toFixed(2)},${r === 4321 ? 'oops' : r % 7}`);
    const path = join(dir, 'deep.csv');
    writeFileSync(path, `a,b,c\n${rows.join('\n')}\n`);
    const error = await outcome(readCsv(path, { threads: 2, chunkBytes: 1024 }));
    expect(error).toEqual({
      error: expect.stringMatching(/deep\.csv:4323:3: non-numeric value "oops" in numeric column "c"/),
    });
    const good = `a,b,c\n${rows.join('\n').replace('oops', '1')}\n`;
    writeFileSync(path, good);
    const table = await readCsv(path, { threads: 2, chunkBytes: 1024 });
    expect(table.rows).toBe(5000);
    expect(Array.from(table.lines.subarray(-2))).toEqual([5000, 5001]);
    expect(await outcome(readCsv(path, { threads: 2, chunkBytes: 1024 }))).toEqual(await outcome(readCsvParse(path)));
  });
});
