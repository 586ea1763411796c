/**
 * Progress while a data file is read, on stderr (stdout stays free for --json's one document). On a terminal: a
 * bar over the bytes read with rows/s and the ETA, for files of at least {@link BAR_MIN_BYTES}, cleared when the
 * read ends. Elsewhere: a line every {@link LINE_EVERY_MS} ms, so a log shows a long read is moving and a short
 * one prints nothing.
 */
import cliProgress from 'cli-progress';
import type { ReadProgress } from './csv.js';
import { formatInt } from './progress.js';

/** Smaller files are read before a bar could be seen. */
export const BAR_MIN_BYTES = 1 << 20;
export const LINE_EVERY_MS = 5000;

export interface ReadProgressDisplay {
  /** The callback for the reader. */
  update: ReadProgress;
  /** Removes the bar; call it when the read ends, also on an error. */
  stop(): void;
}

function megabytes(bytes: number): string {
  return (bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0);
}

/** Progress for reading `file`: a bar when `terminal`, otherwise occasional lines through `write`. */
export function createReadProgress(
  file: string,
  terminal: boolean = process.stderr.isTTY === true,
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): ReadProgressDisplay {
  const started = performance.now();
  let bar: cliProgress.SingleBar | undefined;
  let lastLine = started;
  const rowsPerSec = (rows: number, now: number) => formatInt(rows / Math.max((now - started) / 1000, 1e-3));
  return {
    update(read, total, rows) {
      const now = performance.now();
      if (terminal) {
        if (!bar && total >= BAR_MIN_BYTES) {
          bar = new cliProgress.SingleBar(
            {
              stream: process.stderr,
              format: `reading ${file} {bar} {percentage}% | {mb}/{totalMb} MB | {rps} rows/s | ETA {eta_formatted}`,
              barsize: 24,
              hideCursor: true,
              clearOnComplete: true,
              fps: 8,
            },
            cliProgress.Presets.shades_classic,
          );
          bar.start(total, 0, { mb: '0', totalMb: megabytes(total), rps: '-' });
        }
        bar?.update(Math.min(read, total), { mb: megabytes(read), rps: rowsPerSec(rows, now) });
        return;
      }
      if (now - lastLine >= LINE_EVERY_MS && read < total) {
        lastLine = now;
        write(
          `reading ${file}: ${Math.floor((100 * read) / Math.max(total, 1))}% (${megabytes(read)} of ${megabytes(total)} MB, ${formatInt(rows)} rows, ${rowsPerSec(rows, now)} rows/s)`,
        );
      }
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}
