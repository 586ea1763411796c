/**
 * Typed tables from CSV records. A `TableBuilder` receives each parsed record with the line it ends on and types
 * the selected columns as it goes, so a streaming reader (the CLI's, over a file) and a whole-string parser (the
 * browser's, see parse.ts) build the same table and refuse a bad file with the same one-line message naming the
 * file, the line and the column.
 *
 * Column types: a column given a type hint keeps it; otherwise its first non-missing value decides (a number
 * makes it numeric, anything else categorical). A numeric column that later meets a non-number is an error.
 * Missing values (empty, NA, N/A, NaN, nan, null) are kept as NaN (numeric) or null (categorical); what to do with
 * them is decided by the caller (see features.ts).
 */
import { Float64Blocks, resizableFloat64 } from './blocks.js';
import { dataError, type TabularError, usageError } from './errors.js';

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

/** How records become a table. */
export interface TableOptions {
  /** The first row names the columns (default true); otherwise columns are named c1, c2, ... */
  header?: boolean;
  /**
   * Chooses the columns to keep from the header; throw (e.g. a usage error for an unknown column) to refuse. By
   * default every column is kept.
   */
  select?: (header: string[]) => string[];
  /** Column types to enforce instead of inferring them. */
  types?: ReadonlyMap<string, ColumnKind>;
  /**
   * Advice added to the message for a non-number in a column inferred as numeric, naming the front end's way to
   * read the column as categories (the CLI: `pass --categorical NAME if the column holds categories`).
   */
  numericAdvice?: (column: string) => string;
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

/**
 * Text a person would read as a number but {@link parseNumber} does not: infinities, hex/octal/binary literals,
 * a decimal comma or digit groups ("1,5", "1 000", "1_000"), a number beyond float64's range ("1e999"). A column
 * that starts with one is refused rather than silently typed as categories (see `TableBuilder`).
 */
export function looksNumeric(text: string): boolean {
  return LOOKS_NUMERIC.test(text) || (NUMBER.test(text) && !Number.isFinite(Number(text)));
}
const LOOKS_NUMERIC =
  /^[+-]?(?:inf|infinity|0x[0-9a-f]+|0o[0-7]+|0b[01]+|\d+(?:[,_ ]\d+)+(?:[.,]\d*)?(?:e[+-]?\d+)?)$/i;

/** Whether a field is one of the {@link MISSING_MARKERS}. */
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

/** A value as messages show it: JSON-quoted, cut to 40 characters. */
export function quote(text: string): string {
  const shown = text.length > 40 ? `${text.slice(0, 37)}...` : text;
  return JSON.stringify(shown);
}

/** Column names for a message: the first `max`, then how many there are in all. */
export function listNames(names: readonly string[], max = 12): string {
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown}, ... (${names.length} in all)` : shown;
}

/**
 * The message for an error thrown by csv-parse (a `CsvError`: code `CSV_...`, or `INVALID_OPENING_QUOTE` in
 * csv-parse 6): "file:line:column: CSV syntax error: ..." with csv-parse's first sentence, any value in it cut to
 * 40 characters (a stray quote in a binary file or a 2 MB field must not flood the terminal). Undefined for any
 * other error, which the caller rethrows as it is.
 */
export function csvSyntaxError(file: string, error: unknown): TabularError | undefined {
  if (!(error instanceof Error) || !('code' in error)) return undefined;
  const { code, lines, index, field } = error as { code: unknown; lines?: unknown; index?: unknown; field?: unknown };
  if (typeof code !== 'string' || !CSV_ERROR_CODE.test(code)) return undefined;
  // A quote left open is reported at the end of the file, where the field's position means nothing.
  const column = typeof index === 'number' && code !== 'CSV_QUOTE_NOT_CLOSED' ? index + 1 : undefined;
  const at = typeof lines === 'number' ? where(file, lines, column) : file;
  const what =
    code === 'INVALID_OPENING_QUOTE'
      ? `a quote character inside an unquoted field (after ${quote(typeof field === 'string' ? field : '')}); enclose the whole field in quotes and double the quotes inside it`
      : cutValues(firstSentence(error.message));
  return dataError(`${at}: CSV syntax error: ${what}`);
}

/** csv-parse's error codes: `CSV_...`, and the one without the prefix (csv-parse 6.2: INVALID_OPENING_QUOTE). */
const CSV_ERROR_CODE = /^(?:CSV_[A-Z_]+|INVALID_[A-Z_]+)$/;

function firstSentence(message: string): string {
  return message.replace(/\s*\n.*/s, '').replace(/^Invalid Record Length: /, '');
}

/** Every double-quoted value in a csv-parse message as {@link quote} shows it (at most 40 characters). */
function cutValues(message: string): string {
  return message.replace(/"([^"]*)"/g, (_, value: string) => quote(value));
}

/** Column state while reading: undecided (only missing values so far), numeric or categorical. */
interface ColumnState {
  name: string;
  position: number;
  index: number;
  kind: ColumnKind | undefined;
  hinted: boolean;
  leadingMissing: number;
  numbers: Float64Blocks;
  strings: (string | null)[];
  firstLine: number;
}

/**
 * Builds a typed table from records: feed every record (header included) with `add`, then call `finish`. Each
 * problem throws a `TabularError` naming the file, the line and the column.
 */
export class TableBuilder {
  readonly #options: TableOptions;
  readonly #hasHeader: boolean;
  #header: string[] | undefined;
  #columns: ColumnState[] = [];
  /** Source lines of the rows (float64 blocks, so that every block store is one monomorphic kind). */
  readonly #lines = new Float64Blocks();

  /** `file` is the name messages show. */
  constructor(
    readonly file: string,
    options: TableOptions = {},
  ) {
    this.#options = options;
    this.#hasHeader = options.header ?? true;
  }

  /** Adds one parsed record (trimmed fields) and the 1-based line it ends on. */
  add(record: string[], line: number): void {
    if (!this.#header) {
      if (this.#hasHeader) {
        this.#start(record, line);
        return;
      }
      this.#start(positionalNames(record.length), line);
    }
    const width = (this.#header as string[]).length;
    if (record.length !== width) {
      throw dataError(
        `${where(this.file, line)}: ragged row: ${record.length} field${record.length === 1 ? '' : 's'}, expected ${width} ${this.#hasHeader ? 'as in the header' : 'as in the first row'}`,
      );
    }
    for (const c of this.#columns) this.#addValue(c, record[c.index], line);
    this.endRow(line);
  }

  /*
   * Field by field, for readers that split records themselves (see bytes.ts): once the header is known, a record
   * of `width` fields is added as one `addNumber` or `addField` per selected column, in `fieldIndexes` order,
   * then `endRow`. The result and the messages are those of `add` with the same record.
   */

  /** The number of fields every record must have; undefined until the header (or first record) is read. */
  get width(): number | undefined {
    return this.#header?.length;
  }

  /** The 0-based field index of each selected column, in the order the columns take their values. */
  get fieldIndexes(): number[] {
    return this.#columns.map((c) => c.index);
  }

  /** Whether the `slot`-th selected column is already typed as numbers (so a parsed number can go in as is). */
  isNumeric(slot: number): boolean {
    return this.#columns[slot].kind === 'numeric';
  }

  /** A number, or NaN for a missing value, for a column that {@link isNumeric}. */
  addNumber(slot: number, value: number): void {
    this.#columns[slot].numbers.push(value);
  }

  /**
   * A whole record of numbers, `values[slot]` for each selected column (every one {@link isNumeric}), ending on
   * `line`: the same as one `addNumber` per slot and `endRow`.
   */
  addRow(values: Float64Array, line: number): void {
    const columns = this.#columns;
    for (let slot = 0; slot < columns.length; slot++) columns[slot].numbers.push(values[slot]);
    this.#lines.push(line);
  }

  /**
   * `rows` whole records of numbers, row after row in `values` (one value per selected column, every one
   * {@link isNumeric}), on the consecutive lines from `firstLine`: the same as one {@link addRow} per record.
   */
  addRows(values: Float64Array, rows: number, firstLine: number): void {
    const columns = this.#columns;
    const slots = columns.length;
    for (let slot = 0; slot < slots; slot++) {
      const numbers = columns[slot].numbers;
      for (let r = 0, i = slot; r < rows; r++, i += slots) numbers.push(values[i]);
    }
    for (let r = 0; r < rows; r++) this.#lines.push(firstLine + r);
  }

  /**
   * A hint that about `rows` records will follow in all (a reader's estimate): numeric columns and the line
   * numbers then grow in one array of that size, which becomes the column when the estimate was close.
   */
  reserve(rows: number): void {
    this.#lines.reserve(rows);
    for (const c of this.#columns) if (c.kind !== 'categorical') c.numbers.reserve(rows);
  }

  /** One trimmed field of the current record, typed as `add` types it. */
  addField(slot: number, text: string, line: number): void {
    this.#addValue(this.#columns[slot], text, line);
  }

  /** Ends the current record, which ends on `line`. */
  endRow(line: number): void {
    this.#lines.push(line);
  }

  /** The table; throws for a file without a header or without data rows. Call it once, after the last record. */
  finish(): Table {
    const file = this.file;
    const header = this.#header;
    if (!header) throw dataError(`${file}: empty file (expected a header row and data rows)`);
    const rows = this.#lines.length;
    const lines = new Int32Array(this.#lines.take());
    if (rows === 0) throw dataError(`${file}: no data rows${this.#hasHeader ? ' after the header' : ''}`);
    const columns = new Map<string, Column>();
    for (const c of this.#columns) {
      const kind = c.kind ?? 'numeric';
      if (kind === 'numeric') {
        const values = c.kind === undefined ? resizableFloat64(rows).fill(Number.NaN) : c.numbers.take();
        columns.set(c.name, { kind: 'numeric', name: c.name, position: c.position, values });
      } else {
        columns.set(c.name, { kind: 'categorical', name: c.name, position: c.position, values: c.strings });
      }
    }
    return { file, header, columns, rows, lines };
  }

  #start(names: string[], line: number): void {
    const file = this.file;
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
    this.#header = names;
    const selected = this.#options.select ? this.#options.select(names) : names;
    this.#columns = selected.map((name) => {
      const index = seen.get(name);
      if (index === undefined)
        throw usageError(`${file}: no column named ${quote(name)} (columns: ${listNames(names)})`);
      const hint = this.#options.types?.get(name);
      return {
        name,
        position: index + 1,
        index,
        kind: hint,
        hinted: hint !== undefined,
        leadingMissing: 0,
        numbers: new Float64Blocks(),
        strings: [],
        firstLine: 0,
      };
    });
  }

  /**
   * A column whose first value looks like a number that is not one ("Infinity", "0x1F", "1,5") would silently
   * become categories (one input per distinct value): the user says which it is.
   */
  #refuseLookalike(c: ColumnState, text: string, line: number): never {
    const advice = this.#options.numericAdvice;
    throw dataError(
      `${where(this.file, line, c.position)}: column ${quote(c.name)} starts with ${quote(text)}, which looks like a number but is not a decimal number this reader takes (such as -1.5 or 2e3); fix the value${advice ? `, or ${advice(c.name)}` : ''}`,
    );
  }

  #addValue(c: ColumnState, text: string, line: number): void {
    if (c.kind === undefined) {
      if (isMissing(text)) {
        c.leadingMissing++;
        return;
      }
      if (looksNumeric(text)) this.#refuseLookalike(c, text, line);
      c.kind = parseNumber(text) !== undefined ? 'numeric' : 'categorical';
      c.firstLine = line;
      if (c.kind === 'numeric') for (let i = 0; i < c.leadingMissing; i++) c.numbers.push(Number.NaN);
      else for (let i = 0; i < c.leadingMissing; i++) c.strings.push(null);
    }
    if (c.kind === 'categorical') {
      c.strings.push(isMissing(text) ? null : text);
      return;
    }
    if (isMissing(text)) {
      c.numbers.push(Number.NaN);
      return;
    }
    const v = parseNumber(text);
    if (v === undefined) {
      const advice = this.#options.numericAdvice;
      const why = c.hinted
        ? 'the model reads this column as numbers'
        : `the column's first value (line ${c.firstLine}) is a number${advice ? `; ${advice(c.name)}` : ''}`;
      throw dataError(
        `${where(this.file, line, c.position)}: non-numeric value ${quote(text)} in numeric column ${quote(c.name)} (${why})`,
      );
    }
    c.numbers.push(v);
  }
}
