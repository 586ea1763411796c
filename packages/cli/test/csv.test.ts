/**
 * The streaming reader over real files: what the file system adds (missing files, directories) and that records
 * reach the shared TableBuilder with their lines. Typing and messages in depth: packages/tabular/test.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCsvText, TabularError } from '@shardprop/tabular';
import { describe, expect, it } from 'vitest';
import { readCsv, readCsvParse } from '../src/csv.js';
import { exitCodeOf, UserError } from '../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'shardprop-csv-'));
let n = 0;
function file(text: string): string {
  const path = join(dir, `t${n++}.csv`);
  writeFileSync(path, text);
  return path;
}

/** The error a read ends with, as main sees it: a message and an exit code. */
async function failure(promise: Promise<unknown>): Promise<{ message: string; exitCode: number }> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof UserError || error instanceof TabularError)) throw error;
    return { message: error.message, exitCode: exitCodeOf(error) };
  }
  throw new Error('expected an error');
}

describe('readCsv', () => {
  it('types columns: numbers, categories, quoted fields, BOM, blank lines', async () => {
    const f = file('\uFEFFa,b,c\n1,x,"2.5"\n\n-3e2,"y, z",.5\n');
    const t = await readCsv(f);
    expect(t.header).toEqual(['a', 'b', 'c']);
    expect(t.rows).toBe(2);
    expect(Array.from(t.lines)).toEqual([2, 4]);
    const a = t.columns.get('a');
    const b = t.columns.get('b');
    expect(a?.kind).toBe('numeric');
    expect(Array.from(a?.values as Float64Array)).toEqual([1, -300]);
    expect(b?.kind).toBe('categorical');
    expect(b?.values).toEqual(['x', 'y, z']);
    expect(Array.from(t.columns.get('c')?.values as Float64Array)).toEqual([2.5, 0.5]);
  });

  it('keeps missing values as NaN or null and decides the type from the first present value', async () => {
    const t = await readCsv(file('a,b\nNA,\n2,red\nNaN,N/A\n'));
    expect(Array.from(t.columns.get('a')?.values as Float64Array)).toEqual([Number.NaN, 2, Number.NaN]);
    expect(t.columns.get('b')?.values).toEqual([null, 'red', null]);
  });

  it('selects columns and honours type hints', async () => {
    const t = await readCsv(file('id,zip,y\n1,01234,0\n2,99999,1\n'), {
      select: () => ['zip', 'y'],
      types: new Map([['zip', 'categorical']]),
    });
    expect([...t.columns.keys()]).toEqual(['zip', 'y']);
    expect(t.columns.get('zip')?.values).toEqual(['01234', '99999']);
  });

  it('names columns c1.. without a header', async () => {
    const t = await readCsv(file('1,2\n3,4\n'), { header: false });
    expect(t.header).toEqual(['c1', 'c2']);
    expect(t.rows).toBe(2);
    expect(Array.from(t.lines)).toEqual([1, 2]);
  });

  it('reports a ragged row with its line', async () => {
    const f = file('a,b,c\n1,2,3\n4,5\n');
    const e = await failure(readCsv(f));
    expect(e.message).toBe(`${f}:3: ragged row: 2 fields, expected 3 as in the header`);
    expect(e.exitCode).toBe(1);
  });

  it('reports a non-numeric value in a numeric column with line and column', async () => {
    const f = file('a,b\n1,2\n3,abc\n');
    const e = await failure(readCsv(f));
    expect(e.message).toMatch(
      new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:2: non-numeric value "abc" in numeric column "b"`),
    );
    expect(e.message).toContain('--categorical b');
  });

  it('reports empty files, header-only files, missing files, duplicate names and unknown columns', async () => {
    const empty = file('');
    expect((await failure(readCsv(empty))).message).toBe(`${empty}: empty file (expected a header row and data rows)`);
    const headerOnly = file('a,b\n');
    expect((await failure(readCsv(headerOnly))).message).toBe(`${headerOnly}: no data rows after the header`);
    const missing = join(dir, 'nope.csv');
    expect((await failure(readCsv(missing))).message).toBe(`${missing}: no such file`);
    const dup = file('a,a\n1,2\n');
    expect((await failure(readCsv(dup))).message).toBe(`${dup}:1:2: duplicate column name "a" (also column 1)`);
    const e = await failure(readCsv(file('a,b\n1,2\n'), { select: () => ['z'] }));
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain('no column named "z" (columns: a, b)');
  });

  it('reports CSV syntax errors with the line', async () => {
    const f = file('a,b\n1,"2\n');
    const e = await failure(readCsv(f));
    expect(e.message).toMatch(/CSV syntax error/);
    expect(e.message.startsWith(f)).toBe(true);
  });
});

describe('readCsv and the browser app read alike', () => {
  it.each([
    ['ragged', 'a,b,y\n1,2,3\n4,5\n'],
    ['non-numeric', 'a,b,y\n1,2,3\n4,x,6\n'],
    ['empty', ''],
    ['blank', '\n\n  \n'],
    ['header only', 'a,b,y\n'],
    ['duplicate', 'a,a,y\n1,2,3\n'],
    ['quote not closed', 'a,b,y\n1,"2,3\n4,5,6\n'],
    ['invalid closing quote', 'a,b,y\n1,2,"3"x\n'],
    ['ragged before a syntax error', 'a,b\n1,2\n3\n4,"5\n'],
    ['crlf and bom', '\ufeffa, b ,y\r\n\r\n1, 2 ,3\r\n"4","5",6\r\n7,8,9,\n'],
  ])('%s: the same message from the file stream and from parseCsvText', async (_, text) => {
    const f = file(text);
    const streamed = await failure(readCsv(f));
    let parsed = 'no error';
    try {
      parseCsvText(text, f, { numericAdvice: (c) => `pass --categorical ${c} if the column holds categories` });
    } catch (error) {
      parsed = (error as Error).message;
    }
    expect(streamed.message).toBe(parsed);
    expect(streamed.exitCode).toBe(1);
  });

  it('types a good file the same way', async () => {
    const text = '\ufeffx,c,y\r\nNA,"red, dark",1\r\n2,,0\r\n3,blue,1\r\n';
    expect(await readCsv(file(text))).toEqual({ ...parseCsvText(text, 'same.csv'), file: expect.any(String) });
  });

  it('reads the data files the same through the fast path and through csv-parse alone, with progress', async () => {
    for (const path of [
      join(import.meta.dirname, '../data/iris.csv'),
      join(import.meta.dirname, '../../../data/seed.csv'),
    ]) {
      const seen: number[] = [];
      const fast = await readCsv(path, { onProgress: (read, total) => seen.push(read / total) });
      expect(fast).toEqual(await readCsvParse(path));
      expect(seen.at(-1)).toBe(1);
    }
  });

  it('reads a file larger than its read buffer, with lines across chunk ends and one longer than a chunk', async () => {
    const long = 'w'.repeat(5 << 20);
    const rows = Array.from({ length: 60000 }, (_, r) => `${r}, ${(r * 0.37).toFixed(3)} ,${r === 30000 ? long : 'a'}`);
    const f = file(`id,v,c\r\n${rows.join('\r\n')}\r\n`);
    const fast = await readCsv(f);
    expect(fast.rows).toBe(60000);
    expect(fast).toEqual(await readCsvParse(f));
  });
});
