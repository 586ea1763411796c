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
import { availableParallelism } from 'node:os';
import {
  type CsvOptions,
  csvParseOptions,
  csvSyntaxError,
  NotPlainCsv,
  type NumericLines,
  type NumericLinesFormat,
  PlainCsvReader,
  plainDelimiter,
  type Table,
  TableBuilder,
  TabularError,
} from '@shardprop/tabular';
import { WorkerPool } from '@shardprop/worker-pool';
import { parse } from 'csv-parse';
import type { ChunkTask } from './csv-chunk-worker.js';
import { dataError, exitCodeOf, UserError } from './errors.js';

/** How far a read has come: bytes of the file read so far, of `totalBytes`, and the data rows read so far. */
export type ReadProgress = (bytesRead: number, totalBytes: number, rows: number) => void;

export interface ReadCsvOptions extends CsvOptions {
  /** Called as the file is read, at most once per chunk (a few MB). */
  onProgress?: ReadProgress;
  /**
   * Worker threads that parse a large numeric file's chunks (default: `defaultReadThreads`: 1 below 4 cores, else
   * one per core but the calling thread's, at most 4); 1 reads on the calling thread only. The table is the same
   * for any number.
   */
  threads?: number;
  /** Bytes per chunk for the worker threads (default 8 MB); a file is read in parallel from 8 chunks up. */
  chunkBytes?: number;
}

/** Bytes read per call on the fast path: large enough that a call costs nothing beside parsing it. */
const CHUNK_BYTES = 4 << 20;

/** Bytes per chunk a worker thread parses: a few milliseconds of work, far more than handing it over costs. */
const PARALLEL_CHUNK_BYTES = 8 << 20;
/**
 * Worker threads are started only for at least this many chunks still to read (64 MB by default): starting them
 * and compiling the parser in each costs a few hundred milliseconds on a busy machine, which a smaller file does
 * not win back.
 */
const PARALLEL_MIN_CHUNKS = 8;
/** More threads than this would wait on the main thread, which adds every chunk's values to the columns. */
const MAX_THREADS = 4;
const LF = 10;
/**
 * Cores below which a read stays on the calling thread: on 2 cores the workers and the main thread (which adds
 * every chunk's values to the columns) contend for the cores, and `scripts/bench-load.mjs` measured the parallel
 * read slower than the one-thread read (1M x 40: 3.95 s and 819 MB peak RSS against 2.71 s and 429 MB).
 */
const PARALLEL_MIN_CORES = 4;

/** Worker threads a read uses by default on a machine with `cores` cores: none below 4 cores, then a core each. */
export function defaultReadThreads(cores: number): number {
  return cores < PARALLEL_MIN_CORES ? 1 : Math.min(cores - 1, MAX_THREADS);
}

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

/**
 * The fast path: chunks of bytes into `PlainCsvReader`; throws NotPlainCsv for a file it cannot read. Once the
 * reader has typed every selected column as numbers, the rest of a large file is read on worker threads
 * ({@link readChunks}) up to the first line they leave to this reader, which then reads on from that line.
 */
async function readPlain(file: string, size: number, options: ReadCsvOptions): Promise<Table> {
  const builder = new TableBuilder(file, options);
  const reader = new PlainCsvReader(builder, options.delimiter);
  const threads = options.threads ?? defaultReadThreads(availableParallelism());
  const chunkBytes = options.chunkBytes ?? PARALLEL_CHUNK_BYTES;
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw fileError(file, error);
  }
  try {
    let buffer = new Uint8Array(Math.min(CHUNK_BYTES, chunkBytes));
    let held = 0;
    /** The file offset of the next byte to read. */
    let position = 0;
    let reserved = false;
    let parallel = threads > 1;
    for (;;) {
      if (held === buffer.length) {
        // One line longer than the buffer: make room for it.
        const bigger = new Uint8Array(buffer.length * 2);
        bigger.set(buffer);
        buffer = bigger;
      }
      const { bytesRead } = await handle.read(buffer, held, buffer.length - held, position);
      held += bytesRead;
      position += bytesRead;
      const final = bytesRead === 0;
      const used = reader.push(buffer, held, final);
      options.onProgress?.(position, size, reader.lines);
      if (final) break;
      buffer.copyWithin(0, used, held);
      held -= used;
      if (!reserved && reader.lines > 1) {
        // The rows of the whole file, estimated from the first chunk's bytes per line (a little over, so that
        // the columns usually fill their one array without copying; see TableBuilder.reserve).
        reserved = true;
        builder.reserve(Math.ceil(((size * reader.lines) / (position - held)) * ROWS_MARGIN) + 16);
      }
      const format = reader.numericLines;
      if (parallel && format && size - position >= PARALLEL_MIN_CHUNKS * chunkBytes) {
        // Once only: after the workers, this reader reads what they left (to the end, if it is not numbers).
        parallel = false;
        position = await readChunks(
          handle,
          position - held,
          size,
          { reader, builder, format, threads, chunkBytes },
          options.onProgress,
        );
        held = 0;
      }
    }
  } catch (error) {
    throw fileError(file, error);
  } finally {
    await handle.close();
  }
  return builder.finish();
}

