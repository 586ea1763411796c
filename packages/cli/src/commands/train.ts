/**
 * `shardprop train`: CSV in, model directory out, on every core.
 */
import { resolve } from 'node:path';
import {
  createKernels,
  createOptimizer,
  type Dataset,
  type EpochLog,
  evaluate,
  type FitOptions,
  type FitResult,
  fit,
  type LossName,
  type Metrics,
  Mlp,
  type ModelSpec,
  type OptimizerConfig,
  type OptimizerSnapshot,
  parseActivation,
  parseLoss,
  shardCount,
  TrainingError,
} from '@shardprop/core';
import { defaultThreads, fitParallel, type ThreadTrial } from '@shardprop/core/parallel';
import {
  checkLoss,
  defaultLoss,
  describeTarget,
  type Encoding,
  encodeDataset,
  fitFeatures,
  inferTarget,
  inputNames,
  inputWidth,
  outputUnits,
  TASKS,
  type TargetEncoding,
  usableRows,
} from '@shardprop/tabular';
import type { Command } from 'commander';
import { onInterrupt, signalExitCode, signalName } from '../checkpoint.js';
import {
  loadConfig,
  mergeSettings,
  OPTIMIZER_NAMES,
  parseChoice,
  parseClassWeight,
  parseDelimiter,
  parseDropout,
  parseIntArg,
  parseIntList,
  parseMomentum,
  parseNameList,
  parseNonNegative,
  parsePath,
  parsePositive,
  parseThreads,
  parseUnit,
  TRAIN_DEFAULTS,
  type TrainSettings,
} from '../config.js';
import { ADVICE, dataError, EXIT_OK, oneLine, type UserError, usageError } from '../errors.js';
import { describeChange, fingerprintOf } from '../fingerprint.js';
import { lockModelDir } from '../lock.js';
import type { Runner } from '../main.js';
import { type LoadedModel, loadModelDir, saveModelDir, writeTrainingPlot } from '../modeldir.js';
import { createOutput, type Output, table as textTable } from '../output.js';
import { terminalChart } from '../plot.js';
import { createProgress, epochLine, formatInt, formatLoss } from '../progress.js';
import { classWeightFor, weightColumnValues } from '../row-weights.js';
import type { CliMeta, EarlyStopState, RunSettings, RunState, RunStatus } from '../run-state.js';
import {
  activationFlag,
  dropoutFlag,
  lossFlag,
  missingPolicy,
  newModelSpec,
  optimizerConfig,
  readTrainingTable,
  savedTargets,
} from '../train-setup.js';
import { validationSplit } from '../validation-split.js';

interface TrainFlags extends TrainSettings {
  config?: string;
  json?: boolean;
}

/** Settings a resumed run may change: everything else must agree with the checkpoint. */
const RESUMABLE = new Set(['epochs', 'threads', 'out', 'data', 'resume', 'config', 'json']);

