/**
 * The worker side of the parallel CSV read (see csv.ts): one task is one chunk of a file, whole lines, read with
 * @shardprop/tabular's `readNumericLines` as the main thread's reader would read them.
 */
import { type NumericLines, type NumericLinesFormat, readNumericLines } from '@shardprop/tabular';

export interface ChunkTask {
  /** Whole lines (the last one may lack its line end at the end of the file). */
  bytes: Uint8Array;
  format: NumericLinesFormat;
  /** Room for every line's values, in memory shared with the main thread (nothing is copied back). */
  out: Float64Array;
}

export default function readChunk({ bytes, format, out }: ChunkTask): NumericLines {
  return readNumericLines(bytes, 0, bytes.length, format, out);
}