/** The compiled worker (Node cannot run a .ts worker; src and dist are siblings). */
const CHUNK_WORKER_URL = new URL('../dist/csv-chunk-worker.js', import.meta.url);

interface ChunkRead {
  reader: PlainCsvReader;
  builder: TableBuilder;
  format: NumericLinesFormat;
  threads: number;
  chunkBytes: number;
}

/**
 * Reads the file from `start` (a line's start) in chunks of whole lines, parsed by `threads` worker threads
 * (`readNumericLines`, the reader's own one-pass line reader) and added to the builder in file order, numbered
 * after the lines the reader has read. Stops at the first line a worker leaves (a missing value, text, a blank
 * line, the last line without a line end) and returns its file offset, for the reader to go on from there; the
 * file's size when every line was read. A few chunks are in flight at a time, so memory stays bounded.
 */
async function readChunks(
  handle: FileHandle,
  start: number,
  size: number,
  { reader, builder, format, threads, chunkBytes }: ChunkRead,
  onProgress: ReadProgress | undefined,
): Promise<number> {
  const pool = new WorkerPool<ChunkTask, NumericLines>({ filename: CHUNK_WORKER_URL, threads });
  const inFlight: { result: Promise<NumericLines>; out: Float64Array; offset: number; length: number }[] = [];
  const slots = builder.fieldIndexes.length;
  let position = start;
  let carry = new Uint8Array(0);
  let eof = false;
  /** Reads the next chunk (ending at a line end, or at the end of the file) and gives it to a worker. */
  const submit = async () => {
    let bytes = new Uint8Array(carry.length + chunkBytes);
    bytes.set(carry);
    let held = carry.length;
    const offset = position - carry.length;
    let cut = 0;
    for (;;) {
      const { bytesRead } = await handle.read(bytes, held, bytes.length - held, position);
      held += bytesRead;
      position += bytesRead;
      eof = bytesRead === 0 || position >= size;
      cut = eof ? held : bytes.lastIndexOf(LF, held - 1) + 1;
      if (cut > 0) break;
      // No line end in the whole chunk: one very long line; read on until it ends.
      const bigger = new Uint8Array(bytes.length * 2);
      bigger.set(bytes.subarray(0, held));
      bytes = bigger;
    }
    carry = bytes.slice(cut, held);
    const chunk = bytes.subarray(0, cut);
    // Room for the values of every line (memchr-fast count); the worker writes them, nothing is copied back.
    let lines = 0;
    for (let i = chunk.indexOf(LF); i >= 0; i = chunk.indexOf(LF, i + 1)) lines++;
    const out = new Float64Array(new SharedArrayBuffer(8 * (lines + 1) * slots));
    const result = pool.run({ bytes: chunk, format, out }, { transferList: [bytes.buffer] });
    inFlight.push({ result, out, offset, length: cut });
  };
  try {
    for (;;) {
      while (!eof && inFlight.length < 2 * threads) await submit();
      const next = inFlight.shift();
      if (!next) return size;
      const { rows, stop } = await next.result;
      builder.addRows(next.out, rows, reader.lines + 1);
      reader.skipLines(rows);
      onProgress?.(next.offset + stop, size, reader.lines);
      if (stop < next.length) return next.offset + stop;
    }
  } finally {
    // Chunks still in flight after a stop are not needed; their results are dropped once they settle.
    await Promise.allSettled(inFlight.map((c) => c.result));
    await pool.close();
  }
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