export function registerTrain(program: Command, runner: Runner): Command {
  const cmd = program
    .command('train')
    .description('train a network on a CSV file (or the built-in seed problem) and write a model directory')
    .option(
      '--data <file>',
      'training CSV with a header row (default: the built-in seed problem, as in data/seed.csv)',
      parsePath,
    )
    .option('--target <columns>', 'column(s) to predict, comma-separated (default: the last column)', parseNameList)
    .option('--features <columns>', 'feature columns, comma-separated (default: every other column)', parseNameList)
    .option('--ignore <columns>', 'columns to leave out of the features', parseNameList)
    .option('--categorical <columns>', 'read these columns as categories even when they hold numbers', parseNameList)
    .option('--no-header', 'the CSV has no header row; its columns are named c1, c2, ...')
    .option('--delimiter <char>', 'field delimiter, one character; \\t is a tab (default: ",")', parseDelimiter)
    .option('--task <task>', 'regression, binary or multiclass (default: inferred from the target)', parseChoice(TASKS))
    .option(
      '--layers <units>',
      'units of every layer after the input, output last (default: 39,39,39 and the output size of the task)',
      parseIntList(1),
    )
    .option('--activation <name>', 'hidden activation: sigmoid, tanh, relu, leakyRelu, elu, linear (default: sigmoid)')
    .option('--output-activation <name>', 'output activation (default: sigmoid, softmax or linear, from the task)')
    .option('--loss <name>', 'mse, bce, cce, scce or a Keras loss name (default: from the task)')
    .option('--optimizer <name>', 'sgd, momentum, adam, adamw or rmsprop (default: sgd)', parseChoice(OPTIMIZER_NAMES))
    .option('--lr <rate>', 'learning rate (default: 0.1 for sgd and momentum, 0.001 for the others)', parsePositive)
    .option('--momentum <m>', 'momentum, in [0, 1] (momentum: default 0.9; rmsprop: default 0)', parseMomentum)
    .option('--nesterov', 'Nesterov momentum (momentum optimizer)')
    .option('--beta1 <b>', 'adam/adamw first-moment decay (default: 0.9)', parseUnit)
    .option('--beta2 <b>', 'adam/adamw second-moment decay (default: 0.999)', parseUnit)
    .option('--epsilon <e>', 'adam/adamw/rmsprop epsilon (default: 1e-7)', parsePositive)
    .option('--weight-decay <w>', 'adamw decoupled weight decay (default: 0.004)', parseNonNegative)
    .option('--rho <r>', 'rmsprop decay (default: 0.9)', parseUnit)
    .option('--centered', 'centered rmsprop')
    .option(
      '--dropout <rates>',
      'dropout after every hidden layer, in [0, 1), or one rate per hidden layer: 0.2,0.1 (default: none)',
      parseDropout,
    )
    .option(
      '--class-weight <weights>',
      'balanced (n_rows / (n_classes x count)), or JSON class label -> loss weight: \'{"yes": 3, "no": 1}\'',
      parseClassWeight,
    )
    .option('--weight-column <name>', "column holding each row's loss weight (>= 0); not a feature")
    .option('--batch-size <n>', 'rows per step (default: 32)', parseIntArg(1))
    .option('--epochs <n>', 'epochs to train; 0 writes the initialised model (default: 10)', parseIntArg(0))
    .option(
      '--threads <n|auto>',
      `worker threads: auto measures 1 up to every core (here ${defaultThreads()}) on the run's own steps and keeps the fastest; a number forces it (default: auto)`,
      parseThreads,
    )
    .option(
      '--shards <n>',
      'most shards per batch; fixes the arithmetic so results never depend on --threads (default: 1 per 8 rows, at most 16)',
      parseIntArg(1),
    )
    .option('--seed <n>', 'seed of the initialisation and the shuffles (default: 1)', parseIntArg(0))
    .option('--no-shuffle', 'keep the file order in every epoch')
    .option(
      '--val-split <fraction>',
      'fraction of rows, taken from the end, held out for validation (default: 0)',
      parseUnit,
    )
    .option(
      '--early-stop <patience>',
      'stop after this many epochs without improvement of val_loss (or loss), keeping the best weights',
      parseIntArg(1),
    )
    .option('--drop-missing', 'leave out rows with a missing value (empty, NA, N/A, NaN, null)')
    .option(
      '--impute <how>',
      '"mean": fill missing features with the column mean (categories: the most frequent)',
      parseChoice(['mean'] as const),
    )
    .option(
      '--unknown <policy>',
      'with --init: a category the model has not seen is an "error" or encoded as "zeros"',
      parseChoice(['error', 'zeros'] as const),
    )
    .option(
      '--kernels <backend>',
      'compute kernels: wasm (WebAssembly SIMD), js, or auto (default: auto)',
      parseChoice(['auto', 'wasm', 'js'] as const),
    )
    .option('--init <dir>', 'start from the weights (and data encoding) of this model directory', parsePath)
    .option('--resume <dir>', 'continue the run checkpointed in this model directory', parsePath)
    .option('--config <file>', 'JSON settings file (keys: the flag names in camelCase); flags override it', parsePath)
    .option(
      '--out <dir>',
      'model directory to write (default: ./shardprop-model; with --resume, that directory)',
      parsePath,
    )
    .option('--json', 'print one JSON document with the results on stdout (progress goes to stderr)')
    .addHelpText(
      'after',
      `
The model directory holds model.json + weights.<n>.bin (TensorFlow.js Layers format), optimizer.<n>.bin
and training.svg. Every epoch saves a checkpoint all-or-nothing (a kill at any moment leaves the last
one whole), and one run at a time may write a directory. Ctrl-C stops after the current step, keeps
the checkpoint of the last finished epoch and prints how to resume; --resume then redoes the interrupted
epoch and ends with the same weights, bit for bit, as an uninterrupted run.

Examples:
  $ shardprop train                                    # the seed network on the built-in seed problem
  $ shardprop train --lr 0.5 --val-split 0.2 --early-stop 3   # the same, with validation and early stopping
  $ shardprop train --data data/iris.csv --target species --layers 16,3 --lr 0.3 --batch-size 16 \\
      --epochs 100 --out iris-model
  $ shardprop train --data data/iris.csv --target petal_width --layers 16,1 --activation tanh \\
      --optimizer adam --lr 0.01 --epochs 100 --out iris-regression
  $ shardprop train --config train.json --epochs 20    # flags override the file
  $ shardprop train --resume shardprop-model           # continue after Ctrl-C
  $ shardprop train --resume shardprop-model --epochs 20  # train a finished run to 20 epochs`,
    )
    .action(async (_opts: TrainFlags, command: Command) => {
      const flags: TrainFlags = {};
      for (const [key, value] of Object.entries(command.opts())) {
        if (command.getOptionValueSource(key) === 'cli') (flags as Record<string, unknown>)[key] = value;
      }
      runner.setExitCode(await runTrain(flags));
    });
  return cmd;
}

