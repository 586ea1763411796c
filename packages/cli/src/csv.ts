/**
 * Streaming CSV reader: csv-parse over a file stream, each record handed to @shardprop/tabular's `TableBuilder`
 * as it is parsed, so only the selected columns are kept and a bad file is refused with the same one-line
 * message (file, line, column) as the browser app's `parseCsvText`. What is here is only what needs the file
 * system: the stream, and the messages for a file that is missing, a directory or unreadable.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import {
  type CsvOptions,
  csvParseOptions,
  csvSyntaxError,
  type Table,
  TableBuilder,
  TabularError,
} from '@shardprop/tabular';
import { parse } from 'csv-parse';
import { dataError, exitCodeOf, UserError } from './errors.js';

export type ReadCsvOptions = CsvOptions;

/** The CLI's advice for a non-number in a column read as numbers. */
function categoricalAdvice(column: string): string {
  return `pass --categorical ${column} if the column holds categories`;
}

/** Delimiters a file read with the wrong one most likely uses. */
const OTHER_DELIMITERS = [';', '\t', '|'];

/**
 * The advice for a header that parsed as one column although it holds another common delimiter (a semicolon
 * file read with ","), e.g. `pass --delimiter ';'`; undefined when nothing suggests one.
 */
export function delimiterAdvice(header: readonly string[]): string | undefined {
  if (header.length !== 1) return undefined;
  let best: string | undefined;
  let most = 0;
  for (const d of OTHER_DELIMITERS) {
    const count = header[0].split(d).length - 1;
    if (count > most) [best, most] = [d, count];
  }
  if (best === undefined) return undefined;
  return `the header is one column ${JSON.stringify(header[0].length > 60 ? `${header[0].slice(0, 57)}...` : header[0])}: pass --delimiter ${best === '\t' ? "'\\t'" : `'${best}'`}`;
}

/** Reads a CSV file into typed columns. */
export async function readCsv(file: string, options: ReadCsvOptions = {}): Promise<Table> {
  try {
    const s = await stat(file);
    if (s.isDirectory()) throw dataError(`${file}: is a directory, expected a CSV file`);
  } catch (error) {
    throw fileError(file, error) ?? error;
  }

  const select = options.select;
  const builder = new TableBuilder(file, {
    numericAdvice: categoricalAdvice,
    ...options,
    ...(select
      ? {
          // A column that cannot be found in a one-column header is most often the wrong delimiter: say which.
          select: (header: string[]) => {
            try {
              return select(header);
            } catch (error) {
              const advice = delimiterAdvice(header);
              if (!advice || !(error instanceof UserError || error instanceof TabularError)) throw error;
              throw new UserError(`${error.message}; ${advice}`, exitCodeOf(error));
            }
          },
        }
      : {}),
  });
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
    // stat() passes a file that cannot be opened (no read permission): the stream's open fails here.
    throw fileError(file, error) ?? csvSyntaxError(file, error) ?? error;
  }
  return builder.finish();
}

/** A file that cannot be read, as one line naming it; undefined for any other error. */
function fileError(file: string, error: unknown): UserError | undefined {
  switch ((error as NodeJS.ErrnoException | undefined)?.code) {
    case 'ENOENT':
      return dataError(`${file}: no such file`);
    case 'EACCES':
    case 'EPERM':
      return dataError(`${file}: permission denied (cannot read the file)`);
    case 'EISDIR':
      return dataError(`${file}: is a directory, expected a CSV file`);
    default:
      return undefined;
  }
}
