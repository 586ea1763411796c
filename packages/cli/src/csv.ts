/**
 * Streaming CSV reader: csv-parse over a file stream, typed into columns as it goes. Only the columns the caller
 * selects are kept. Every problem is reported as one line naming the file, the line and the column.
 *
 * Column types: a column given a type hint keeps it; otherwise its first non-missing value decides (a number
 * makes it numeric, anything else categorical). A numeric column that later meets a non-number is an error.
 * Missing values (empty, NA, N/A, NaN, nan, null) are kept as NaN (numeric) or null (categorical); what to do with
 * them is decided by the caller (see features.ts).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { type CsvError, parse } from 'csv-parse';
import { dataError, usageError } from './errors.js';

export type ColumnKind = 'numeric' | 'categorical';

export interface NumericColumn {
  kind: 'numeric';
  name: string;
  /** 1-based position in the file. */
  position: number;
  /** NaN marks a missing value. */
  values: Float64Array;
}

export interface CategoricalColumn {
  kind: 'categorical';
  name: string;
  position: number;
  /** null marks a missing value. */
  values: (string | null)[];
}

export type Column = NumericColumn | CategoricalColumn;

export interface Table {
  /** The file name as given (used in messages). */
  file: string;
  /** Every column name in the file, in order (`c1, c2, ...` without a header). */
  header: string[];
  /** The selected columns, by name. */
  columns: Map<string, Column>;
  rows: number;
  /** The 1-based source line of each row, for messages. */
  lines: Int32Array;
}

export interface ReadCsvOptions {
  /** The first row names the columns (default true); otherwise columns are named c1, c2, ... */
  header?: boolean;
  /**
   * Chooses the columns to keep from the header; throw (e.g. a usage error for an unknown column) to refuse. By
   * default every column is kept.
   */
  select?: (header: string[]) => string[];
  /** Column types to enforce instead of inferring them. */
  types?: ReadonlyMap<string, ColumnKind>;
  /** Field delimiter (default `,`). */
  delimiter?: string;
}

/** Text values read as missing. */
export const MISSING_MARKERS: readonly string[] = ['', 'NA', 'N/A', 'NaN', 'nan', 'null'];
const MISSING = new Set(MISSING_MARKERS);

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Parses a decimal number; undefined for anything else (hex, Infinity, text). */
export function parseNumber(text: string): number | undefined {
  if (!NUMBER.test(text)) return undefined;
  const v = Number(text);
  return Number.isFinite(v) ? v : undefined;
}

export function isMissing(text: string): boolean {
  return MISSING.has(text);
}

/** Names columns `c1, c2, ...` for files without a header row. */
export function positionalNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `c${i + 1}`);
}

/** "file:line:column" */
export function where(file: string, line: number, column?: number): string {
  return column === undefined ? `${file}:${line}` : `${file}:${line}:${column}`;
}

function quote(text: string): string {
  const shown = text.length > 40 ? `${text.slice(0, 37)}...` : text;
  return JSON.stringify(shown);
}

/** Column state while reading: undecided (only missing values so far), numeric or categorical. */
interface Builder {
  name: string;
  position: number;
  index: number;
  kind: ColumnKind | undefined;
  hinted: boolean;
  leadingMissing: number;
  numbers: number[];
  strings: (string | null)[];
  firstLine: number;
}

