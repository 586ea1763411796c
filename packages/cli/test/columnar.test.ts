/**
 * Parquet and Arrow input: the same table as the same data in CSV (types, missing values, messages), and training
 * on them gives the same weights as training on the CSV. Fixtures: test/fixtures/make-columnar.mjs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Table, TabularError } from '@shardprop/tabular';
import { tableFromIPC, tableToIPC } from 'apache-arrow';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { readArrow, readParquet } from '../src/columnar.js';
import { readCsv } from '../src/csv.js';
import { loadTable, tableFormat } from '../src/load.js';
import { cli, flags, readDataFile, tempDir } from './helpers.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const fixture = (name: string) => join(fixtures, name);
const IRIS_CSV = join(import.meta.dirname, '../data/iris.csv');

function copyAs(from: string, dir: string, name: string): string {
  const to = join(dir, name);
  writeFileSync(to, readFileSync(from));
  return to;
}

/** A table without its file name, to compare tables read from different files. */
function content(t: Table) {
  return { ...t, file: undefined };
}

describe('Parquet and Arrow read as the same data in CSV', () => {
  it.each([
    ['iris', IRIS_CSV],
    ['mixed', fixture('mixed.csv')],
  ])('%s: the same columns, types, missing values and lines', async (name, csv) => {
    const expected = content(await readCsv(csv));
    expect(content(await readParquet(fixture(`${name}.parquet`)))).toEqual(expected);
    expect(content(await readArrow(fixture(`${name}.arrow`)))).toEqual(expected);
  });

  it('selects columns, honours type hints and refuses bad values with the CSV message', async () => {
    const select = () => ['count', 'y'];
    const hinted = await readParquet(fixture('mixed.parquet'), { select, types: new Map([['count', 'categorical']]) });
    expect([...hinted.columns.keys()]).toEqual(['count', 'y']);
    expect(hinted.columns.get('count')?.values).toEqual(['1', '2', '3', '40', '5', '6']);
    const asNumbers = { types: new Map([['color', 'numeric' as const]]) };
    const csvError = await readCsv(fixture('mixed.csv'), asNumbers).catch((e: Error) => e.message);
    const arrowError = await readArrow(fixture('mixed.arrow'), asNumbers).catch((e: Error) => e.message);
    expect(arrowError).toBe(String(csvError).replace('mixed.csv', 'mixed.arrow'));
    expect(arrowError).toMatch(/mixed\.arrow:2:4: non-numeric value "red" in numeric column "color"/);
  });

  it('chooses the format by --format or extension, and names a file that is not what it claims', async () => {
    expect(tableFormat('a.PARQUET')).toBe('parquet');
    expect(tableFormat('a.feather')).toBe('arrow');
    expect(tableFormat('a.tsv')).toBe('csv');
    expect(tableFormat('a.bin', 'arrow')).toBe('arrow');
    expect(() => tableFormat('a.csv', 'xlsx')).toThrow('--format xlsx: expected one of csv, parquet, arrow');
    const dir = tempDir();
    const fake = join(dir, 'fake.parquet');
    writeFileSync(fake, 'a,b\n1,2\n');
    const e = await loadTable(fake).catch((error: unknown) => error);
    expect(e).toBeInstanceOf(TabularError);
    expect((e as TabularError).kind).toBe('data');
    expect((e as Error).message).toMatch(/^.*fake\.parquet: not a Parquet file \(/);
    expect((await loadTable(fixture('mixed.arrow'), { format: 'arrow' })).rows).toBe(6);
  });

  it('assembles a Parquet file of several row groups, with 64-bit integers', async () => {
    const f = join(tempDir(), 'groups.parquet');
    const x = Float64Array.from({ length: 1000 }, (_, i) => i / 7);
    const n = Array.from({ length: 1000 }, (_, i) => BigInt(i * 3));
    const columnData = [
      { name: 'x', data: x, type: 'DOUBLE' as const },
      { name: 'n', data: n, type: 'INT64' as const },
    ];
    writeFileSync(f, Buffer.from(parquetWriteBuffer({ columnData, rowGroupSize: 128 })));
    const t = await readParquet(f);
    expect(t.rows).toBe(1000);
    expect(Array.from(t.columns.get('x')?.values as Float64Array)).toEqual(Array.from(x));
    expect(Array.from(t.columns.get('n')?.values as Float64Array)).toEqual(n.map(Number));
    expect(t.lines[999]).toBe(1001);
  });

  it('reads an Arrow IPC stream as well as a file', async () => {
    const dir = tempDir();
    const stream = join(dir, 'iris.arrows');
    writeFileSync(stream, tableToIPC(tableFromIPC(readFileSync(fixture('iris.arrow'))), 'stream'));
    expect(content(await readArrow(stream))).toEqual(content(await readCsv(IRIS_CSV)));
  });
});

describe('training on Parquet and Arrow', () => {
  it('gives the same weights as the CSV of the same data', async () => {
    const dir = tempDir();
    const weights: Buffer[] = [];
    for (const data of [IRIS_CSV, fixture('iris.parquet'), fixture('iris.arrow')]) {
      const out = join(dir, `m${weights.length}`);
      const run = await cli([
        'train',
        ...flags({ data, target: 'species', layers: '8,3', epochs: 3, threads: 1, out }),
      ]);
      expect(run.code, run.stderr).toBe(0);
      weights.push(readDataFile(out, 'weights'));
    }
    expect(weights[1].equals(weights[0])).toBe(true);
    expect(weights[2].equals(weights[0])).toBe(true);

    // evaluate and predict read them too (by extension, or by --format whatever the name).
    const model = join(dir, 'm0');
    const evaluations = [];
    for (const args of [
      ['--data', IRIS_CSV],
      ['--data', fixture('iris.parquet')],
      ['--data', copyAs(fixture('iris.arrow'), dir, 'iris.data'), '--format', 'arrow'],
    ]) {
      const run = await cli(['evaluate', '--model', model, ...args, '--json']);
      expect(run.code, run.stderr).toBe(0);
      evaluations.push(JSON.parse(run.stdout).metrics);
    }
    expect(evaluations[1]).toEqual(evaluations[0]);
    expect(evaluations[2]).toEqual(evaluations[0]);
    const csv = await cli(['predict', '--model', model, '--data', IRIS_CSV]);
    const parquet = await cli(['predict', '--model', model, '--data', fixture('iris.parquet')]);
    expect(parquet.code, parquet.stderr).toBe(0);
    expect(parquet.stdout).toBe(csv.stdout);
  }, 180_000); // eight CLI runs

  it('train, --resume and tune read the format --format names, whatever the file is called', async () => {
    const dir = tempDir();
    const data = copyAs(fixture('iris.parquet'), dir, 'iris.data');
    const flags = ['--target', 'species', '--layers', '8,3', '--threads', '1'];
    const csv = await cli(['train', '--data', IRIS_CSV, ...flags, '--epochs', '3', '--out', join(dir, 'csv')]);
    expect(csv.code, csv.stderr).toBe(0);
    const two = await cli([
      'train',
      '--data',
      data,
      '--format',
      'parquet',
      ...flags,
      '--epochs',
      '2',
      '--out',
      join(dir, 'm'),
    ]);
    expect(two.code, two.stderr).toBe(0);
    // The checkpoint keeps the format: resuming reads iris.data as Parquet again (as CSV it would not parse).
    const resumed = await cli(['train', '--resume', join(dir, 'm'), '--epochs', '3']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(readDataFile(join(dir, 'm'), 'weights').equals(readDataFile(join(dir, 'csv'), 'weights'))).toBe(true);
    const asCsv = await cli([
      'train',
      '--data',
      data,
      '--format',
      'csv',
      ...flags,
      '--epochs',
      '1',
      '--out',
      join(dir, 'x'),
    ]);
    // Read as CSV, the Parquet bytes have no column "species": the flag was obeyed.
    expect(asCsv.code).toBe(2);
    expect(asCsv.stderr).toMatch(/iris\.data has no column named "species"/);
    const tuned = await cli([
      'tune',
      '--data',
      data,
      '--format',
      'parquet',
      ...flags,
      '--lr',
      '0.1|0.2',
      '--epochs',
      '1',
      '--out',
      join(dir, 'tuned'),
    ]);
    expect(tuned.code, tuned.stderr).toBe(0);
    const bad = await cli(['train', '--data', data, '--format', 'xlsx', '--out', join(dir, 'y')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--format/);
  }, 180_000); // six CLI runs
});
