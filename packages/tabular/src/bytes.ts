/**
 * The fast path for plain CSV: records split and numbers parsed straight from UTF-8 bytes into a `TableBuilder`,
 * with no string per record and none per number. "Plain" means what csv-parse reads in only one way: no quote
 * character, one kind of line end (LF or CRLF, decided by the first), no control bytes other than tab, a
 * one-byte delimiter other than space or tab. On anything else `push` throws {@link NotPlainCsv} and the caller
 * reads the file with csv-parse from the start; everything before that point is plain, so a bad cell there was
 * already refused with the message csv-parse's path gives.
 *
 * Equal to csv-parse with `csvParseOptions` on plain input: a leading byte-order mark is skipped; fields are
 * trimmed (space and tab at the start, JavaScript whitespace at the end, as csv-parse's `trim`); lines that are
 * empty or hold only spaces and tabs are skipped; each record carries the line it is on. A number is parsed from
 * its bytes when that is exact (at most 15 digits and a power of ten within 1e22: one correctly rounded
 * operation, so the same double as `Number(text)`), otherwise from its text as the builder does.
 *
 * Once every selected column holds numbers, a line is first read in one pass (`numericLine`: split, trim and
 * parse together, the record's values handed over at once); any line that pass does not take as it is (a missing
 * value, text, a long number, a ragged row) is read again by the general two-pass code, so the two agree.
 */
import type { TableBuilder } from './table.js';

/** Thrown by {@link PlainCsvReader.push} at the first byte that needs csv-parse's rules. */
export class NotPlainCsv extends Error {
  override name = 'NotPlainCsv';
}

const TAB = 9;
const LF = 10;
const CR = 13;
const SPACE = 32;
const QUOTE = 34;
const PLUS = 43;
const MINUS = 45;
const DOT = 46;
const ZERO = 48;
const NINE = 57;
const E_UPPER = 69;
const E_LOWER = 101;

/** 10^0 .. 10^22, every one exact in float64. */
const POW10 = Float64Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * Reads the decimal number that starts at `b[start]` into `out[at]` when its value is exact from the bytes (at
 * most 15 digits, a power of ten within 1e22) and returns the index of the first byte after it; -1 when there is
 * no number there or it needs the full algorithm of `Number(text)`. The one place numbers are parsed from bytes,
 * so the fused line reader and {@link exactNumber} give the same double. (The value goes into an array and the
 * return value is a small integer so that nothing is boxed per call.)
 */
function scanNumber(b: Uint8Array, start: number, end: number, out: Float64Array, at: number): number {
  let i = start;
  let negative = false;
  if (i < end && (b[i] === MINUS || b[i] === PLUS)) negative = b[i++] === MINUS;
  let mantissa = 0;
  let digits = 0;
  let scale = 0;
  const intStart = i;
  while (i < end && b[i] >= ZERO && b[i] <= NINE) mantissa = mantissa * 10 + (b[i++] - ZERO);
  digits = i - intStart;
  if (i < end && b[i] === DOT) {
    const fracStart = ++i;
    while (i < end && b[i] >= ZERO && b[i] <= NINE) mantissa = mantissa * 10 + (b[i++] - ZERO);
    scale = fracStart - i;
    digits += i - fracStart;
  }
  if (digits === 0 || digits > 15) return -1;
  if (i < end && (b[i] === E_LOWER || b[i] === E_UPPER)) {
    i++;
    let expNegative = false;
    if (i < end && (b[i] === MINUS || b[i] === PLUS)) expNegative = b[i++] === MINUS;
    const expStart = i;
    let exp = 0;
    while (i < end && b[i] >= ZERO && b[i] <= NINE && exp < 1000) exp = exp * 10 + (b[i++] - ZERO);
    if (i === expStart) return -1;
    scale += expNegative ? -exp : exp;
  }
  let v: number;
  if (mantissa === 0) v = 0;
  else if (scale >= 0 && scale <= 22) v = mantissa * POW10[scale];
  else if (scale < 0 && scale >= -22) v = mantissa / POW10[-scale];
  else return -1;
  out[at] = negative ? -v : v;
  return i;
}

