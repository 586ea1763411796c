/**
 * An in-memory CSV reader for the page, typed into columns as the CLI's reader (packages/cli/src/csv.ts) does and
 * with the same messages, so a file that the CLI refuses is refused here with the same words, line and column.
 *
 * Syntax (as csv-parse with `bom`, `trim`, `skip_empty_lines`): an optional UTF-8 byte-order mark; records end at
 * `\n`, `\r\n` or `\r`; fields are separated by the delimiter; a field may be quoted with `"` (a doubled `""` is a
 * quote inside it, and it may span lines); whitespace around a field is dropped; empty lines are skipped.
 *
 * Column types: a column's first non-missing value decides (a number makes it numeric, anything else
 * categorical); a numeric column that later meets a non-number is an error. Missing values (empty, NA, N/A, NaN,
 * nan, null) are kept as NaN (numeric) or null (categorical).
 */

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
  /** Every column name in the file, in order. */
  header: string[];
  /** The columns, by name. */
  columns: Map<string, Column>;
  rows: number;
  /** The 1-based source line of each row, for messages. */
  lines: Int32Array;
}

export interface ParseCsvOptions {
  /** Column types to enforce instead of inferring them (e.g. a model's features when predicting). */
  types?: ReadonlyMap<string, ColumnKind>;
  /** Field delimiter (default `,`). */
  delimiter?: string;
}