/** Reads a CSV file into typed columns. */
export async function readCsv(file: string, options: ReadCsvOptions = {}): Promise<Table> {
  const hasHeader = options.header ?? true;
  try {
    const s = await stat(file);
    if (s.isDirectory()) throw dataError(`${file}: is a directory, expected a CSV file`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw dataError(`${file}: no such file`);
    if ((error as NodeJS.ErrnoException).code === 'EACCES') throw dataError(`${file}: permission denied`);
    throw error;
  }

  const parser = parse({
    bom: true,
    delimiter: options.delimiter ?? ',',
    relax_column_count: true,
    skip_empty_lines: true,
    trim: true,
    info: true,
  });
  const stream = createReadStream(file);
  stream.on('error', (error) => parser.destroy(error));
  stream.pipe(parser);

  let header: string[] | undefined;
  let builders: Builder[] = [];
  const lines: number[] = [];
  let rows = 0;

  const start = (names: string[], line: number): void => {
    const seen = new Map<string, number>();
    names.forEach((name, i) => {
      if (name === '') throw dataError(`${where(file, line, i + 1)}: empty column name in the header`);
      const before = seen.get(name);
      if (before !== undefined) {
        throw dataError(
          `${where(file, line, i + 1)}: duplicate column name ${quote(name)} (also column ${before + 1})`,
        );
      }
      seen.set(name, i);
    });
    header = names;
    const selected = options.select ? options.select(names) : names;
    builders = selected.map((name) => {
      const index = seen.get(name);
      if (index === undefined)
        throw usageError(`${file}: no column named ${quote(name)} (columns: ${listNames(names)})`);
      const hint = options.types?.get(name);
      return {
        name,
        position: index + 1,
        index,
        kind: hint,
        hinted: hint !== undefined,
        leadingMissing: 0,
        numbers: [],
        strings: [],
        firstLine: 0,
      };
    });
  };

  const add = (b: Builder, text: string, line: number): void => {
    if (b.kind === undefined) {
      if (isMissing(text)) {
        b.leadingMissing++;
        return;
      }
      b.kind = parseNumber(text) !== undefined ? 'numeric' : 'categorical';
      b.firstLine = line;
      if (b.kind === 'numeric') for (let i = 0; i < b.leadingMissing; i++) b.numbers.push(Number.NaN);
      else for (let i = 0; i < b.leadingMissing; i++) b.strings.push(null);
    }
    if (b.kind === 'categorical') {
      b.strings.push(isMissing(text) ? null : text);
      return;
    }
    if (isMissing(text)) {
      b.numbers.push(Number.NaN);
      return;
    }
    const v = parseNumber(text);
    if (v === undefined) {
      const why = b.hinted
        ? 'the model reads this column as numbers'
        : `the column's first value (line ${b.firstLine}) is a number; pass --categorical ${b.name} if the column holds categories`;
      throw dataError(
        `${where(file, line, b.position)}: non-numeric value ${quote(text)} in numeric column ${quote(b.name)} (${why})`,
      );
    }
    b.numbers.push(v);
  };

  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const { record, info } = item;
      const line = info.lines;
      if (!header) {
        if (hasHeader) {
          start(record, line);
          continue;
        }
        start(positionalNames(record.length), line);
      }
      const width = (header as string[]).length;
      if (record.length !== width) {
        throw dataError(
          `${where(file, line)}: ragged row: ${record.length} field${record.length === 1 ? '' : 's'}, expected ${width} ${hasHeader ? 'as in the header' : 'as in the first row'}`,
        );
      }
      for (const b of builders) add(b, record[b.index], line);
      lines.push(line);
      rows++;
    }
  } catch (error) {
    stream.destroy();
    if (error instanceof Error && 'code' in error && typeof (error as CsvError).code === 'string') {
      const code = (error as CsvError).code as string;
      if (code === 'EISDIR') throw dataError(`${file}: is a directory, expected a CSV file`);
      if (code.startsWith('CSV_')) {
        const line = (error as CsvError).lines;
        const at = typeof line === 'number' ? where(file, line) : file;
        throw dataError(`${at}: CSV syntax error: ${firstSentence(error.message)}`);
      }
    }
    throw error;
  }

  if (!header) throw dataError(`${file}: empty file (expected a header row and data rows)`);
  if (rows === 0) throw dataError(`${file}: no data rows${hasHeader ? ' after the header' : ''}`);

  const columns = new Map<string, Column>();
  for (const b of builders) {
    const kind = b.kind ?? 'numeric';
    if (kind === 'numeric') {
      const values = new Float64Array(rows);
      if (b.kind === undefined) values.fill(Number.NaN);
      else values.set(b.numbers);
      columns.set(b.name, { kind: 'numeric', name: b.name, position: b.position, values });
    } else {
      columns.set(b.name, { kind: 'categorical', name: b.name, position: b.position, values: b.strings });
    }
  }
  return { file, header: header as string[], columns, rows, lines: Int32Array.from(lines) };
}

function firstSentence(message: string): string {
  return message.replace(/\s*\n.*/s, '').replace(/^Invalid Record Length: /, '');
}

export function listNames(names: readonly string[], max = 12): string {
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown}, ... (${names.length} in all)` : shown;
}