const scratch = new Float64Array(1);

/**
 * The number a field's bytes spell, when it can be computed exactly from them; NaN otherwise (not a decimal
 * number, or one that needs the full algorithm of `Number(text)`), leaving the field to the text path.
 */
export function exactNumber(b: Uint8Array, start: number, end: number): number {
  return scanNumber(b, start, end, scratch, 0) === end ? scratch[0] : Number.NaN;
}

/** Whether {@link PlainCsvReader} can read files with this delimiter. */
export function plainDelimiter(delimiter: string): boolean {
  if (delimiter.length !== 1) return false;
  const code = delimiter.charCodeAt(0);
  return code > SPACE && code < 0x7f && code !== QUOTE;
}

/**
 * Feeds a `TableBuilder` from the bytes of a plain CSV file, chunk by chunk: `push` the bytes read so far and
 * keep what it did not consume (an incomplete last line) for the next call; `push(..., true)` at the end.
 */
export class PlainCsvReader {
  readonly #builder: TableBuilder;
  readonly #delimiter: number;
  // ignoreBOM keeps a U+FEFF at a field's start, as csv-parse does (only the file's first one is a BOM).
  readonly #decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  /** Positions of the delimiters of the current line. */
  #cuts: Int32Array = new Int32Array(64);
  /** The builder's field index per selected column, fixed once the header is read. */
  #fields: Int32Array | undefined;
  /**
   * Once every selected column is typed as numbers: the selected slot of each field of a record, -1 for a field
   * not selected. Lines are then read by {@link numericLine} first.
   */
  #plan: Int32Array | undefined;
  /** The values of the line {@link numericLine} read, by slot, added to the builder once its line end is checked. */
  #row: Float64Array = new Float64Array(0);
  #line = 1;
  #started = false;
  /** 0 until the first line end; then LF or CR (for CRLF). */
  #lineEnd = 0;

  constructor(builder: TableBuilder, delimiter = ',') {
    if (!plainDelimiter(delimiter)) throw new NotPlainCsv(`delimiter ${JSON.stringify(delimiter)}`);
    this.#builder = builder;
    this.#delimiter = delimiter.charCodeAt(0);
  }

  /** The number of lines read so far. */
  get lines(): number {
    return this.#line - 1;
  }