/** A problem with the data the user gave: shown as it is, on one line. */
export class CsvError extends Error {
  override name = 'CsvError';
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

/** "file:line:column" */
export function where(file: string, line: number, column?: number): string {
  return column === undefined ? `${file}:${line}` : `${file}:${line}:${column}`;
}

export function quote(text: string): string {
  const shown = text.length > 40 ? `${text.slice(0, 37)}...` : text;
  return JSON.stringify(shown);
}

export function listNames(names: readonly string[], max = 12): string {
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown}, ... (${names.length} in all)` : shown;
}

/** One record and the 1-based line it ends on (as csv-parse's `info.lines` reports it). */
export interface CsvRecord {
  fields: string[];
  line: number;
}

/**
 * Splits CSV text into records of trimmed fields. Empty lines are skipped.
 * @throws CsvError for a quote that is never closed, or text after a closing quote.
 */
export function parseRecords(text: string, file: string, delimiter = ','): CsvRecord[] {
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new CsvError(`delimiter must be one character other than a quote or a line break, got ${quote(delimiter)}`);
  }
  const isBlank = (c: string): boolean => (c === ' ' || c === '\t') && c !== delimiter;
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  const n = src.length;
  let line = 1;
  let i = 0;
  let fields: string[] = [];
  let field = '';
  // Whether the current record has any content yet (an empty line has none and is skipped).
  let started = false;

  const endRecord = (): void => {
    if (started) records.push({ fields, line });
    fields = [];
    field = '';
    started = false;
  };
  const newline = (): void => {
    // \r\n counts once.
    if (src[i] === '\r' && src[i + 1] === '\n') i++;
    i++;
  };

  while (i < n) {
    // Start of a field: skip leading blanks (a line of blanks only is an empty line).
    while (i < n && isBlank(src[i])) i++;
    if (src[i] === '"') {
      started = true;
      i++;
      let value = '';
      for (;;) {
        if (i >= n) {
          // Like csv-parse: the last line with content (a final line break does not start a new line).
          const last = /[\r\n]$/.test(src) ? line - 1 : line;
          throw new CsvError(
            `${where(file, last)}: CSV syntax error: Quote Not Closed: the parsing is finished with an opening quote at line ${last}`,
          );
        }
        const c = src[i];
        if (c === '"') {
          if (src[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (c === '\n' || c === '\r') {
          value += c === '\r' && src[i + 1] === '\n' ? '\r\n' : c;
          newline();
          line++;
          continue;
        }
        value += c;
        i++;
      }
      while (i < n && isBlank(src[i])) i++;
      if (i < n && src[i] !== delimiter && src[i] !== '\n' && src[i] !== '\r') {
        throw new CsvError(
          `${where(file, line)}: CSV syntax error: Invalid Closing Quote: got ${JSON.stringify(src[i])} at line ${line} instead of delimiter, record delimiter, trimable character (if activated) or comment`,
        );
      }
      field = value;
    } else {
      const from = i;
      while (i < n && src[i] !== delimiter && src[i] !== '\n' && src[i] !== '\r') i++;
      field = src.slice(from, i).trim();
      if (field !== '') started = true;
    }
    // After a field: a delimiter, a line break or the end of the text.
    if (i < n && src[i] === delimiter) {
      started = true;
      fields.push(field);
      i++;
      continue;
    }
    if (started) fields.push(field);
    endRecord();
    if (i < n) {
      newline();
      line++;
    }
  }
  // The text ended right after a delimiter: the record ends with an empty field.
  if (started) {
    fields.push('');
    endRecord();
  }
  return records;
}

/** Column state while reading: undecided (only missing values so far), numeric or categorical. */
interface Builder {
  name: string;
  position: number;
  kind: ColumnKind | undefined;
  hinted: boolean;
  leadingMissing: number;
  numbers: number[];
  strings: (string | null)[];
  firstLine: number;
}

/**
 * Reads CSV text (with a header row) into typed columns.
 * @throws CsvError naming the file, the line and the column of the first problem.
 */
export function parseCsv(text: string, file: string, options: ParseCsvOptions = {}): Table {
  const records = parseRecords(text, file, options.delimiter ?? ',');
  if (records.length === 0) throw new CsvError(`${file}: empty file (expected a header row and data rows)`);
  const head = records[0];
  const header = head.fields;
  const seen = new Map<string, number>();
  header.forEach((name, i) => {
    if (name === '') throw new CsvError(`${where(file, head.line, i + 1)}: empty column name in the header`);
    const before = seen.get(name);
    if (before !== undefined) {
      throw new CsvError(
        `${where(file, head.line, i + 1)}: duplicate column name ${quote(name)} (also column ${before + 1})`,
      );
    }
    seen.set(name, i);
  });
  const builders: Builder[] = header.map((name, index) => {
    const hint = options.types?.get(name);
    return {
      name,
      position: index + 1,
      kind: hint,
      hinted: hint !== undefined,
      leadingMissing: 0,
      numbers: [],
      strings: [],
      firstLine: 0,
    };
  });

  const add = (b: Builder, value: string, line: number): void => {
    if (b.kind === undefined) {
      if (isMissing(value)) {
        b.leadingMissing++;
        return;
      }
      b.kind = parseNumber(value) !== undefined ? 'numeric' : 'categorical';
      b.firstLine = line;
      if (b.kind === 'numeric') for (let i = 0; i < b.leadingMissing; i++) b.numbers.push(Number.NaN);
      else for (let i = 0; i < b.leadingMissing; i++) b.strings.push(null);
    }
    if (b.kind === 'categorical') {
      b.strings.push(isMissing(value) ? null : value);
      return;
    }
    if (isMissing(value)) {
      b.numbers.push(Number.NaN);
      return;
    }
    const v = parseNumber(value);
    if (v === undefined) {
      const why = b.hinted
        ? 'the model reads this column as numbers'
        : `the column's first value (line ${b.firstLine}) is a number`;
      throw new CsvError(
        `${where(file, line, b.position)}: non-numeric value ${quote(value)} in numeric column ${quote(b.name)} (${why})`,
      );
    }
    b.numbers.push(v);
  };

  const width = header.length;
  const lines: number[] = [];
  for (let r = 1; r < records.length; r++) {
    const { fields, line } = records[r];
    if (fields.length !== width) {
      throw new CsvError(
        `${where(file, line)}: ragged row: ${fields.length} field${fields.length === 1 ? '' : 's'}, expected ${width} as in the header`,
      );
    }
    for (let j = 0; j < width; j++) add(builders[j], fields[j], line);
    lines.push(line);
  }
  const rows = lines.length;
  if (rows === 0) throw new CsvError(`${file}: no data rows after the header`);

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
  return { file, header, columns, rows, lines: Int32Array.from(lines) };
}
