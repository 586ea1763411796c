/**
 * The CLI's CSV reader: the file's bytes go straight into @shardprop/tabular's `TableBuilder`, through the
 * byte-level `PlainCsvReader` (no string per record or per number) when the file is plain CSV, or through
 * csv-parse's stream parser when it is not (quotes, a lone CR, control bytes: the reader says so at the first
 * such byte, and the file is read again from the start). Both give the same table and refuse a bad file with the
 * same one-line message (file, line, column) as the browser app's `parseCsvText`. What is here is only what needs
 * the file system: reading, progress over bytes, and the messages for a file that is missing, a directory or
 * unreadable.
 */
import { createReadStream } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import {
  type CsvOptions,
  csvParseOptions,
  csvSyntaxError,
  NotPlainCsv,
  PlainCsvReader,
  plainDelimiter,
  type Table,
  TableBuilder,
  TabularError,
} from '@shardprop/tabular';
import { parse } from 'csv-parse';
import { dataError, exitCodeOf, UserError } from './errors.js';

/** How far a read has come: bytes of the file read so far, of `totalBytes`, and the data rows read so far. */
export type ReadProgress = (bytesRead: number, totalBytes: number, rows: number) => void;

export interface ReadCsvOptions extends CsvOptions {
  /** Called as the file is read, at most once per chunk (a few MB). */
  onProgress?: ReadProgress;
}

/** Bytes read per call on the fast path: large enough that a call costs nothing beside parsing it. */
const CHUNK_BYTES = 4 << 20;

/** How much the row estimate from the first chunk is raised, for files whose later rows are a little shorter. */
const ROWS_MARGIN = 1.04;

/** The CLI's advice for a non-number in a column read as numbers. */
export function categoricalAdvice(column: string): string {
  return `pass --categorical ${column} if the column holds categories`;
}

/** The file's size, or the one-line message for a file that cannot be read. */
async function fileSize(file: string): Promise<number> {
  try {
    const s = await stat(file);
    if (s.isDirectory()) throw dataError(`${file}: is a directory, expected a CSV file`);
    return s.size;
  } catch (error) {
    throw fileError(file, error);
  }
}

function fileError(file: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return dataError(`${file}: no such file`);
  if (code === 'EACCES' || code === 'EPERM') return dataError(`${file}: permission denied (cannot read the file)`);
  if (code === 'EISDIR') return dataError(`${file}: is a directory, expected a CSV file`);
  return error;
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

/** A column that cannot be found in a one-column header is most often the wrong delimiter: the error says which. */
function withDelimiterAdvice(options: ReadCsvOptions): ReadCsvOptions {
  const select = options.select;
  if (!select) return options;
  return {
    ...options,
    select: (header: string[]) => {
      try {
        return select(header);
      } catch (error) {
        const advice = delimiterAdvice(header);
        if (!advice || !(error instanceof UserError || error instanceof TabularError)) throw error;
        throw new UserError(`${error.message}; ${advice}`, exitCodeOf(error));
      }
    },
  };
}

/** Reads a CSV file into typed columns. */
export async function readCsv(file: string, options: ReadCsvOptions = {}): Promise<Table> {
  const size = await fileSize(file);
  const tableOptions = withDelimiterAdvice({ numericAdvice: categoricalAdvice, ...options });
  if (plainDelimiter(options.delimiter ?? ',')) {
    try {
      return await readPlain(file, size, tableOptions);
    } catch (error) {
      if (!(error instanceof NotPlainCsv)) throw error;
    }
  }
  return readCsvParse(file, tableOptions, size);
}

/** The fast path: chunks of bytes into `PlainCsvReader`; throws NotPlainCsv for a file it cannot read. */
async function readPlain(file: string, size: number, options: ReadCsvOptions): Promise<Table> {
  const builder = new TableBuilder(file, options);
  const reader = new PlainCsvReader(builder, options.delimiter);
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw fileError(file, error);
  }
  try {
    let buffer = new Uint8Array(CHUNK_BYTES);
    let held = 0;
    let read = 0;
    let reserved = false;
    for (;;) {
      if (held === buffer.length) {
        // One line longer than the buffer: make room for it.
        const bigger = new Uint8Array(buffer.length * 2);
        bigger.set(buffer);
        buffer = bigger;
      }
      const { bytesRead } = await handle.read(buffer, held, buffer.length - held, null);
      held += bytesRead;
      read += bytesRead;
      const final = bytesRead === 0;
      const used = reader.push(buffer, held, final);
      options.onProgress?.(read, size, reader.lines);
      if (final) break;
      if (!reserved && reader.lines > 1) {
        // The rows of the whole file, estimated from the first chunk's bytes per line (a little over, so that
        // the columns usually fill their one array without copying; see TableBuilder.reserve).
        reserved = true;
        const consumed = read - (held - used);
        builder.reserve(Math.ceil(((size * reader.lines) / consumed) * ROWS_MARGIN) + 16);
      }
      buffer.copyWithin(0, used, held);
      held -= used;
    }
  } catch (error) {
    throw fileError(file, error);
  } finally {
    await handle.close();
  }
  return builder.finish();
}

/**
 * Reads a CSV file with csv-parse's stream parser only, record by record into the builder: the general path of
 * `readCsv`, for any file (quoted fields, other line ends), at csv-parse's speed. The same table as `readCsv`.
 */
export async function readCsvParse(file: string, options: ReadCsvOptions = {}, size?: number): Promise<Table> {
  size ??= await fileSize(file);
  const builder = new TableBuilder(file, { numericAdvice: categoricalAdvice, ...options });
  const parser = parse({ ...csvParseOptions(options.delimiter), info: true });
  const stream = createReadStream(file);
  let read = 0;
  let rows = 0;
  stream.on('data', (chunk) => {
    read += chunk.length;
    options.onProgress?.(read, size, rows);
  });
  stream.on('error', (error) => parser.destroy(error));
  stream.pipe(parser);
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      builder.add(record, info.lines);
      rows++;
    }
  } catch (error) {
    stream.destroy();
    const known = fileError(file, error);
    if (known !== error) throw known;
    throw csvSyntaxError(file, error) ?? error;
  }
  return builder.finish();
}
