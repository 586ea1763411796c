/**
 * `shardprop tune`: grid or random search over train's flags with k-fold cross-validation (or a holdout), every
 * (candidate x fold) fit a single-threaded job on its own core; the best candidate is then trained on all rows
 * and written as a normal model directory, with tune.csv beside its files.
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  checkMetric,
  expandGrid,
  gridPoint,
  type LossName,
  type Mlp,
  type OptimizerConfig,
  type ResolvedLrSchedule,
  rankTrials,
  resolveLrSchedule,
  sampleGrid,
  type TrainingRules,
  type TrialResult,
  TUNE_METRICS,
  type TuneMetric,
  type TuneSettings,
} from '@shardprop/core';
import { defaultThreads, startSearchWorkers, type TuneResult, tune } from '@shardprop/core/parallel';
import {
  checkLoss,
  defaultLoss,
  describeTarget,
  type Encoding,
  encodeDataset,
  fitFeatures,
  inferTarget,
  inputWidth,
  outputUnits,
  type Table,
  type TargetEncoding,
  usableRows,
} from '@shardprop/tabular';
import cliProgress from 'cli-progress';
import { Command, InvalidArgumentError } from 'commander';
import { onInterrupt } from '../checkpoint.js';
import { loadConfig, mergeSettings, parseChoice, parseIntArg, TRAIN_DEFAULTS, type TrainSettings } from '../config.js';
import { ADVICE, EXIT_INTERRUPTED, EXIT_OK, oneLine, usageError } from '../errors.js';
import { saveModelDir, writeTrainingPlot } from '../modeldir.js';
import { createOutput, type Output } from '../output.js';
import { formatInt } from '../progress.js';
import { classWeightFor } from '../row-weights.js';
import type { RunSettings, RunStatus } from '../run-state.js';
import type { Runner } from '../runner.js';
import { addTrainOptions, type CliSpace, splitSpace, TUNABLE, type TunableKey } from '../search-space.js';
import { optimizerFlags } from '../train/settings.js';
import { scheduleOptions, scheduleUsageError } from '../train-schedule.js';
import { lossFlag, missingPolicy, newModelSpec, readTrainingTable } from '../train-setup.js';
import {
  type CliTrial,
  formatScore,
  leaderboardTable,
  metricName,
  readTuneCsv,
  settingsLine,
  TUNE_CSV,
  writeTuneCsv,
} from '../tune-results.js';
import { registerTrain } from './train.js';

/** Flags of tune itself; every other flag is train's. */
interface TuneOnlyFlags {
  trials?: number;
  folds?: number;
  metric?: TuneMetric;
  halving?: boolean;
  threads?: number | 'auto';
  resume?: string;
  out?: string;
  config?: string;
  json?: boolean;
}
type TuneFlags = TuneOnlyFlags & Record<string, unknown>;

/** `batchSize` -> `batch-size`: a setting's flag name, as tune.csv and the leaderboard name it. */
const flagName = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

const DEFAULT_FOLDS = 5;
const DEFAULT_OUT = 'shardprop-tune';

function parseThreads(value: string): number | 'auto' {
  if (value.trim() === 'auto') return 'auto';
  try {
    return parseIntArg(1)(value);
  } catch {
    throw new InvalidArgumentError('expected "auto" or an integer >= 1');
  }
}