/** ", dropout 0.2, 0.1" for the model line; nothing without dropout. */
function describeDropout(rates: readonly number[]): string {
  if (rates.every((r) => r === 0)) return '';
  return `, dropout ${new Set(rates).size === 1 ? rates[0] : rates.join(', ')}`;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** The value of a given setting in a saved run, in the flag's terms. */
function savedValue(s: RunSettings, key: keyof TrainSettings): unknown {
  switch (key) {
    case 'lr':
      return s.optimizer.learningRate;
    case 'optimizer':
      return s.optimizer.name;
    case 'momentum':
    case 'nesterov':
    case 'beta1':
    case 'beta2':
    case 'epsilon':
    case 'weightDecay':
    case 'rho':
    case 'centered':
      return s.optimizer[key];
    case 'dropMissing':
      return s.missing === 'drop';
    case 'impute':
      return s.missing === 'impute' ? 'mean' : undefined;
    case 'activation':
    case 'outputActivation':
      return s[key];
    case 'ignore':
      return undefined;
    default:
      return (s as unknown as Record<string, unknown>)[key];
  }
}

function normalise(key: keyof TrainSettings, value: unknown): unknown {
  if ((key === 'activation' || key === 'outputActivation') && typeof value === 'string') return parseActivation(value);
  if (key === 'loss' && typeof value === 'string') return parseLoss(value);
  return value;
}

/** With --resume, every given setting other than epochs/threads/out/data must agree with the checkpoint. */
function checkResumeFlags(given: TrainSettings, saved: RunSettings, dir: string): void {
  for (const [key, value] of Object.entries(given) as [keyof TrainSettings, unknown][]) {
    if (RESUMABLE.has(key) || value === undefined) continue;
    if (key === 'ignore') continue; // folded into the saved feature list
    if (key === 'kernels' && value === 'auto') continue;
    const have = savedValue(saved, key);
    let want: unknown;
    try {
      want = normalise(key, value);
    } catch (error) {
      throw usageError(`${flagName(key)}: ${oneLine(error)}`);
    }
    if (key === 'dropout') {
      const hidden = saved.layers.length - 1;
      const have = saved.dropout ?? new Array<number>(hidden).fill(0);
      if (!same(dropoutFlag(value as number | number[], hidden), have)) {
        throw usageError(
          `--dropout ${String(value)} contradicts the run in ${dir} (${have.join(',')}); drop the flag to resume, or start a new run`,
        );
      }
      continue;
    }
    if (key === 'layers' || key === 'features' || key === 'target' || key === 'categorical') {
      if (!same(want, have)) {
        throw usageError(
          `${flagName(key)} ${String(value)} contradicts the run in ${dir} (${String(have)}); drop the flag to resume, or start a new run`,
        );
      }
      continue;
    }
    if (!same(want, have ?? (typeof want === 'boolean' ? false : undefined))) {
      throw usageError(
        `${flagName(key)} ${String(value)} contradicts the run in ${dir} (${have === undefined ? 'not set' : String(have)}); drop the flag to resume, or start a new run`,
      );
    }
  }
}

/** Architecture flags given with --init must agree with the model's. */
function checkArchitecture(given: TrainSettings, spec: ModelSpec, flag: string, dir: string): void {
  const units = spec.layers.map((l) => l.units);
  if (given.layers && !same(given.layers, units)) {
    throw usageError(
      `--layers ${given.layers.join(',')} contradicts the model in ${dir} (${flag}), which has layers ${units.join(',')}`,
    );
  }
  const hidden = spec.layers.slice(0, -1).map((l) => l.activation);
  const output = spec.layers[spec.layers.length - 1].activation;
  if (given.activation !== undefined) {
    const a = activationFlag(given.activation, '--activation');
    if (hidden.some((h) => h !== a)) {
      throw usageError(
        `--activation ${given.activation} contradicts the model in ${dir} (${flag}), whose hidden layers use ${[...new Set(hidden)].join(', ')}`,
      );
    }
  }
  if (given.outputActivation !== undefined) {
    const a = activationFlag(given.outputActivation, '--output-activation');
    if (a !== output) {
      throw usageError(
        `--output-activation ${given.outputActivation} contradicts the model in ${dir} (${flag}), whose output uses ${output}`,
      );
    }
  }
}

/** The optimizer the flags ask for; a value core refuses is a usage error naming the flag. */
function optimizerFlags(s: TrainSettings): Required<OptimizerConfig> {
  try {
    return createOptimizer(optimizerConfig(s)).config;
  } catch (error) {
    // core names the option (optimizer.momentum, optimizer.learningRate, ...): say the flag instead.
    const message = oneLine(error).replace(/^optimizer\.(\w+)/, (_m, key: string) =>
      flagName(key === 'learningRate' ? 'lr' : key),
    );
    throw usageError(message);
  }
}

function metaFor(encoding: Encoding, loss: LossName, run: RunState): CliMeta {
  return { encoding, loss, run };
}

export async function runTrain(flags: TrainFlags): Promise<number> {
  const out = createOutput(flags.json === true);
  const config = flags.config ? await loadConfig(flags.config) : {};
  const { config: _c, json: _j, ...flagSettings } = flags;
  const given = mergeSettings(config, flagSettings);
  if (given.resume && given.init) throw usageError('--resume and --init cannot be used together');

  // A resumed run takes every setting from its checkpoint.
  let resumed: LoadedModel | undefined;
  let initial: LoadedModel | undefined;
  let saved: RunSettings | undefined;
  if (given.resume) {
    resumed = await loadModelDir(given.resume, '--resume');
    const run = resumed.meta?.run;
    if (!run || !resumed.meta?.encoding) {
      throw dataError(
        `--resume ${given.resume}: not a shardprop training checkpoint (model.json has no training run state)`,
      );
    }
    saved = run.settings;
    checkResumeFlags(given, saved, given.resume);
    if (given.epochs !== undefined && given.epochs < run.nextEpoch) {
      throw usageError(
        `--epochs ${given.epochs}: the run in ${given.resume} has already trained ${run.nextEpoch} epochs`,
      );
    }
    if (!resumed.optimizer && saved.optimizer.name !== 'sgd') {
      throw dataError(
        `--resume ${given.resume}: optimizer.bin is missing, so the ${saved.optimizer.name} state cannot be restored`,
      );
    }
  } else if (given.init) {
    initial = await loadModelDir(given.init, '--init');
    checkArchitecture(given, initial.model.spec, '--init', given.init);
  }

  const settings: TrainSettings = saved
    ? {
        ...given,
        data: given.data !== undefined ? resolve(given.data) : saved.data,
        header: saved.header,
        delimiter: saved.delimiter,
        target: saved.target,
        features: saved.features,
        categorical: saved.categorical,
        task: saved.task,
        layers: saved.layers,
        activation: saved.activation,
        outputActivation: saved.outputActivation,
        loss: saved.loss,
        batchSize: saved.batchSize,
        epochs: given.epochs ?? saved.epochs,
        seed: saved.seed,
        shuffle: saved.shuffle,
        shards: saved.shards ?? undefined,
        valSplit: saved.valSplit,
        earlyStop: saved.earlyStop ?? undefined,
        dropMissing: saved.missing === 'drop',
        impute: saved.missing === 'impute' ? 'mean' : undefined,
        unknown: saved.unknown,
        kernels: saved.kernels ?? undefined,
        dropout: saved.dropout,
        classWeight: saved.classWeight ?? undefined,
        weightColumn: saved.weightColumn ?? undefined,
        out: given.out ?? given.resume,
      }
    : given;

  const epochs = settings.epochs ?? TRAIN_DEFAULTS.epochs;
  const threads = settings.threads ?? 'auto';
  let threadsUsed: number | null = null;
  const threadTrials: ThreadTrial[] = [];
  const outDir = resolve(settings.out ?? TRAIN_DEFAULTS.out);
  // One run writes a model directory at a time; the lock goes when this function ends, however it ends.
  await using _lock = lockModelDir(outDir, 'shardprop train', settings.out ?? TRAIN_DEFAULTS.out);
  const policy = saved ? saved.missing : missingPolicy(settings);
  const unknown = settings.unknown ?? TRAIN_DEFAULTS.unknown;
  const optimizer = saved ? saved.optimizer : optimizerFlags(settings);
  const savedEncoding = resumed?.meta?.encoding ?? initial?.meta?.encoding ?? undefined;

  // Data.
  const { table, featureNames, targetNames } = await readTrainingTable(settings, savedEncoding);
  if (
    savedEncoding &&
    initial &&
    !same(
      featureNames,
      savedEncoding.features.map((f) => f.name),
    )
  ) {
    throw usageError(
      `--features contradicts the model in ${given.init} (--init), which reads ${savedEncoding.features.map((f) => f.name).join(', ')}`,
    );
  }

  const { rows, dropped } = usableRows(table, featureNames, targetNames, policy, ADVICE);
  const target =
    savedEncoding && (resumed || same(savedTargets(savedEncoding), targetNames))
      ? savedEncoding.target
      : inferTarget(table, targetNames, rows, settings.task);
  const loss =
    settings.loss !== undefined
      ? lossFlag(settings.loss)
      : ((initial?.meta?.loss as LossName | undefined) ?? defaultLoss(target));
  checkLoss(target, loss);
  const units = outputUnits(target, loss);
  const encoding: Encoding = { features: savedEncoding?.features ?? fitFeatures(table, featureNames, rows), target };
  const width = inputWidth(encoding.features);

  // Model.
  let model: Mlp;
  let spec: ModelSpec;
  const seed = settings.seed ?? TRAIN_DEFAULTS.seed;
  if (resumed || initial) {
    const from = (resumed ?? initial) as LoadedModel;
    const flag = resumed ? '--resume' : '--init';
    model = from.model;
    if (initial && settings.dropout !== undefined) {
      // --init keeps the weights; the dropout of this run is the flag's.
      const rates = dropoutFlag(settings.dropout, model.spec.layers.length - 1);
      const layers = model.spec.layers.map((l, i) => {
        const { dropout: _old, ...rest } = l;
        return i < rates.length && rates[i] > 0 ? { ...rest, dropout: rates[i] } : rest;
      });
      model = new Mlp({ ...model.spec, layers }, model.params);
    }
    spec = model.spec;
    if (model.inputSize !== width) {
      throw dataError(
        `${flag} ${from.dir}: the model takes ${model.inputSize} inputs, the data gives ${width} (${inputNames(encoding.features).join(', ')})`,
      );
    }
    if (model.outputSize !== units) {
      throw dataError(
        `${flag} ${from.dir}: the model has ${model.outputSize} outputs, ${describeTarget(target)} with ${loss} needs ${units}`,
      );
    }
  } else {
    spec = newModelSpec(settings, width, units, target, loss, table, rows);
    model = Mlp.create(spec, { seed });
  }
  const hiddenActivation = spec.layers[0].activation;
  const outputActivation = spec.layers[spec.layers.length - 1].activation;

  const dataset = encodeDataset(table, encoding, rows, loss, units, { missing: policy, unknown, advice: ADVICE });
  const dataFingerprint = fingerprintOf(dataset);
  const changed = saved?.dataFingerprint && describeChange(saved.dataFingerprint, dataFingerprint);
  if (changed) {
    throw dataError(
      `--resume ${given.resume}: the training data changed since the checkpoint (${settings.data ?? 'the built-in seed problem'}: ${changed}); resume needs the same data: restore it, or start a new run from these weights with --init ${given.resume}`,
    );
  }
  const rowWeights =
    settings.weightColumn === undefined ? undefined : weightColumnValues(table, settings.weightColumn, rows);
  const classWeight = settings.classWeight === undefined ? undefined : classWeightFor(settings.classWeight, target);
  const valSplit = settings.valSplit ?? TRAIN_DEFAULTS.valSplit;
  const { train, validation } = validationSplit(dataset, valSplit);
  // The held-out rows are the last ones: their weights go with them (validation losses are unweighted).
  const sampleWeight = rowWeights?.subarray(0, train.rows);
  if (train.rows === 0 || validation?.rows === 0) {
    throw usageError(
      `--val-split ${valSplit}: ${formatInt(dataset.rows)} rows leave nothing to ${train.rows === 0 ? 'train on' : 'validate on'}`,
    );
  }
  const batchSize = settings.batchSize ?? TRAIN_DEFAULTS.batchSize;
  const earlyStop = settings.earlyStop;
  const runSettings: RunSettings = {
    data: settings.data === undefined ? undefined : resolve(settings.data),
    header: settings.header ?? TRAIN_DEFAULTS.header,
    delimiter: settings.delimiter ?? TRAIN_DEFAULTS.delimiter,
    target: targetNames,
    features: featureNames,
    categorical: settings.categorical ?? [],
    task: target.task,
    layers: spec.layers.map((l) => l.units),
    activation: hiddenActivation,
    outputActivation,
    loss,
    optimizer,
    batchSize,
    epochs,
    seed,
    shuffle: settings.shuffle ?? TRAIN_DEFAULTS.shuffle,
    shards: settings.shards ?? null,
    valSplit,
    earlyStop: earlyStop ?? null,
    missing: policy,
    unknown,
    init: saved ? saved.init : initial ? initial.dir : null,
    kernels: saved ? saved.kernels : settings.kernels === 'js' || settings.kernels === 'wasm' ? settings.kernels : null,
    dataFingerprint,
    dropout: spec.layers.slice(0, -1).map((l) => l.dropout ?? 0),
    classWeight: settings.classWeight ?? null,
    weightColumn: settings.weightColumn ?? null,
  };

  // Start-of-run summary.
  const dataName = settings.data ?? 'the built-in seed problem (no --data; the numbers of data/seed.csv)';
  const targetNote =
    settings.data !== undefined && !settings.target && !savedEncoding
      ? ' (the last column; pass --target to choose)'
      : '';
  out.line(
    `data: ${dataName}: ${formatInt(dataset.rows)} rows${dropped ? ` (${formatInt(dropped)} with missing values left out)` : ''}, ${featureNames.length} feature columns -> ${width} inputs`,
  );
  out.line(`task: ${describeTarget(target)}${targetNote} -> ${outputActivation} output, ${loss}`);
  out.line(
    `model: ${width} inputs -> ${spec.layers.map((l) => l.units).join('-')} (${hiddenActivation} hidden, ${outputActivation} output${describeDropout(runSettings.dropout ?? [])}), ${formatInt(model.paramCount)} parameters${initial ? `, from ${initial.dir}` : ''}`,
  );
  if (classWeight !== undefined || settings.weightColumn !== undefined) {
    const what = [
      settings.classWeight === undefined
        ? ''
        : `class weights ${settings.classWeight === 'balanced' ? 'balanced' : JSON.stringify(settings.classWeight)}`,
      settings.weightColumn === undefined ? '' : `row weights from ${settings.weightColumn}`,
    ].filter((w) => w !== '');
    out.line(`loss weights: ${what.join(', ')} (the loss is the batch mean of weight x loss)`);
  }
  out.line(
    `training: ${optimizer.name} lr ${optimizer.learningRate}, batch ${formatInt(batchSize)}${batchSize > train.rows ? ` (more than the ${formatInt(train.rows)} training rows: one step per epoch)` : ''}, ${epochs} epochs, ${describeThreads(threads)}, seed ${seed}${validation ? `, ${formatInt(validation.rows)} validation rows` : ''}${earlyStop ? `, early stop after ${earlyStop}` : ''}`,
  );

  // The loop, with a checkpoint after every epoch.
  const history: EpochLog[] = resumed?.meta?.run?.history.slice() ?? [];
  let nextEpoch = resumed?.meta?.run?.nextEpoch ?? 0;
  let optState: OptimizerSnapshot | undefined = resumed?.optimizer;
  let es: EarlyStopState | null = resumed?.meta?.run?.earlyStopping ?? null;
  let bestParams: Float32Array | undefined = resumed?.bestParams;
  let status: RunStatus = resumed?.meta?.run?.status === 'stopped-early' ? 'stopped-early' : 'running';
  if (status === 'stopped-early') {
    out.note(`the run in ${resumed?.dir} stopped early at epoch ${nextEpoch}; nothing to resume`);
  }
  const runState = (s: RunStatus): RunState => ({
    status: s,
    nextEpoch,
    settings: runSettings,
    history,
    earlyStopping: es,
    trainRows: train.rows,
    validationRows: validation?.rows ?? 0,
    updated: new Date().toISOString(),
    threads: { requested: threads, used: threadsUsed, trials: threadTrials },
  });
  const save = (s: RunStatus) =>
    saveModelDir(outDir, model, metaFor(encoding, loss, runState(s)), {
      optimizer: { config: optimizer, snapshot: optState ?? emptyOptimizerState(optimizer, model.paramCount) },
      bestParams: earlyStop ? bestParams : undefined,
    });

  if (!resumed) await save(nextEpoch >= epochs ? 'complete' : 'running');

  const bar = process.stderr.isTTY === true;
  const progress = createProgress({ bar, lines: !out.json, totalEpochs: epochs });
  const interrupt = onInterrupt((sig) => {
    progress.stop();
    const again = sig === 'SIGINT' ? 'Ctrl-C again' : 'a second signal';
    process.stderr.write(`\nshardprop: ${signalName(sig)}: stopping after the current step (${again} quits at once)\n`);
  });
  const stepsPerEpoch = Math.ceil(train.rows / batchSize);
  // One fit call runs every epoch; onEpochEnd checkpoints the weights and the optimizer state of each epoch
  // boundary. A later call happens only after early stopping or Ctrl-C ended this one.
  let interruptedEpoch: number | undefined;
  let kernels = runSettings.kernels;
  try {
    while (status === 'running' && nextEpoch < epochs) {
      if (interrupt.signal.aborted) {
        interruptedEpoch = nextEpoch;
        break;
      }
      const first = nextEpoch;
      const last = epochs;
      let boundary = { params: model.params.slice(), opt: optState };
      const trialsBefore = threadTrials.slice();
      const stop = new AbortController();
      const signal = AbortSignal.any([interrupt.signal, stop.signal]);
      const options: FitOptions = {
        loss,
        optimizer,
        batchSize,
        shuffle: runSettings.shuffle,
        seed,
        shards: runSettings.shards ?? undefined,
        validationData: validation,
        ...(classWeight === undefined ? {} : { classWeight }),
        ...(sampleWeight === undefined ? {} : { sampleWeight }),
        kernels: kernels ?? 'auto',
        epochs: last - first,
        initialEpoch: first,
        optimizerState: optState,
        signal,
        callbacks: {
          onEpochBegin: (epoch) => progress.epochBegin(epoch, stepsPerEpoch),
          onBatchEnd: (log) => progress.batch(log),
          onEpochEnd: async (log, context) => {
            // After an abort, the log is of a partial (or repeated) epoch: the checkpoint keeps the last full one.
            if (signal.aborted) return;
            history.push(log);
            nextEpoch = log.epoch + 1;
            progress.epochEnd(log, epochs);
            if (earlyStop) {
              const value = validation ? (log.valLoss as number) : log.loss;
              if (!es || value < es.best) {
                es = { best: value, bestEpoch: log.epoch, waited: 0 };
                bestParams = model.params.slice();
              } else if (++es.waited >= earlyStop) {
                status = 'stopped-early';
                stop.abort();
              }
            }
            if (status === 'running' && nextEpoch >= epochs) status = 'complete';
            optState = context.optimizerState();
            threadsUsed = log.threads ?? 1;
            threadTrials.splice(0, threadTrials.length, ...trialsBefore, ...context.threadTrials());
            boundary = { params: model.params.slice(), opt: optState };
            if (status !== 'stopped-early') await save(status);
          },
        },
      };
      let result: FitResult;
      try {
        result =
          threads === 1 ? await fit(model, train, options) : await fitParallel(model, train, { ...options, threads });
      } catch (error) {
        progress.stop();
        if (error instanceof TrainingError) throw diverged(error, outDir, nextEpoch);
        if (/^wasm kernels: (cannot grow the shared memory|alloc of \d+ bytes exceeds)/.test(oneLine(error)))
          throw outOfMemory(model.paramCount, train, options);
        throw dataError(`training failed: ${oneLine(error)}`);
      }
      kernels ??= result.kernels;
      runSettings.kernels = kernels;
      threadsUsed = result.threads ?? 1;
      threadTrials.splice(0, threadTrials.length, ...trialsBefore, ...(result.threadTrials ?? []));
      // (status may have been changed by onEpochEnd.)
      if ((status as RunStatus) === 'stopped-early') {
        if (bestParams) model.params.set(bestParams);
        await save(status);
        break;
      }
      if (result.aborted) {
        // Ctrl-C: back to the last epoch boundary; --resume redoes the interrupted epoch from there.
        model.params.set(boundary.params);
        optState = boundary.opt;
        interruptedEpoch = nextEpoch;
        break;
      }
      if (optState && result.optimizerState.step !== optState.step) {
        throw new Error(`internal: optimizer step ${result.optimizerState.step}, expected ${optState.step}`);
      }
    }
  } finally {
    progress.stop();
    interrupt.dispose();
  }
  if (status === 'running' && nextEpoch >= epochs) status = 'complete';

  if (interruptedEpoch !== undefined) {
    const sig = interrupt.received ?? 'SIGINT';
    await save('interrupted');
    await writeTrainingPlot(outDir, history, validation !== undefined);
    const resumeCmd = `shardprop train --resume ${quoteArg(outDir)}`;
    const by = sig === 'SIGINT' ? '' : ` by ${sig}`;
    process.stderr.write(
      `shardprop: interrupted in epoch ${interruptedEpoch + 1}${by}; ${outDir} holds the checkpoint after epoch ${nextEpoch}\nresume with: ${resumeCmd}\n`,
    );
    if (out.json) {
      out.printJson({ ok: false, interrupted: true, signal: sig, out: outDir, nextEpoch, resume: resumeCmd, history });
    }
    return signalExitCode(sig);
  }

  if (resumed && status !== 'running') await save(status);
  const svg = await writeTrainingPlot(outDir, history, validation !== undefined);
  // The end-of-run metrics on the run's kernels (wasm: about 10x the TypeScript kernels on large sets).
  const metricKernels = createKernels(runSettings.kernels ?? 'auto');
  const metrics: { train: Metrics; validation?: Metrics } = { train: evaluate(model, train, loss, metricKernels) };
  if (validation) metrics.validation = evaluate(model, validation, loss, metricKernels);
  report(out, { outDir, svg, history, metrics, status, es, epochs, model, target, loss, encoding, runSettings });
  if (out.json) {
    out.printJson({
      ok: true,
      out: outDir,
      status,
      data: settings.data ?? null,
      rows: dataset.rows,
      trainRows: train.rows,
      validationRows: validation?.rows ?? 0,
      droppedRows: dropped,
      task: target.task,
      target: targetNames,
      classes: target.task === 'regression' ? undefined : target.classes,
      inputs: inputNames(encoding.features),
      layers: runSettings.layers,
      activation: hiddenActivation,
      outputActivation,
      loss,
      optimizer,
      paramCount: model.paramCount,
      threads: threadsUsed,
      threadTrials,
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

/**
 * Divergence: core left the model at the start of the failed epoch and no checkpoint was written after the last
 * finished one, so the directory still holds finite weights. Epochs are counted from 1 here, as in the progress.
 */
function diverged(error: TrainingError, outDir: string, epochsDone: number): UserError {
  const what = error.quantity === 'loss' ? 'the loss' : 'a weight';
  return dataError(
    `training diverged in epoch ${error.epoch + 1}, step ${error.step}: ${what} became ${error.value}; lower --lr and train again (${outDir} keeps ${epochsDone === 0 ? 'the initialised model' : `the checkpoint after epoch ${epochsDone}`})`,
  );
}

/**
 * The WebAssembly kernels address a bounded shared memory; core's error names its API (maximumBytes), which a CLI
 * user cannot pass. Say what takes the room (the data, one gradient copy per shard) and which flags shrink it.
 */
function outOfMemory(paramCount: number, train: Dataset, options: FitOptions): UserError {
  const batch = Math.min(options.batchSize ?? TRAIN_DEFAULTS.batchSize, train.rows);
  const shards = shardCount(batch, options.shards);
  const mb = (bytes: number) => `${formatInt(Math.ceil(bytes / 2 ** 20))} MB`;
  return dataError(
    `training needs more memory than the WebAssembly kernels can address: the data takes ${mb(train.rows * (train.features + train.outputs) * 4)} and the gradients of ${formatInt(shards)} shard${shards === 1 ? '' : 's'} ${mb(shards * paramCount * 4)}; pass fewer --shards, or --kernels js`,
  );
}

/** The start-of-run words for `--threads`. */
function describeThreads(threads: number | 'auto'): string {
  if (threads !== 'auto') return `${threads} thread${threads === 1 ? '' : 's'}`;
  const cores = defaultThreads();
  return cores === 1 ? 'threads auto (1 core: 1 thread)' : `threads auto (1 to ${cores}, the fastest measured)`;
}

function emptyOptimizerState(config: Required<OptimizerConfig>, paramCount: number): OptimizerSnapshot {
  const slots = createOptimizer(config).stateSlots;
  return { step: 0, state: new Float32Array(slots * paramCount) };
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
