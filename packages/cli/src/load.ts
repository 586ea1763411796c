/**
 * The one entry for reading a data file into a table, for every command that takes `--data` (train, evaluate,
 * predict, tune): the format from `--format` or the file's extension (`.parquet`; `.arrow`, `.feather`, `.ipc`;
 * anything else CSV), progress on stderr while the file is read (every format), and the same `Table` (typed columns, lines for
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
  const kind = tableFormat(file, format);
  const display = progress ? createReadProgress(file) : undefined;
  const tableOptions = { numericAdvice: categoricalAdvice, ...rest, onProgress: display?.update };
  try {
    switch (kind) {
      case 'parquet':
        return await readParquet(file, tableOptions);
      case 'arrow':
        return await readArrow(file, tableOptions);
      default:
        return await readCsv(file, tableOptions);
    }
  } finally {
    display?.stop();
  }
}