export function registerTune(program: Command, runner: Runner): Command {
  // train's options, exactly as train defines them (flags, descriptions, parsers), taken from a throwaway program.
  const train = registerTrain(new Command(), runner);
  const cmd = program
    .command('tune')
    .description('choose settings by cross-validation: grid or random search over train flags with | alternatives');
  addTrainOptions(cmd, train);
  cmd
    .option(
      '--folds <k>',
      `k-fold cross-validation, stratified by class for classification (default: ${DEFAULT_FOLDS})`,
      parseIntArg(2),
    )
    .option(
      '--trials <n>',
      'try n candidates drawn at random (seeded by --seed) instead of the whole grid',
      parseIntArg(1),
    )
    .option(
      '--metric <name>',
      'rank by the validation loss (loss, the default), accuracy (classes), r2 or mae (regression)',
      parseChoice(TUNE_METRICS),
    )
    .option('--halving', 'successive halving: every candidate on a few epochs, the best third on 3x as many, ...')
    .option(
      '--threads <n>',
      `threads for the fits: auto (every core; here ${defaultThreads()}) or a number (default: auto); one fit per thread, and a fit of a round with fewer fits than threads trains data-parallel on its share where that pays`,
      parseThreads,
    )
    .option(
      '--resume <dir>',
      `continue an interrupted search: skip the trials in DIR/${TUNE_CSV} (same flags as before)`,
    )
    .option(
      '--out <dir>',
      `model directory for the best settings trained on all rows, with ${TUNE_CSV} (default: ./${DEFAULT_OUT})`,
    )
    .option('--config <file>', 'JSON settings file (keys: the train flag names in camelCase); flags override it')
    .option('--json', 'print one JSON document with the results on stdout (progress goes to stderr)')
    .addHelpText(
      'after',
      `
Alternatives separated by | may be given for ${TUNABLE.map((k) => `--${flagName(k)}`).join(', ')};
the grid is their product. --val-split F validates on the last F of the rows instead of folds; --early-stop N
stops every fit after N epochs without improvement of its validation loss. The folds and the --trials
sample are drawn with --seed (its first alternative when it lists several). Standardisation statistics come
from all rows (as scikit-learn's GridSearchCV on pre-scaled data). Ctrl-C keeps the finished trials in
${TUNE_CSV}; --resume DIR then skips them. A trial's results do not depend on --threads.

Examples:
  $ shardprop tune --layers "16,1|39,39,1" --lr "0.1|0.5" --epochs 20 --folds 3
  $ shardprop tune --data data/iris.csv --target species --layers "8,3|16,3" --optimizer "adam|sgd" \\
      --lr "0.01|0.1" --epochs 50 --metric accuracy --out iris-tuned
  $ shardprop tune --layers "8,1|16,1|32,1|16,16,1" --lr "0.05|0.1|0.2|0.5|1" --trials 8 --halving --epochs 27
  $ shardprop tune --resume shardprop-tune --layers "16,1|39,39,1" --lr "0.1|0.5" --epochs 20 --folds 3`,
    )
    .action(async (_opts: TuneFlags, command: Command) => {
      const flags: TuneFlags = {};
      for (const [key, value] of Object.entries(command.opts())) {
        if (command.getOptionValueSource(key) === 'cli') flags[key] = value;
      }
      runner.setExitCode(await runTune(flags));
    });
  return cmd;
}

/** A candidate: its alternative of each varied flag, and the settings a fit needs. */
interface Candidate {
  texts: Record<string, string>;
  settings: TrainSettings;
  tune: TuneSettings;
}