  /**
   * What {@link readNumericLines} needs to read the lines that follow elsewhere (another thread) exactly as this
   * reader would: once every selected column holds numbers and the file's line end is known; else undefined.
   */
  get numericLines(): NumericLinesFormat | undefined {
    if (this.#plan === undefined || this.#lineEnd === 0) return undefined;
    return { plan: this.#plan, delimiter: this.#delimiter, crlf: this.#lineEnd === CR };
  }

  /** Counts `lines` records read elsewhere with {@link numericLines}, so that the lines after them are numbered right. */
  skipLines(lines: number): void {
    this.#line += lines;
  }

  /**
   * Reads every complete line of `bytes[0, end)` (all of them when `final`) and returns the number of bytes read;
   * the caller passes the rest again, with more bytes after it.
   * @throws NotPlainCsv where csv-parse's rules are needed; TabularError for a bad record, as `TableBuilder.add`.
   */
  push(bytes: Uint8Array, end: number, final = false): number {
    let pos = 0;
    if (!this.#started) {
      if (end < 3 && !final) return 0;
      if (end >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) pos = 3;
      this.#started = true;
    }
    const delimiter = this.#delimiter;
    while (pos < end) {
      let cuts = this.#cuts;
      let n = 0;
      let i = pos;
      const plan = this.#plan;
      let stop = plan === undefined ? -1 : numericLine(bytes, pos, end, plan, delimiter, this.#row, 0);
      const fused = stop >= 0;
      if (!fused) {
        for (; i < end; i++) {
          const b = bytes[i];
          if (b === delimiter) {
            if (n === cuts.length) cuts = this.#grow();
            cuts[n++] = i;
          } else if (b < SPACE || b === QUOTE) {
            if (b === TAB) continue;
            if (b === LF || b === CR) {
              stop = i;
              break;
            }
            this.#notPlain(b);
          }
        }
      }
      if (stop < 0) {
        if (!final) return pos;
        stop = end;
        i = end;
      } else {
        // A line end: LF, or CR LF when the file's first line end was CR LF.
        if (bytes[stop] === CR) {
          if (stop + 1 === end && !final) return pos;
          if (bytes[stop + 1] !== LF) this.#notPlain(CR);
          if (this.#lineEnd === 0) this.#lineEnd = CR;
          else if (this.#lineEnd !== CR) this.#notPlain(CR);
          i = stop + 2;
        } else {
          if (this.#lineEnd === 0) this.#lineEnd = LF;
          else if (this.#lineEnd !== LF) this.#notPlain(LF);
          i = stop + 1;
        }
      }
      if (fused) this.#builder.addRow(this.#row, this.#line);
      else {
        this.#record(bytes, pos, stop, n);
        if (this.#plan === undefined) this.#plan = this.#fusedPlan();
      }
      this.#line++;
      pos = i;
    }
    return pos;
  }

  /** The plan for {@link numericLine} once the header is read and every selected column holds numbers. */
  #fusedPlan(): Int32Array | undefined {
    const builder = this.#builder;
    const width = builder.width;
    if (width === undefined) return undefined;
    const fields = builder.fieldIndexes;
    if (fields.length === 0) return undefined;
    for (let slot = 0; slot < fields.length; slot++) if (!builder.isNumeric(slot)) return undefined;
    const plan = new Int32Array(width).fill(-1);
    fields.forEach((k, slot) => {
      plan[k] = slot;
    });
    this.#row = new Float64Array(fields.length);
    return plan;
  }

  #grow(): Int32Array {
    const cuts = new Int32Array(this.#cuts.length * 2);
    cuts.set(this.#cuts);
    this.#cuts = cuts;
    return cuts;
  }

  #notPlain(byte: number): never {
    throw new NotPlainCsv(`line ${this.#line}: byte ${byte} needs csv-parse`);
  }

  /** One line `[start, stop)` with `n` delimiters. */
  #record(bytes: Uint8Array, start: number, stop: number, n: number): void {
    const builder = this.#builder;
    const cuts = this.#cuts;
    const line = this.#line;
    if (n === 0) {
      let blank = true;
      for (let i = start; i < stop && blank; i++) blank = bytes[i] === SPACE || bytes[i] === TAB;
      if (blank) return;
    }
    const width = builder.width;
    if (width === undefined || n + 1 !== width) {
      // The header, or a ragged row: the builder types or refuses the record as a whole.
      const record: string[] = [];
      for (let k = 0; k <= n; k++) {
        record.push(this.#text(bytes, k === 0 ? start : cuts[k - 1] + 1, k === n ? stop : cuts[k]));
      }
      builder.add(record, line);
      return;
    }
    if (this.#fields === undefined) this.#fields = Int32Array.from(builder.fieldIndexes);
    const fields = this.#fields;
    for (let slot = 0; slot < fields.length; slot++) {
      const k = fields[slot];
      let a = k === 0 ? start : cuts[k - 1] + 1;
      let b = k === n ? stop : cuts[k];
      while (a < b && (bytes[a] === SPACE || bytes[a] === TAB)) a++;
      while (b > a && (bytes[b - 1] === SPACE || bytes[b - 1] === TAB)) b--;
      if (builder.isNumeric(slot)) {
        if (a === b) {
          builder.addNumber(slot, Number.NaN);
          continue;
        }
        const v = exactNumber(bytes, a, b);
        if (!Number.isNaN(v)) {
          builder.addNumber(slot, v);
          continue;
        }
      }
      builder.addField(slot, this.#decode(bytes, a, b), line);
    }
    builder.endRow(line);
  }

  /** A field trimmed as csv-parse trims it. */
  #text(bytes: Uint8Array, a: number, b: number): string {
    while (a < b && (bytes[a] === SPACE || bytes[a] === TAB)) a++;
    return this.#decode(bytes, a, b);
  }

  #decode(bytes: Uint8Array, a: number, b: number): string {
    return this.#decoder.decode(bytes.subarray(a, b)).trimEnd();
  }
}

/**
 * The common line in one pass over its bytes: every field of the record, each selected one an exact number
 * (see {@link scanNumber}) with only spaces and tabs around it, the last one ended by LF or CR. Its values go to
 * `row[at + slot]` and the index of its line end is returned; -1 for any other line (a missing or non-numeric
 * value, a quote, a ragged row, no line end before `end`), which the general path then reads from its start.
 * Equal to that path on every line it takes: the same bytes are trimmed and parsed by the same function.
 * `plan[k]` is the slot of field k, -1 for a field not selected.
 */
function numericLine(
  b: Uint8Array,
  pos: number,
  end: number,
  plan: Int32Array,
  delimiter: number,
  row: Float64Array,
  at: number,
): number {
  const last = plan.length - 1;
  let i = pos;
  for (let k = 0; k <= last; k++) {
    const slot = plan[k];
    if (slot < 0) {
      // A field not selected: skipped, but still refused where csv-parse's rules would apply.
      for (; i < end; i++) {
        const c = b[i];
        if (c === delimiter) break;
        if ((c < SPACE && c !== TAB) || c === QUOTE) {
          if (k === last && (c === LF || c === CR)) break;
          return -1;
        }
      }
    } else {
      while (i < end && (b[i] === SPACE || b[i] === TAB)) i++;
      i = scanNumber(b, i, end, row, at + slot);
      if (i < 0) return -1;
      while (i < end && (b[i] === SPACE || b[i] === TAB)) i++;
    }
    if (i >= end) return -1;
    const c = b[i];
    if (k < last) {
      if (c !== delimiter) return -1;
      i++;
    } else if (c !== LF && c !== CR) return -1;
  }
  return i;
}

/** How the lines of a file are laid out, from the {@link PlainCsvReader} that read its start. */
export interface NumericLinesFormat {
  /** The selected slot of each field of a record, -1 for a field not selected. */
  plan: Int32Array;
  /** The delimiter byte. */
  delimiter: number;
  /** Lines end with CR LF (else LF). */
  crlf: boolean;
}

/** What {@link readNumericLines} read. */
export interface NumericLines {
  /** Records read, each one line; their values are the first `rows * slots` of the output array. */
  rows: number;
  /** The index of the first byte not read: `end`, or the start of the first line left to the general path. */
  stop: number;
}

/**
 * Reads whole lines of numbers from `bytes[start, end)` (which starts at a line's start) into `out`, row after
 * row, one value per selected column, as a {@link PlainCsvReader} in the same state would; stops at the first
 * line it would not read in one pass (a missing value, text, a quote, another line end...), when `out` is full,
 * or at `end`. Runs anywhere, e.g. in a worker thread on one chunk of a file with `out` in shared memory: the
 * values are the same doubles, and the caller knows where the general path resumes.
 */
export function readNumericLines(
  bytes: Uint8Array,
  start: number,
  end: number,
  format: NumericLinesFormat,
  out: Float64Array,
): NumericLines {
  const { plan, delimiter, crlf } = format;
  let slots = 0;
  for (let k = 0; k < plan.length; k++) if (plan[k] >= 0) slots++;
  let rows = 0;
  let pos = start;
  while (pos < end && (rows + 1) * slots <= out.length) {
    const stop = numericLine(bytes, pos, end, plan, delimiter, out, rows * slots);
    if (stop < 0) break;
    if (crlf ? bytes[stop] !== CR || stop + 1 >= end || bytes[stop + 1] !== LF : bytes[stop] !== LF) break;
    pos = stop + (crlf ? 2 : 1);
    rows++;
  }
  return { rows, stop: pos };
}
