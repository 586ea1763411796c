/**
 * The page's data files: Parquet and Arrow (the CLI's test fixtures, written by the libraries users' tools use)
 * give the same table and the same training problem, to the bit, as the same data in CSV; a file that is not what
 * its name says is one line naming it.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseCsvText, type Table, TabularError } from '@shardprop/tabular';
import { describe, expect, it } from 'vitest';
import { dataFileFormat, readDataFile } from '../src/data-file.js';
import { prepareProblem } from '../src/encoding.js';

const cliFile = (path: string) =>
  readFileSync(fileURLToPath(new URL(`../../../packages/cli/${path}`, import.meta.url)));
const content = (t: Table) => ({ ...t, file: undefined });
const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

describe("the page's data files", () => {
  it('chooses the format by extension, CSV by default', () => {
    expect(['a.parquet', 'b.ARROW', 'c.feather', 'd.ipc', 'e.csv', 'f.tsv', 'noext'].map(dataFileFormat)).toEqual([
      'parquet',
      'arrow',
      'arrow',
      'arrow',
      'csv',
      'csv',
      'csv',
    ]);
  });

  it('reads Parquet and Arrow as the same data in CSV, to the same training problem', async () => {
    const csv = await readDataFile('iris.csv', cliFile('data/iris.csv'));
    expect(content(csv)).toEqual(content(parseCsvText(cliFile('data/iris.csv').toString('utf8'), 'iris.csv')));
    const expected = prepareProblem(csv, 'species', 'error');
    for (const name of ['iris.parquet', 'iris.arrow']) {
      const table = await readDataFile(name, cliFile(`test/fixtures/${name}`));
      expect(table.file).toBe(name);
      expect(content(table)).toEqual(content(csv));
      const problem = prepareProblem(table, 'species', 'error');
      expect(problem.encoding).toEqual(expected.encoding);
      expect(bits(problem.dataset.x)).toBe(bits(expected.dataset.x));
      expect(bits(problem.dataset.y)).toBe(bits(expected.dataset.y));
    }
    // Nulls, booleans, 64-bit integers and dictionary columns as their CSV.
    const mixedCsv = await readDataFile('mixed.csv', cliFile('test/fixtures/mixed.csv'));
    for (const name of ['mixed.parquet', 'mixed.arrow']) {
      expect(content(await readDataFile(name, cliFile(`test/fixtures/${name}`)))).toEqual(content(mixedCsv));
    }
  });

  it('names a file that is not what its name says, in one line', async () => {
    for (const [name, what] of [
      ['data.parquet', 'Parquet'],
      ['data.arrow', 'Arrow IPC'],
    ]) {
      const error = await readDataFile(name, new TextEncoder().encode('a,b\n1,2\n')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TabularError);
      expect((error as Error).message).toMatch(new RegExp(`^${name.replace('.', '\\.')}: not an? ${what} file \\(`));
      expect((error as Error).message).not.toContain('\n');
    }
  });
});