export async function runTune(flags: TuneFlags): Promise<number> {
  const out = createOutput(flags.json === true);
  const {
    trials,
    folds,
    metric: metricFlag,
    halving,
    threads: threadsFlag,
    resume,
    out: outFlag,
    config,
    json: _j,
    ...rest
  } = flags;
  const given = mergeSettings(config ? await loadConfig(config) : {}, rest as TrainSettings);
  const { base, space } = splitSpace(given as Record<string, unknown>);
  if (base.weightColumn !== undefined) {
    throw usageError('weightColumn (--config): tune does not take row weights; train the chosen candidate with them');
  }
  if (folds !== undefined && base.valSplit !== undefined && base.valSplit > 0) {
    throw usageError('--folds and --val-split cannot be used together (--val-split asks for one holdout split)');
  }
  const threads = threadsFlag === undefined || threadsFlag === 'auto' ? defaultThreads() : threadsFlag;
  const outDir = resolve(outFlag ?? resume ?? DEFAULT_OUT);

  // The search's workers start while the data loads (the calling thread is a lane of its own), so that the search
  // finds them started: each worker's start (50-90 ms) overlaps the reading instead of the first fits.
  if (threads > 1) startSearchWorkers(threads - 1);

  // Data, encoded once for every candidate (as train would encode it).
  const { table, featureNames, targetNames } = await readTrainingTable(base, undefined);
  const policy = missingPolicy(base);
  const { rows, dropped } = usableRows(table, featureNames, targetNames, policy, ADVICE);
  const target = inferTarget(table, targetNames, rows, base.task);
  const loss: LossName = base.loss !== undefined ? lossFlag(base.loss) : defaultLoss(target);
  checkLoss(target, loss);
  const units = outputUnits(target, loss);
  const encoding: Encoding = { features: fitFeatures(table, featureNames, rows), target };
  const width = inputWidth(encoding.features);
  const dataset = encodeDataset(table, encoding, rows, loss, units, {
    missing: policy,
    unknown: 'error',
    advice: ADVICE,
    // The candidates read only the target columns of the table after this.
    release: true,
  });
  let metric: TuneMetric;
  try {
    metric = checkMetric(metricFlag ?? 'loss', loss);
  } catch (error) {
    throw usageError(`--metric: ${oneLine(error)}`);
  }

  // Candidates: the grid of the alternatives, or a seeded sample of it.
  const keys = Object.keys(space) as TunableKey[];
  const seed = base.seed ?? (space.seed?.values[0] as number | undefined) ?? TRAIN_DEFAULTS.seed;
  const indexSpace = Object.fromEntries(keys.map((k) => [k, (space[k]?.values ?? []).map((_, i) => i)]));
  const points =
    trials === undefined
      ? expandGrid(indexSpace)
      : sampleGrid(indexSpace, trials, seed).map((i) => gridPoint(indexSpace, i));
  const candidates = points.map((point) =>
    candidateOf(base, space, point as Record<TunableKey, number>, { width, units, target, loss, table, rows }),
  );
  const columns = keys.map(flagName);
  const splits = base.valSplit !== undefined && base.valSplit > 0 ? 1 : (folds ?? DEFAULT_FOLDS);
  if (splits > 1 && splits > dataset.rows)
    throw usageError(`--folds ${splits}: the data has only ${dataset.rows} rows`);

  // Trials finished by an interrupted run of the same search.
  const records: CliTrial[] = [];
  const completed: TrialResult[] = [];
  if (resume) {
    for (const trial of await readTuneCsv(resolve(resume), columns, splits)) {
      const c = candidates[trial.result.index];
      if (!c || columns.some((k) => c.texts[k] !== trial.settings[k])) {
        throw usageError(
          `--resume ${resume}: trial ${trial.result.index + 1} of ${TUNE_CSV} (${settingsLine(trial.settings)}) is not a candidate of this search: give the same flags as the interrupted run`,
        );
      }
      records.push({ settings: c.texts, result: { ...trial.result, settings: c.tune } });
      completed.push({ ...trial.result, settings: c.tune });
    }
  }

  out.line(
    `data: ${base.data ?? 'the built-in seed problem'}: ${formatInt(dataset.rows)} rows${dropped ? ` (${formatInt(dropped)} with missing values left out)` : ''}, ${width} inputs; ${describeTarget(target)}, ${loss}`,
  );
  out.line(
    `search: ${candidates.length} candidate${candidates.length === 1 ? '' : 's'}${trials !== undefined ? ` (a random sample of ${trials})` : ''}, ${splits === 1 ? `holdout of the last ${base.valSplit} of the rows` : `${splits}-fold cross-validation${loss !== 'meanSquaredError' ? ', stratified' : ''}`}${halving ? ', successive halving' : ''}, ranked by ${metricName(metric)}; ${threads} fit${threads === 1 ? '' : 's'} at a time${completed.length > 0 ? `; ${completed.length} trial${completed.length === 1 ? '' : 's'} from ${TUNE_CSV}` : ''}`,
  );

  await mkdir(outDir, { recursive: true }).catch((error) => {
    throw usageError(`--out ${outDir}: ${oneLine(error)}`);
  });
  const progress = tuneProgress(out, metric);
  const interrupt = onInterrupt(() => {
    progress.stop();
    process.stderr.write('\nshardprop: stopping the search; finished trials are kept (Ctrl-C again to quit at once)\n');
  });
  let saving = Promise.resolve('');
  let result: TuneResult;
  try {
    result = await tune(dataset, {
      loss,
      layers: candidates[0].tune.layers as number[],
      space: candidates.map((c) => c.tune),
      ...(splits === 1 ? { validationSplit: base.valSplit } : { folds: splits }),
      seed,
      metric,
      halving: halving === true,
      threads,
      kernels: base.kernels ?? 'auto',
      ...(base.classWeight !== undefined ? { classWeight: classWeightFor(base.classWeight, target) } : {}),
      ...(base.earlyStop !== undefined ? { earlyStopping: { patience: base.earlyStop } } : {}),
      completed,
      signal: interrupt.signal,
      onFitEnd: (p) => progress.fit(p.done, p.total),
      onTrialEnd: (trial) => {
        const record = { settings: candidates[trial.index].texts, result: trial };
        records.push(record);
        const ranked = rankTrials(
          records.map((r) => r.result),
          metric,
        );
        progress.trial(record, ranked.indexOf(trial) + 1, ranked.length, candidates.length, ranked[0]);
        saving = saving.then(() => writeTuneCsv(outDir, columns, splits, records));
      },
    });
  } finally {
    progress.stop();
    interrupt.dispose();
  }
  const csvPath = await saving.then(() => writeTuneCsv(outDir, columns, splits, records));
  const byIndex = (r: TrialResult) =>
    records.find((t) => t.result === r) ?? { settings: candidates[r.index].texts, result: r };
  const trialJson = (t: CliTrial) => ({
    settings: t.settings,
    folds: t.result.folds.map((v) => (Number.isNaN(v) ? null : v)),
    mean: Number.isNaN(t.result.mean) ? null : t.result.mean,
    std: Number.isNaN(t.result.std) ? null : t.result.std,
    ms: Math.round(t.result.ms),
    epochs: t.result.epochs,
    ...(t.result.rung !== undefined ? { rung: t.result.rung } : {}),
    ...(t.result.threads !== undefined ? { threads: t.result.threads } : {}),
    ...(t.result.error ? { error: t.result.error } : {}),
  });

  if (result.aborted || !result.refit || !result.best) {
    const done = result.trials.length;
    const resumeCmd = `shardprop tune --resume ${outDir} <the same flags>`;
    process.stderr.write(
      `shardprop: ${result.aborted ? 'interrupted' : 'no candidate trained without diverging'}; ${done} of ${candidates.length} trials finished, kept in ${csvPath}${result.aborted ? `\nresume with: ${resumeCmd}` : ''}\n`,
    );
    if (out.json) {
      out.printJson({
        ok: false,
        interrupted: result.aborted,
        trials: result.trials.map((r) => trialJson(byIndex(r))),
        metric,
        out: outDir,
      });
    }
    return result.aborted ? EXIT_INTERRUPTED : 1;
  }

  // The best settings trained on all rows: a normal model directory, with the search in its metadata.
  const best = candidates[result.best.index];
  const refit = result.refit;
  const ranked = result.leaderboard.map(byIndex);
  const status: RunStatus = refit.result.stoppedEarly ? 'stopped-early' : 'complete';
  const runSettings = runSettingsOf(
    best.settings,
    refit.model,
    loss,
    target.task,
    featureNames,
    targetNames,
    policy,
    refit.result.kernels,
  );
  const tuneMeta = {
    metric,
    splits,
    halving: halving === true,
    best: { settings: best.texts, mean: result.best.mean, std: result.best.std },
    trials: result.trials.map((r) => trialJson(byIndex(r))),
  };
  await saveModelDir(
    outDir,
    refit.model,
    {
      encoding,
      loss,
      run: {
        status,
        nextEpoch: refit.result.nextEpoch,
        settings: runSettings,
        history: refit.result.history,
        earlyStopping: null,
        trainRows: dataset.rows,
        validationRows: 0,
        updated: new Date().toISOString(),
      },
    },
    {
      optimizer: { config: runSettings.optimizer, snapshot: refit.result.optimizerState },
      extraMeta: { tune: JSON.parse(JSON.stringify(tuneMeta)) },
    },
  );
  await writeTrainingPlot(outDir, refit.result.history, false);

  if (!out.json) {
    out.line();
    out.line(leaderboardTable(ranked, columns, metric, halving === true));
    out.line();
    out.line(
      `best: ${settingsLine(best.texts)}: ${metricName(metric)} ${formatScore(result.best.mean, metric)} ± ${formatScore(result.best.std, metric)}`,
    );
    out.line(`trained on all ${formatInt(dataset.rows)} rows and written to ${outDir}; trials: ${csvPath}`);
  }
  if (out.json) {
    out.printJson({
      ok: true,
      trials: result.trials.map((r) => trialJson(byIndex(r))),
      best: { settings: best.texts, mean: result.best.mean, std: result.best.std },
      metric,
      out: outDir,
      splits,
      threads,
      leaderboard: ranked.map((t) => t.result.index + 1),
    });
  }
  return EXIT_OK;
}

