/**
 * `train`, step 5: what the run says. The start-of-run summary, and at the end either how to resume an interrupted
 * run or the final metrics (on the run's kernels), the loss chart and the plot, as text or one JSON document.
 */
import {
  createKernels,
  type EpochLog,
  evaluate,
  type LossName,
  type Metrics,
  type Mlp,
  type ResolvedLrSchedule,
  type ResolvedOptimizerConfig,
} from '@shardprop/core';
import { defaultThreads } from '@shardprop/core/parallel';
import { describeTarget, type Encoding, inputNames, type TargetEncoding } from '@shardprop/tabular';
import { type StopSignal, signalExitCode } from '../checkpoint.js';
import type { TrainSettings } from '../config.js';
import { EXIT_OK } from '../errors.js';
import { writeTrainingPlot } from '../modeldir.js';
import { type Output, table as textTable } from '../output.js';
import { terminalChart } from '../plot.js';
import { epochLine, formatInt, formatLoss, formatRate } from '../progress.js';
import type { EarlyStopState, RunSettings, RunStatus } from '../run-state.js';
import type { RunProgress, TrainingRun } from './loop.js';

/** The lines printed before the first epoch: data, task, model, training. */
export function reportStart(run: TrainingRun, settings: TrainSettings, fromModel: string | undefined): void {
  const { out, model, data, runSettings, optimizer, epochs, threads } = run;
  const { dataset, dropped, featureNames, width, target, loss, train, validation } = data;
  const { layers, activation: hiddenActivation, outputActivation, batchSize, seed, earlyStop } = runSettings;
  const dataName = settings.data ?? 'the built-in seed problem (no --data; the numbers of data/seed.csv)';
  const targetNote =
    settings.data !== undefined && !settings.target && !data.encodingSaved
      ? ' (the last column; pass --target to choose)'
      : '';
  out.line(
    `data: ${dataName}: ${formatInt(dataset.rows)} rows${dropped ? ` (${formatInt(dropped)} with missing values left out)` : ''}, ${featureNames.length} feature columns -> ${width} inputs`,
  );
  out.line(`task: ${describeTarget(target)}${targetNote} -> ${outputActivation} output, ${loss}`);
  out.line(
    `model: ${width} inputs -> ${layers.join('-')} (${hiddenActivation} hidden, ${outputActivation} output${describeDropout(runSettings.dropout ?? [])}), ${formatInt(model.paramCount)} parameters${fromModel ? `, from ${fromModel}` : ''}`,
  );
  const { classWeight, weightColumn } = runSettings;
  if (classWeight || weightColumn) {
    const what = [
      classWeight ? `class weights ${classWeight === 'balanced' ? 'balanced' : JSON.stringify(classWeight)}` : '',
      weightColumn ? `row weights from ${weightColumn}` : '',
    ].filter((w) => w !== '');
    out.line(`loss weights: ${what.join(', ')} (the loss is the batch mean of weight x loss)`);
  }
  out.line(
    `training: ${optimizer.name} lr ${optimizer.learningRate}, batch ${formatInt(batchSize)}${batchSize > train.rows ? ` (more than the ${formatInt(train.rows)} training rows: one step per epoch)` : ''}, ${epochs} epochs, ${describeThreads(threads)}, seed ${seed}${validation ? `, ${formatInt(validation.rows)} validation rows` : ''}${earlyStop ? `, early stop after ${earlyStop} (${runSettings.monitor ?? (validation ? 'val_loss' : 'loss')})` : ''}`,
  );
  const { l1, l2, clipNorm, clipValue, lrSchedule } = runSettings;
  const extras = [
    lrSchedule ? describeSchedule(lrSchedule, runSettings.monitor ?? (validation ? 'val_loss' : 'loss')) : '',
    l1 || l2 ? `kernel penalty${l1 ? ` l1 ${l1}` : ''}${l2 ? ` l2 ${l2}` : ''}` : '',
    clipNorm ? `clip norm ${clipNorm}` : '',
    clipValue ? `clip value ${clipValue}` : '',
  ].filter((s) => s !== '');
  if (extras.length > 0) out.line(`regularization: ${extras.join(', ')}`);
}

/** ", dropout 0.2, 0.1" for the model line; nothing without dropout. */
function describeDropout(rates: readonly number[]): string {
  if (rates.every((r) => r === 0)) return '';
  return `, dropout ${new Set(rates).size === 1 ? rates[0] : rates.join(', ')}`;
}

/** The start-of-run words for a schedule: its formula's parameters. */
function describeSchedule(s: ResolvedLrSchedule, monitor: string): string {
  const warmup = s.warmupEpochs > 0 ? `, warm-up ${s.warmupEpochs} epochs` : '';
  switch (s.name) {
    case 'constant':
      return `lr constant${warmup}`;
    case 'step':
      return `lr step x${s.decay} every ${s.stepEpochs} epochs${warmup}`;
    case 'exponential':
      return `lr exponential x${s.decay} per ${s.stepEpochs === 1 ? 'epoch' : `${s.stepEpochs} epochs`}${warmup}`;
    case 'cosine':
      return `lr cosine to ${formatRate(s.minLearningRate)} over ${s.stepEpochs} epochs${warmup}`;
    case 'plateau':
      return `lr x${s.decay} after ${s.patience} epochs without ${monitor} improving (min ${formatRate(s.minLearningRate)})${warmup}`;
  }
}

