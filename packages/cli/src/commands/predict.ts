/**
 * `shardprop predict`: run a trained model over a CSV and write its predictions, one row per input row, in
 * the input's order. `--out` is replaced atomically (core's `writeFileAtomic`): a failure (a full disk, a
 * crash) leaves the previous file as it was.
 */
import { once } from 'node:events';
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { type Decoded, decodeOutputs, encodeFeatures } from '@shardprop/tabular';
import type { Command } from 'commander';
import { writeStreamAtomic } from '../atomic-write.js';
import { parsePath } from '../config.js';
import { ADVICE, dataError, usageError } from '../errors.js';
import { createOutput } from '../output.js';
import { formatInt } from '../progress.js';
import type { Runner } from '../runner.js';
import { type ApplyFlags, addDataFlags, loadApplied } from './apply.js';

interface PredictFlags extends ApplyFlags {
  out?: string;
}

export function registerPredict(program: Command, runner: Runner): Command {
  const cmd = program
    .command('predict')
    .description('predict with a trained model: a CSV of predictions, in the input row order');
  addDataFlags(cmd)
    .option('--out <file>', 'write the predictions CSV here (default: stdout)', parsePath)
    .addHelpText(
      'after',
      `
The output has one row per input row, in the same order. Regression: a column predicted_<target> per
target. Classification: predicted_<target> with the decoded class label, then p_<class> for every
class. With --drop-missing, rows with a missing value get empty cells. A target column in the input is
ignored.

Examples:
  $ shardprop predict --model iris-model --data data/iris.csv --out predictions.csv
  $ shardprop predict --model shardprop-model --data new.csv > predictions.csv
  $ shardprop predict --model iris-model --data data/iris.csv --json`,
    )
    .action(async (flags: PredictFlags) => runner.setExitCode(await runPredict(flags)));
  return cmd;
}

/** A CSV field, quoted when needed (RFC 4180). */
export function csvField(value: string | number): string {
  const s = String(value);
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

export async function runPredict(flags: PredictFlags): Promise<number> {
  const out = createOutput(flags.json === true);
  if (flags.out && (await stat(flags.out).catch(() => undefined))?.isDirectory()) {
    throw usageError(`--out ${flags.out} is a directory; name the file to write`);
  }
  const a = await loadApplied(flags, false);
  const { model } = a.loaded;
  const x = encodeFeatures(a.table, a.encoding.features, a.rows, {
    missing: a.missing,
    unknown: a.unknown,
    advice: ADVICE,
  });
  const outputs = model.predict(x, a.rows.length);
  const units = model.outputSize;
  const target = a.encoding.target;
  const columns = decodeOutputs(target, outputs.subarray(0, 0), 0, units).columns;
  // The CSV goes out a block of rows at a time (never the whole file as one string): to a temporary file renamed
  // over --out when complete, or to stdout.
  const produce = (write: (text: string) => Promise<void>) =>
    writePredictionCsv(write, columns, a.table.rows, a.rows, (from, to) =>
      decodeOutputs(target, outputs.subarray(from * units, to * units), to - from, units),
    );
  if (flags.out) {
    try {
      await writeStreamAtomic(flags.out, produce);
    } catch (error) {
      const missingDir = (error as NodeJS.ErrnoException).code === 'ENOENT';
      throw dataError(
        `--out ${flags.out}: cannot write (${missingDir ? `the directory ${dirname(resolve(flags.out))} does not exist` : `${(error as Error).message}; the previous file, if any, is unchanged`})`,
      );
    }
  } else if (!out.json) {
    await produce(writeStdout);
  }
  if (out.json) {
    out.printJson({
      ok: true,
      model: a.loaded.dir,
      data: flags.data,
      rows: a.table.rows,
      droppedRows: a.dropped,
      task: a.encoding.target.task,
      columns,
      out: flags.out ?? null,
      predictions: predictionObjects(
        columns,
        a.table.rows,
        a.rows,
        decodeOutputs(target, outputs, a.rows.length, units),
      ),
    });
  } else if (flags.out) {
    out.note(`wrote ${formatInt(a.table.rows)} predictions to ${flags.out}`);
  }
  return 0;
}

/** Rows of prediction CSV text held at once. */
const BLOCK_ROWS = 8192;

/**
 * Writes the prediction CSV in blocks: the header, then one line per table row in input order; a row left out
 * (--drop-missing) gets empty cells. `rows` are the predicted table rows, ascending; `decode(from, to)` decodes
 * the predictions of `rows[from..to)`.
 */
async function writePredictionCsv(
  write: (text: string) => Promise<void>,
  columns: string[],
  tableRows: number,
  rows: Int32Array,
  decode: (from: number, to: number) => Decoded,
): Promise<void> {
  const empty = columns.map(() => '').join(',');
  await write(`${columns.map(csvField).join(',')}\n`);
  let next = 0;
  for (let start = 0; start < tableRows; start += BLOCK_ROWS) {
    const end = Math.min(start + BLOCK_ROWS, tableRows);
    let last = next;
    while (last < rows.length && rows[last] < end) last++;
    const { cells } = decode(next, last);
    const lines: string[] = [];
    for (let r = start, k = 0; r < end; r++) {
      if (next + k < last && rows[next + k] === r) lines.push(cells[k++].map(csvField).join(','));
      else lines.push(empty);
    }
    await write(`${lines.join('\n')}\n`);
    next = last;
  }
}

/** Writes to stdout, waiting when its buffer is full (a pipe to a slow reader). */
async function writeStdout(text: string): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, 'drain');
}

/** --json's predictions: an object per table row, null for a row left out. */
function predictionObjects(
  columns: string[],
  tableRows: number,
  rows: Int32Array,
  decoded: Decoded,
): (Record<string, string | number> | null)[] {
  const byRow: (Record<string, string | number> | null)[] = new Array(tableRows).fill(null);
  rows.forEach((r, i) => {
    byRow[r] = Object.fromEntries(columns.map((c, j) => [c, decoded.cells[i][j]]));
  });
  return byRow;
}
