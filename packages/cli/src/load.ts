/**
 * The one entry for reading a data file into a table, for every command that takes `--data` (train, evaluate,
 * predict, tune): the format from `--format` or the file's extension, progress on stderr while it reads, and the
 * same `Table` (typed columns, lines for messages) whatever the format.
 */
import type { Table } from '@shardprop/tabular';
import { type ReadCsvOptions, readCsv } from './csv.js';
import { usageError } from './errors.js';
import { createReadProgress } from './read-progress.js';

export const TABLE_FORMATS = ['csv'] as const;
export type TableFormat = (typeof TABLE_FORMATS)[number];

export interface LoadTableOptions extends Omit<ReadCsvOptions, 'onProgress'> {
  /** The file's format; by default from its extension (anything else is read as CSV). */
  format?: string;
  /** Show progress on stderr while reading (default true). */
  progress?: boolean;
}

/** The format to read `file` as: `format` when given (checked), otherwise by extension. */
export function tableFormat(file: string, format?: string): TableFormat {
  if (format === undefined) return 'csv';
  if (!(TABLE_FORMATS as readonly string[]).includes(format)) {
    throw usageError(`--format ${format}: expected one of ${TABLE_FORMATS.join(', ')}`);
  }
  return format as TableFormat;
}

/** Reads a data file into typed columns, with progress while it reads. */
export async function loadTable(file: string, options: LoadTableOptions = {}): Promise<Table> {
  const { format, progress = true, ...rest } = options;
  tableFormat(file, format);
  const display = progress ? createReadProgress(file) : undefined;
  try {
    return await readCsv(file, { ...rest, onProgress: display?.update });
  } finally {
    display?.stop();
  }
}