/** What a candidate's model is checked against. */
interface DataInfo {
  width: number;
  units: number;
  target: TargetEncoding;
  loss: LossName;
  table: Table;
  rows: Int32Array;
}

/** One candidate from the grid point `point` (an alternative index per varied flag). */
function candidateOf(
  base: TrainSettings,
  space: CliSpace,
  point: Record<TunableKey, number>,
  data: DataInfo,
): Candidate {
  const settings: TrainSettings = { ...base };
  const texts: Record<string, string> = {};
  for (const [key, alternatives] of Object.entries(space) as [TunableKey, NonNullable<CliSpace[TunableKey]>][]) {
    (settings as Record<string, unknown>)[key] = alternatives.values[point[key]];
    texts[flagName(key)] = alternatives.texts[point[key]];
  }
  const where = Object.keys(texts).length > 0 ? ` (candidate ${settingsLine(texts)})` : '';
  const spec = withContext(where, () =>
    newModelSpec(settings, data.width, data.units, data.target, data.loss, data.table, data.rows),
  );
  // The flags' optimizer as train reads it: a value core refuses is a usage error naming the flag.
  const optimizer = withContext(where, () => optimizerFlags(settings));
  const epochs = settings.epochs ?? TRAIN_DEFAULTS.epochs;
  if (epochs < 1) throw usageError(`--epochs ${epochs}: a search needs at least 1 epoch${where}`);
  const rules = withContext(where, () => candidateRules(settings, optimizer, epochs));
  return {
    texts,
    settings,
    tune: {
      layers: spec.layers.map((l) => l.units),
      activation: spec.layers[0].activation,
      outputActivation: spec.layers[spec.layers.length - 1].activation,
      dropout: spec.layers.slice(0, -1).map((l) => l.dropout ?? 0),
      optimizer,
      batchSize: settings.batchSize ?? TRAIN_DEFAULTS.batchSize,
      epochs,
      seed: settings.seed ?? TRAIN_DEFAULTS.seed,
      shuffle: settings.shuffle ?? TRAIN_DEFAULTS.shuffle,
      ...(settings.shards !== undefined ? { shards: settings.shards } : {}),
      ...rules,
    },
  };
}

