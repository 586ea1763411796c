/**
 * CSV text to a typed table, in the browser or anywhere: csv-parse's synchronous parser (its browser build, which
 * needs no Node built-ins) feeds a `TableBuilder` record by record, with the options the CLI's streaming reader
 * uses, so a file is read, typed and refused exactly as `shardprop` does it.
 */
import { parse } from 'csv-parse/browser/esm/sync';
import { csvSyntaxError, type Table, TableBuilder, type TableOptions } from './table.js';

export interface CsvOptions extends TableOptions {
  /** Field delimiter (default `,`). */
  delimiter?: string;
}

/**
 * The csv-parse options of every shardprop reader: an optional byte-order mark, fields trimmed, empty lines
 * skipped, and rows of any width (the builder reports a ragged row with its own message).
 */
export function csvParseOptions(delimiter = ',') {
  return {
    bom: true,
    delimiter,
    relax_column_count: true,
    skip_empty_lines: true,
    trim: true,
  } as const;
}

/**
 * Parses a whole CSV text into typed columns. `file` is the name messages show.
 * @throws TabularError naming the file, the line and the column of the first problem, in file order: a ragged
 *   row before a syntax error is reported as the ragged row, as the streaming reader does.
 */
export function parseCsvText(text: string, file: string, options: CsvOptions = {}): Table {
  const builder = new TableBuilder(file, options);
  try {
    parse(text, {
      ...csvParseOptions(options.delimiter),
      // Each record goes to the builder as it is parsed; returning null keeps csv-parse from collecting it.
      on_record: (record: string[], context: { lines: number }) => {
        builder.add(record, context.lines);
        return null;
      },
    });
  } catch (error) {
    throw csvSyntaxError(file, error) ?? error;
  }
  return builder.finish();
}
