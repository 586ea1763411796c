/**
 * The one entry for reading a data file into a table, for every command that takes `--data` (train, evaluate,
 * predict, tune): the format from `--format` or the file's extension (`.parquet`; `.arrow`, `.feather`, `.ipc`;
 * anything else CSV), progress on stderr while a CSV is read, and the same `Table` (typed columns, lines for
 * messages) whatever the format.
 */
import { extname } from 'node:path';
import type { Table } from '@shardprop/tabular';
import { readArrow, readParquet } from './columnar.js';
import { categoricalAdvice, type ReadCsvOptions, readCsv } from './csv.js';
import { usageError } from './errors.js';
import { createReadProgress } from './read-progress.js';

export const TABLE_FORMATS = ['csv', 'parquet', 'arrow'] as const;
export type TableFormat = (typeof TABLE_FORMATS)[number];

const BY_EXTENSION: Record<string, TableFormat> = {
  '.parquet': 'parquet',
  '.arrow': 'arrow',
  '.feather': 'arrow',
  '.ipc': 'arrow',
};

export interface LoadTableOptions extends Omit<ReadCsvOptions, 'onProgress'> {
  /** The file's format (`csv`, `parquet`, `arrow`); by default from its extension. */
  format?: string;
  /** Show progress on stderr while reading (default true). */
  progress?: boolean;
}

/** The format to read `file` as: `format` when given (checked: a usage error otherwise), else by extension. */
export function tableFormat(file: string, format?: string): TableFormat {
  if (format === undefined) return BY_EXTENSION[extname(file).toLowerCase()] ?? 'csv';
  if (!(TABLE_FORMATS as readonly string[]).includes(format)) {
    throw usageError(`--format ${format}: expected one of ${TABLE_FORMATS.join(', ')}`);
  }
  return format as TableFormat;
}

/** Reads a data file into typed columns, with progress while it reads. */
export async function loadTable(file: string, options: LoadTableOptions = {}): Promise<Table> {
  const { format, progress = true, ...rest } = options;
  const tableOptions = { numericAdvice: categoricalAdvice, ...rest };
  switch (tableFormat(file, format)) {
    case 'parquet':
      return readParquet(file, tableOptions);
    case 'arrow':
      return readArrow(file, tableOptions);
    case 'csv': {
      const display = progress ? createReadProgress(file) : undefined;
      try {
        return await readCsv(file, { ...rest, onProgress: display?.update });
      } finally {
        display?.stop();
      }
    }
  }
}