/** A candidate's penalties, clipping and schedule, checked as `train` checks them. */
function candidateRules(s: TrainSettings, optimizer: OptimizerConfig, epochs: number): TrainingRules {
  const rules: TrainingRules = {};
  if (s.l1 !== undefined) rules.l1 = s.l1;
  if (s.l2 !== undefined) rules.l2 = s.l2;
  if (s.clipNorm !== undefined) rules.clipNorm = s.clipNorm;
  if (s.clipValue !== undefined) rules.clipValue = s.clipValue;
  const schedule = scheduleOptions(s);
  if (schedule) {
    // Every fit of a search has validation rows (a plateau watches val_loss); the refit has none (loss).
    try {
      resolveLrSchedule(schedule, optimizer.learningRate ?? 0.01, epochs, true);
    } catch (error) {
      throw scheduleUsageError(error);
    }
    rules.lrSchedule = schedule;
  }
  return rules;
}

/** Runs `f`, adding `where` to the message of a usage error it throws. */
function withContext<T>(where: string, f: () => T): T {
  try {
    return f();
  } catch (error) {
    if (error instanceof Error && error.name === 'UserError') error.message += where;
    throw error;
  }
}

/** The run settings saved with the refit model: those of `train` with the best candidate's flags. */
function runSettingsOf(
  s: TrainSettings,
  model: Mlp,
  loss: LossName,
  task: RunSettings['task'],
  features: string[],
  targets: string[],
  missing: RunSettings['missing'],
  kernels: RunSettings['kernels'],
): RunSettings {
  const layers = model.spec.layers;
  return {
    data: s.data === undefined ? undefined : resolve(s.data),
    header: s.header ?? TRAIN_DEFAULTS.header,
    delimiter: s.delimiter ?? TRAIN_DEFAULTS.delimiter,
    ...(s.format !== undefined ? { format: s.format } : {}),
    target: targets,
    features,
    categorical: s.categorical ?? [],
    task,
    layers: layers.map((l) => l.units),
    activation: layers[0].activation,
    outputActivation: layers[layers.length - 1].activation,
    loss,
    optimizer: optimizerFlags(s),
    batchSize: s.batchSize ?? TRAIN_DEFAULTS.batchSize,
    epochs: s.epochs ?? TRAIN_DEFAULTS.epochs,
    seed: s.seed ?? TRAIN_DEFAULTS.seed,
    shuffle: s.shuffle ?? TRAIN_DEFAULTS.shuffle,
    shards: s.shards ?? null,
    valSplit: 0,
    earlyStop: s.earlyStop ?? null,
    l1: s.l1 ?? null,
    l2: s.l2 ?? null,
    clipNorm: s.clipNorm ?? null,
    clipValue: s.clipValue ?? null,
    lrSchedule: refitSchedule(s),
    missing,
    unknown: TRAIN_DEFAULTS.unknown,
    init: null,
    kernels,
    dropout: layers.slice(0, -1).map((l) => l.dropout ?? 0),
    classWeight: s.classWeight ?? null,
    weightColumn: null,
  };
}

