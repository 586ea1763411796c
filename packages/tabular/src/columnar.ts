/**
 * Parquet (hyparquet) and Arrow IPC / Feather (apache-arrow) bytes into the same `Table` as a CSV of the same
 * data: every value goes through `TableBuilder`, so column types are inferred (or hinted), missing values kept and
 * bad values refused by the same rules and messages. Numbers go in as they are; other values as the text a CSV
 * would hold (booleans "true"/"false", 64-bit integers in decimal, strings and dictionary values as they are,
 * trimmed); null and NaN are missing. Messages number the rows as lines of that CSV: the header is line 1, the
 * first row line 2.
 *
 * Both libraries are browser-safe and loaded on first use (`import()`), so a CSV reader, in the CLI or the page,
 * never loads them: the CLI starts faster, and a bundler puts them in chunks of their own that the page fetches only
 * for a columnar file.
 *
 * Progress: the bytes are decoded column by column and assembled row by row; `onProgress` gets that work as a
 * share of the bytes (each selected column and the assembly count as equal parts), with the rows assembled so far,
 * so a front end shows the same bar as for a CSV.
 */
import { dataError } from './errors.js';
import { type Table, TableBuilder, type TableOptions } from './table.js';

/** Options of the columnar readers. */
export interface ColumnarOptions extends TableOptions {
  /** Called as the bytes are decoded (see above): work done and in all, in bytes, and the rows assembled. */
  onProgress?: (bytesDone: number, totalBytes: number, rows: number) => void;
}

/** Rows assembled between progress calls. */
const PROGRESS_ROWS = 1 << 16;

/** A columnar file's column names and a way to read a column's values by position. */
interface Columns {
  names: string[];
  rows: number;
  /** The values of the column at `index` (a file position), read only for selected columns. */
  column(index: number): Promise<ArrayLike<unknown>>;
}

/** Fills a builder from columns, row by row in file order (so the first problem reported is the CSV's first). */
async function build(file: string, size: number, source: Columns, options: ColumnarOptions): Promise<Table> {
  const { onProgress, ...tableOptions } = options;
  const builder = new TableBuilder(file, tableOptions);
  builder.add(source.names, 1);
  const fields = builder.fieldIndexes;
  const parts = fields.length + 1;
  // One column at a time, so that only one column's decoding buffers are alive at once.
  const values: ArrayLike<unknown>[] = [];
  for (const index of fields) {
    values.push(await source.column(index));
    onProgress?.(Math.floor((size * values.length) / parts), size, 0);
  }
  builder.reserve(source.rows);
  for (let r = 0; r < source.rows; r++) {
    const line = r + 2;
    if (onProgress && r % PROGRESS_ROWS === 0 && r > 0) {
      onProgress(Math.floor(size * ((fields.length + r / source.rows) / parts)), size, r);
    }
    for (let slot = 0; slot < fields.length; slot++) {
      const v = values[slot][r];
      if (typeof v === 'number' && (Number.isFinite(v) || Number.isNaN(v)) && builder.isNumeric(slot)) {
        builder.addNumber(slot, v);
      } else {
        builder.addField(slot, asText(v), line);
      }
    }
    builder.endRow(line);
  }
  const table = builder.finish();
  onProgress?.(size, size, table.rows);
  return table;
}

/** A value as the field of a CSV holding it. */
function asText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString();
  return String(v).trim();
}

/** The first line of an error's message, for "not a ... file (why)". */
function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}

/**
 * Reads an Arrow IPC file or stream (Feather v2) into typed columns. `file` is the name messages show.
 * @throws TabularError (`data`) for bytes that are not Arrow IPC, or a value the table refuses
 */
export async function readArrowBytes(bytes: Uint8Array, file: string, options: ColumnarOptions = {}): Promise<Table> {
  const { DataType, tableFromIPC } = await import('apache-arrow');
  let table: ReturnType<typeof tableFromIPC>;
  try {
    table = tableFromIPC(bytes);
  } catch (error) {
    throw dataError(`${file}: not an Arrow IPC file (${firstLine(error)})`);
  }
  return build(
    file,
    bytes.length,
    {
      names: table.schema.fields.map((f) => f.name),
      rows: table.numRows,
      column: async (index) => {
        const vector = table.getChildAt(index);
        if (!vector) throw new Error(`internal: no Arrow column ${index}`);
        // Floats and integers up to 32 bits without nulls: their typed array as it is (64-bit ones are BigInt).
        const type = vector.type;
        const plain = DataType.isFloat(type) || (DataType.isInt(type) && type.bitWidth <= 32);
        if (plain && vector.nullCount === 0) return vector.toArray() as ArrayLike<number>;
        return Array.from({ length: table.numRows }, (_, r) => vector.get(r));
      },
    },
    options,
  );
}

/**
 * Reads a Parquet file's bytes into typed columns. `file` is the name messages show.
 * @throws TabularError (`data`) for bytes that are not Parquet, or a value the table refuses
 */
export async function readParquetBytes(bytes: Uint8Array, file: string, options: ColumnarOptions = {}): Promise<Table> {
  const { parquetMetadata, parquetRead, parquetSchema } = await import('hyparquet');
  // hyparquet reads an ArrayBuffer: the bytes' own when they fill it, else a copy of them.
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  // (A copy with `new Uint8Array`: a Node Buffer's `slice` is a view of the same memory.)
  const buffer = (whole ? bytes.buffer : new Uint8Array(bytes).buffer) as ArrayBuffer;
  let names: string[];
  let rows: number;
  let metadata: ReturnType<typeof parquetMetadata>;
  try {
    metadata = parquetMetadata(buffer);
    names = parquetSchema(metadata).children.map((c) => c.element.name);
    rows = Number(metadata.num_rows);
  } catch (error) {
    throw dataError(`${file}: not a Parquet file (${firstLine(error)})`);
  }
  return build(
    file,
    bytes.length,
    {
      names,
      rows,
      column: async (index) => {
        // Column chunks as hyparquet decodes them (typed arrays for numbers without nulls), copied into place.
        const chunks: { rowStart: number; data: ArrayLike<unknown> }[] = [];
        await parquetRead({
          file: buffer,
          metadata,
          columns: [names[index]],
          onChunk: ({ columnData, rowStart }) => chunks.push({ rowStart, data: columnData }),
        });
        const typed = chunks.every(
          ({ data }) => ArrayBuffer.isView(data) && !(data instanceof BigInt64Array || data instanceof BigUint64Array),
        );
        const values: { [i: number]: unknown; length: number } = typed ? new Float64Array(rows) : new Array(rows);
        for (const { rowStart, data } of chunks) {
          for (let i = 0; i < data.length && rowStart + i < rows; i++) values[rowStart + i] = data[i];
        }
        return values;
      },
    },
    options,
  );
}
