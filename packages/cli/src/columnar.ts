/**
 * Parquet and Arrow IPC / Feather files into the same `Table` as a CSV of the same data: the file's bytes go to
 * @shardprop/tabular's columnar readers (which load hyparquet and apache-arrow on first use, so a CSV run never
 * loads them), with the same progress and messages as the page's.
 */
import { readFile } from 'node:fs/promises';
import { type ColumnarOptions, readArrowBytes, readParquetBytes, type Table } from '@shardprop/tabular';
import { dataError } from './errors.js';

export type { ColumnarOptions } from '@shardprop/tabular';

async function bytesOf(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw dataError(`${file}: no such file`);
    if (code === 'EACCES' || code === 'EPERM') throw dataError(`${file}: permission denied`);
    if (code === 'EISDIR') throw dataError(`${file}: is a directory, expected a data file`);
    throw error;
  }
}

/** Reads an Arrow IPC file or stream (Feather v2) into typed columns. */
export async function readArrow(file: string, options: ColumnarOptions = {}): Promise<Table> {
  return readArrowBytes(await bytesOf(file), file, options);
}

/** Reads a Parquet file into typed columns. */
export async function readParquet(file: string, options: ColumnarOptions = {}): Promise<Table> {
  return readParquetBytes(await bytesOf(file), file, options);
}
