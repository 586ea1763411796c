/**
 * Streaming CSV reader: csv-parse over a file stream, each record handed to @shardprop/tabular's `TableBuilder`
 * as it is parsed, so only the selected columns are kept and a bad file is refused with the same one-line
 * message (file, line, column) as the browser app's `parseCsvText`. What is here is only what needs the file
 * system: the stream, and the messages for a file that is missing, a directory or unreadable.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { type CsvOptions, csvParseOptions, csvSyntaxError, type Table, TableBuilder } from '@shardprop/tabular';
import { parse } from 'csv-parse';
import { dataError } from './errors.js';

export type ReadCsvOptions = CsvOptions;

/** The CLI's advice for a non-number in a column read as numbers. */
function categoricalAdvice(column: string): string {
  return `pass --categorical ${column} if the column holds categories`;
}

/** Reads a CSV file into typed columns. */
export async function readCsv(file: string, options: ReadCsvOptions = {}): Promise<Table> {
  try {
    const s = await stat(file);
    if (s.isDirectory()) throw dataError(`${file}: is a directory, expected a CSV file`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw dataError(`${file}: no such file`);
    if ((error as NodeJS.ErrnoException).code === 'EACCES') throw dataError(`${file}: permission denied`);
    throw error;
  }

  const builder = new TableBuilder(file, { numericAdvice: categoricalAdvice, ...options });
  const parser = parse({ ...csvParseOptions(options.delimiter), info: true });
  const stream = createReadStream(file);
  stream.on('error', (error) => parser.destroy(error));
  stream.pipe(parser);
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      builder.add(record, info.lines);
    }
  } catch (error) {
    stream.destroy();
    if ((error as NodeJS.ErrnoException).code === 'EISDIR')
      throw dataError(`${file}: is a directory, expected a CSV file`);
    throw csvSyntaxError(file, error) ?? error;
  }
  return builder.finish();
}