/** The schedule the refit ran (no validation rows: a plateau watches the training loss). */
function refitSchedule(s: TrainSettings): ResolvedLrSchedule | null {
  const options = scheduleOptions(s);
  if (!options) return null;
  const optimizer = optimizerFlags(s);
  return resolveLrSchedule(options, optimizer.learningRate, s.epochs ?? TRAIN_DEFAULTS.epochs, false);
}

/** The search's progress: a bar over all fits with the leader so far (on a terminal), and a line per trial. */
function tuneProgress(out: Output, metric: TuneMetric) {
  const tty = process.stderr.isTTY === true;
  let bars: cliProgress.MultiBar | null = null;
  let bar: cliProgress.SingleBar | null = null;
  const log = (line: string) => {
    if (bars) bars.log(`${line}\n`);
    else if (!out.json) out.line(line);
  };
  return {
    fit(done: number, total: number) {
      if (!tty) return;
      if (!bars) {
        bars = new cliProgress.MultiBar(
          {
            stream: process.stderr,
            format: 'fits {bar} {value}/{total} | best so far: {leader} | ETA {eta_formatted}',
            barsize: 24,
            hideCursor: true,
            clearOnComplete: true,
            fps: 8,
          },
          cliProgress.Presets.shades_classic,
        );
        bar = bars.create(total, 0, { leader: '-' });
      }
      bar?.setTotal(total);
      bar?.update(done);
    },
    trial(record: CliTrial, rank: number, finished: number, candidates: number, leader: TrialResult) {
      const r = record.result;
      const score = Number.isNaN(r.mean)
        ? `failed (${r.error ?? 'no score'})`
        : `${metricName(metric)} ${formatScore(r.mean, metric)} ± ${formatScore(r.std, metric)}`;
      const budget = r.rung !== undefined ? `, ${r.epochs} epochs` : '';
      log(
        `trial ${String(r.index + 1).padStart(String(candidates).length)}/${candidates}  ${settingsLine(record.settings)}${budget}: ${score}, ${(r.ms / 1000).toFixed(1)} s  (rank ${rank} of ${finished})`,
      );
      bar?.update({ leader: `#${leader.index + 1} ${formatScore(leader.mean, metric)}` });
    },
    stop() {
      bars?.stop();
      bars = null;
      bar = null;
    },
  };
}