/** After a signal: the plot, how to resume (stderr), the JSON document; returns the signal's exit code. */
export async function reportInterrupted(
  run: TrainingRun,
  p: RunProgress,
  interruptedEpoch: number,
  sig: StopSignal,
): Promise<number> {
  const { out, outDir } = run;
  await writeTrainingPlot(outDir, p.history, run.data.validation !== undefined);
  const resumeCmd = `shardprop train --resume ${quoteArg(outDir)}`;
  const by = sig === 'SIGINT' ? '' : ` by ${sig}`;
  process.stderr.write(
    `shardprop: interrupted in epoch ${interruptedEpoch + 1}${by}; ${outDir} holds the checkpoint after epoch ${p.nextEpoch}\nresume with: ${resumeCmd}\n`,
  );
  if (out.json) {
    out.printJson({
      ok: false,
      interrupted: true,
      signal: sig,
      out: outDir,
      nextEpoch: p.nextEpoch,
      resume: resumeCmd,
      history: p.history,
    });
  }
  return signalExitCode(sig);
}

/** After the last epoch (or early stopping): the plot, the metrics of the final weights, the summary or JSON. */
export async function reportFinished(run: TrainingRun, p: RunProgress, settings: TrainSettings): Promise<number> {
  const { out, outDir, model, data, runSettings, optimizer, epochs } = run;
  const { train, validation, loss, target, encoding } = data;
  const svg = await writeTrainingPlot(outDir, p.history, validation !== undefined);
  // The end-of-run metrics on the run's kernels (wasm: about 10x the TypeScript kernels on large sets).
  const metricKernels = createKernels(runSettings.kernels ?? 'auto');
  const metrics: { train: Metrics; validation?: Metrics } = {
    train: p.trainMetrics ?? evaluate(model, train, loss, metricKernels),
  };
  if (validation) metrics.validation = evaluate(model, validation, loss, metricKernels);
  const { status, es, history } = p;
  report(out, { outDir, svg, history, metrics, status, es, epochs, model, target, loss, encoding, runSettings });
  if (out.json) {
    out.printJson({
      ok: true,
      out: outDir,
      status,
      data: settings.data ?? null,
      rows: data.dataset.rows,
      trainRows: train.rows,
      validationRows: validation?.rows ?? 0,
      droppedRows: data.dropped,
      task: target.task,
      target: data.targetNames,
      classes: target.task === 'regression' ? undefined : target.classes,
      inputs: inputNames(encoding.features),
      layers: runSettings.layers,
      activation: runSettings.activation,
      outputActivation: runSettings.outputActivation,
      loss,
      optimizer: optimizer satisfies ResolvedOptimizerConfig,
      paramCount: model.paramCount,
      threads: p.threadsUsed,
      threadTrials: p.threadTrials,
      kernels: runSettings.kernels,
      epochs,
      epochsRun: history.length,
      bestEpoch: es ? es.bestEpoch + 1 : undefined,
      history,
      metrics,
      plot: svg,
    });
  }
  return EXIT_OK;
}

/** The start-of-run words for `--threads`. */
function describeThreads(threads: number | 'auto'): string {
  if (threads !== 'auto') return `${threads} thread${threads === 1 ? '' : 's'}`;
  const cores = defaultThreads();
  return cores === 1
    ? 'threads auto (1 core: 1 thread)'
    : `threads auto (1 to ${cores}: the fastest on this run's steps; a short run stays on 1)`;
}

function quoteArg(s: string): string {
  return /^[\w./:@+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

interface Summary {
  outDir: string;
  svg: string;
  history: EpochLog[];
  metrics: { train: Metrics; validation?: Metrics };
  status: RunStatus;
  es: EarlyStopState | null;
  epochs: number;
  model: Mlp;
  target: TargetEncoding;
  loss: LossName;
  encoding: Encoding;
  runSettings: RunSettings;
}

function report(out: Output, s: Summary): void {
  if (out.json) return;
  out.line();
  if (s.status === 'stopped-early' && s.es) {
    out.line(
      `stopped early: no improvement for ${s.runSettings.earlyStop} epochs; kept the weights of epoch ${s.es.bestEpoch + 1}`,
    );
  }
  const rows: (string | number)[][] = [];
  const add = (name: string, m: Metrics) => {
    const row: (string | number)[] = [name, formatLoss(m.loss)];
    if (m.accuracy !== undefined) row.push(m.accuracy.toFixed(4));
    else row.push(formatLoss(m.mae), m.r2 === undefined ? '-' : m.r2.toFixed(4));
    rows.push(row);
  };
  add('train', s.metrics.train);
  if (s.metrics.validation) add('validation', s.metrics.validation);
  const header = s.metrics.train.accuracy !== undefined ? ['data', 'loss', 'accuracy'] : ['data', 'loss', 'mae', 'r2'];
  out.line(textTable(header, rows));
  if (s.history.length >= 2) {
    out.line();
    const first = s.history[0].epoch + 1;
    const val = s.history.every((h) => h.valLoss !== undefined) ? s.history.map((h) => h.valLoss as number) : undefined;
    out.line(terminalChart({ loss: s.history.map((h) => h.loss), valLoss: val, firstEpoch: first }, out.color));
  } else if (s.history.length === 1) {
    out.line(epochLine(s.history[0], s.epochs));
  }
  out.line();
  out.line(`model written to ${s.outDir} (model.json + weights and optimizer state); loss plot: ${s.svg}`);
}
