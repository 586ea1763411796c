/**
 * `shardprop predict`: run a trained model over a CSV and write its predictions, one row per input row, in
 * the input's order. `--out` is replaced atomically (core's `writeFileAtomic`): a failure (a full disk, a
 * crash) leaves the previous file as it was.
 */
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { writeFileAtomic } from '@shardprop/core/node';
import { decodeOutputs, encodeFeatures } from '@shardprop/tabular';
import type { Command } from 'commander';
import { parsePath } from '../config.js';
import { ADVICE, dataError, usageError } from '../errors.js';
import type { Runner } from '../main.js';
import { createOutput } from '../output.js';
import { formatInt } from '../progress.js';
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
  const decoded = decodeOutputs(a.encoding.target, outputs, a.rows.length, model.outputSize);
  // Back to the input's row order; rows left out (--drop-missing) get empty cells.
  const byRow: ((string | number)[] | null)[] = new Array(a.table.rows).fill(null);
  a.rows.forEach((r, i) => {
    byRow[r] = decoded.cells[i];
  });
  const lines = [decoded.columns.map(csvField).join(',')];
  for (const cells of byRow)
    lines.push(cells ? cells.map(csvField).join(',') : decoded.columns.map(() => '').join(','));
  const csv = `${lines.join('\n')}\n`;
  if (flags.out) {
    try {
      await writeFileAtomic(resolve(flags.out), csv);
    } catch (error) {
      const missingDir = (error as NodeJS.ErrnoException).code === 'ENOENT';
      throw dataError(
        `--out ${flags.out}: cannot write (${missingDir ? `the directory ${dirname(resolve(flags.out))} does not exist` : `${(error as Error).message}; the previous file, if any, is unchanged`})`,
      );
    }
  }
  if (out.json) {
    out.printJson({
      ok: true,
      model: a.loaded.dir,
      data: flags.data,
      rows: a.table.rows,
      droppedRows: a.dropped,
      task: a.encoding.target.task,
      columns: decoded.columns,
      out: flags.out ?? null,
      predictions: byRow.map((cells) =>
        cells ? Object.fromEntries(decoded.columns.map((c, j) => [c, cells[j]])) : null,
      ),
    });
  } else if (flags.out) {
    out.note(`wrote ${formatInt(a.table.rows)} predictions to ${flags.out}`);
  } else {
    process.stdout.write(csv);
  }
  return 0;
}
