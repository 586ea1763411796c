/**
 * `shardprop evaluate`: the loss and metrics of a trained model on a labelled CSV.
 */
import {
  type ClassificationReport,
  classificationReport,
  confusionMatrix,
  createKernels,
  evaluate,
  type Metrics,
} from '@shardprop/core';
import { encodeDataset, targetNames } from '@shardprop/tabular';
import type { Command } from 'commander';
import { ADVICE } from '../errors.js';
import { createOutput, table as textTable } from '../output.js';
import { formatInt, formatLoss } from '../progress.js';
import type { Runner } from '../runner.js';
import { type ApplyFlags, addDataFlags, loadApplied } from './apply.js';

export function registerEvaluate(program: Command, runner: Runner): Command {
  const cmd = program
    .command('evaluate')
    .description(
      'measure a trained model on a labelled CSV (loss; accuracy, confusion matrix, per-class precision/recall/F1 and macro F1; or RMSE, MAE and R^2)',
    );
  addDataFlags(cmd)
    .addHelpText(
      'after',
      `
The CSV needs the feature and target columns the model was trained on (by name; other columns are
ignored). Numeric columns are standardised and categories one-hot encoded with the statistics saved
in the model.

Examples:
  $ shardprop evaluate --model iris-model --data data/iris.csv
  $ shardprop evaluate --model shardprop-model --data test.csv --json`,
    )
    .action(async (flags: ApplyFlags) => runner.setExitCode(await runEvaluate(flags)));
  return cmd;
}

/** Each row's true and predicted class index (one sigmoid unit: threshold 0.5; otherwise the largest). */
function classIndices(
  out: Float32Array,
  y: Float32Array,
  rows: number,
  units: number,
  yCols: number,
): { actual: Int32Array; predicted: Int32Array } {
  const actual = new Int32Array(rows);
  const predicted = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    if (units === 1) {
      predicted[r] = out[r] >= 0.5 ? 1 : 0;
      actual[r] = y[r] >= 0.5 ? 1 : 0;
    } else {
      predicted[r] = argmax(out, r * units, units);
      actual[r] = yCols === 1 ? y[r] : argmax(y, r * yCols, yCols);
    }
  }
  return { actual, predicted };
}

function argmax(v: Float32Array, off: number, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) if (v[off + j] > v[off + best]) best = j;
  return best;
}

export async function runEvaluate(flags: ApplyFlags): Promise<number> {
  const out = createOutput(flags.json === true);
  const a = await loadApplied(flags, true);
  const { model } = a.loaded;
  const loss = a.loaded.meta?.loss ?? 'meanSquaredError';
  const units = model.outputSize;
  const data = encodeDataset(a.table, a.encoding, a.rows, loss, units, {
    missing: a.missing,
    unknown: a.unknown,
    advice: ADVICE,
    release: true,
  });
  // WebAssembly kernels where available (SHARDPROP_KERNELS=js forces the TypeScript ones).
  const metrics: Metrics = evaluate(model, data, loss, createKernels('auto'));
  const target = a.encoding.target;
  let matrix: number[][] | undefined;
  let report: ClassificationReport | undefined;
  if (target.task !== 'regression') {
    const predictions = model.predict(data.x, data.rows);
    const { actual, predicted } = classIndices(predictions, data.y, data.rows, units, data.outputs);
    matrix = confusionMatrix(actual, predicted, target.classes.length);
    report = classificationReport(matrix);
  }
  if (out.json) {
    out.printJson({
      ok: true,
      model: a.loaded.dir,
      data: flags.data,
      rows: data.rows,
      droppedRows: a.dropped,
      task: target.task,
      target: targetNames(target),
      loss,
      metrics,
      ...(matrix && report && target.task !== 'regression'
        ? {
            classes: target.classes,
            confusionMatrix: matrix,
            perClass: report.perClass.map((c, i) => ({ class: target.classes[i], ...c })),
            macroF1: report.macroF1,
          }
        : {}),
    });
    return 0;
  }
  out.line(
    `${flags.data}: ${formatInt(data.rows)} rows${a.dropped ? ` (${formatInt(a.dropped)} with missing values left out)` : ''}, model ${a.loaded.dir}`,
  );
  const rows: (string | number)[][] = [[`loss (${loss})`, formatLoss(metrics.loss)]];
  if (metrics.accuracy !== undefined) rows.push(['accuracy', metrics.accuracy.toFixed(4)]);
  if (report) rows.push(['macro F1', report.macroF1.toFixed(4)]);
  if (metrics.rmse !== undefined) rows.push(['rmse', formatLoss(metrics.rmse)]);
  if (metrics.mae !== undefined) rows.push(['mae', formatLoss(metrics.mae)]);
  if (metrics.r2 !== undefined) rows.push(['r2', metrics.r2.toFixed(4)]);
  out.line(textTable(['metric', 'value'], rows));
  if (matrix && target.task !== 'regression') {
    out.line();
    out.line('confusion matrix (rows: true class, columns: predicted)');
    out.line(
      textTable(
        ['', ...target.classes],
        matrix.map((r, i) => [target.classes[i], ...r]),
      ),
    );
  }
  if (report && target.task !== 'regression') {
    out.line();
    out.line(
      textTable(
        ['class', 'precision', 'recall', 'f1', 'support'],
        report.perClass.map((c, i) => [
          target.classes[i],
          c.precision.toFixed(4),
          c.recall.toFixed(4),
          c.f1.toFixed(4),
          formatInt(c.support),
        ]),
      ),
    );
  }
  return 0;
}
