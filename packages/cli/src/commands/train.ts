/**
 * `shardprop train`: CSV in, model directory out, on every core. The run goes settings -> data -> model -> loop ->
 * report, one module each under src/train/.
 */
import { resolve } from 'node:path';
import { defaultThreads } from '@shardprop/core/parallel';
import { TASKS } from '@shardprop/tabular';
import type { Command } from 'commander';
import {
  LR_SCHEDULES,
  MONITOR_FLAGS,
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
} from '../config.js';
import { TABLE_FORMATS } from '../load.js';
import { lockModelDir } from '../lock.js';
import { createOutput } from '../output.js';
import type { RunSettings } from '../run-state.js';
import type { Runner } from '../runner.js';
import { loadTrainingData, type TrainingData } from '../train/data.js';
import { checkpointWriter, progressOf, runEpochs, type TrainingRun } from '../train/loop.js';
import { trainingModel } from '../train/model.js';
import { reportFinished, reportInterrupted, reportStart } from '../train/report.js';
import { optimizerFlags, type RunStart, resolveRun, type TrainFlags } from '../train/settings.js';
import { monitorFlag, scheduleFlags } from '../train-schedule.js';

export { optimizerFlags, type TrainFlags } from '../train/settings.js';

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
    .option(
      '--format <format>',
      'data file format: csv, parquet or arrow (default: by extension: .parquet; .arrow, .feather, .ipc; else csv)',
      parseChoice(TABLE_FORMATS),
    )
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
      'most shards per batch; fixes the arithmetic so results never depend on --threads (default: 1 per 16 rows, 2 from 16 rows, at most 16)',
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
      'stop after this many epochs without improvement of --monitor, keeping the best weights',
      parseIntArg(1),
    )
    .option(
      '--monitor <name>',
      'what --early-stop and --lr-schedule plateau watch: val_loss, val_accuracy, loss or accuracy; losses must fall, accuracies rise (default: val_loss with --val-split, else loss)',
      parseChoice(MONITOR_FLAGS),
    )
    .option(
      '--l2 <L>',
      'L2 penalty L * sum(w^2) on every Dense kernel, not biases (Keras kernel_regularizer)',
      parseNonNegative,
    )
    .option('--l1 <L>', 'L1 penalty L * sum(|w|) on every Dense kernel, not biases', parseNonNegative)
    .option(
      '--clip-norm <N>',
      "scale each step's gradient to global L2 norm at most N (Keras global_clipnorm)",
      parsePositive,
    )
    .option('--clip-value <V>', 'clip each gradient element to [-V, V] (Keras clipvalue)', parsePositive)
    .option(
      '--lr-schedule <name>',
      'learning rate per epoch: constant, step, exponential, cosine or plateau (default: constant)',
      parseChoice(LR_SCHEDULES),
    )
    .option(
      '--lr-decay <f>',
      'step: factor every --lr-step-epochs (0.5); exponential: per epoch (0.9); plateau: on a plateau (0.1)',
      parsePositive,
    )
    .option(
      '--lr-step-epochs <n>',
      "step: epochs per decay (10); exponential: epochs per --lr-decay (1); cosine: decay length (the run's epochs)",
      parseIntArg(1),
    )
    .option('--lr-min <rate>', 'cosine: final rate; plateau: lowest rate (default: 0)', parseNonNegative)
    .option(
      '--lr-patience <n>',
      'plateau: epochs without improvement of --monitor before reducing (default: 10)',
      parseIntArg(1),
    )
    .option(
      '--warmup-epochs <n>',
      'ramp the rate linearly up to --lr over this many first epochs (default: 0)',
      parseIntArg(0),
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

export async function runTrain(flags: TrainFlags): Promise<number> {
  const start = await resolveRun(flags);
  const { settings, resumed, initial, saved } = start;
  const outName = settings.out ?? TRAIN_DEFAULTS.out;
  const outDir = resolve(outName);
  // One run writes a model directory at a time; the lock goes when this function ends, however it ends.
  await using _lock = lockModelDir(outDir, 'shardprop train', outName);
  const optimizer = saved ? saved.optimizer : optimizerFlags(settings);
  const data = await loadTrainingData(start);
  const model = trainingModel(start, data);
  const run: TrainingRun = {
    model,
    data,
    runSettings: runSettingsOf(start, data, model.spec.layers, optimizer),
    optimizer,
    threads: settings.threads ?? 'auto',
    epochs: settings.epochs ?? TRAIN_DEFAULTS.epochs,
    outDir,
    out: createOutput(flags.json === true),
    resumedFrom: resumed?.dir,
  };
  reportStart(run, settings, initial?.dir);

  const progress = progressOf(resumed);
  const save = checkpointWriter(run, progress);
  if (!resumed) await save(progress.nextEpoch >= run.epochs ? 'complete' : 'running');
  const end = await runEpochs(run, progress, save);
  if (end.interruptedEpoch !== undefined) {
    await save('interrupted');
    return reportInterrupted(run, progress, end.interruptedEpoch, end.signal ?? 'SIGINT');
  }
  if (resumed && progress.status !== 'running') await save(progress.status);
  return reportFinished(run, progress, settings);
}

/** The settings saved with the run's checkpoints: every default resolved. */
function runSettingsOf(
  start: RunStart,
  data: TrainingData,
  layers: readonly { units: number; activation: string; dropout?: number }[],
  optimizer: RunSettings['optimizer'],
): RunSettings {
  const { settings, saved, initial } = start;
  const epochs = settings.epochs ?? TRAIN_DEFAULTS.epochs;
  // Checkpoints written before --monitor watched val_loss with validation data, loss without: the same default.
  const monitor = monitorFlag(settings, data.validation !== undefined, data.target.task !== 'regression');
  // A resumed run keeps its schedule as resolved at the start (cosine's length included).
  const schedule = saved
    ? (saved.lrSchedule ?? null)
    : scheduleFlags(settings, optimizer.learningRate, epochs, monitor);
  return {
    data: settings.data === undefined ? undefined : resolve(settings.data),
    header: settings.header ?? TRAIN_DEFAULTS.header,
    delimiter: settings.delimiter ?? TRAIN_DEFAULTS.delimiter,
    ...(settings.format !== undefined ? { format: settings.format } : {}),
    target: data.targetNames,
    features: data.featureNames,
    categorical: settings.categorical ?? [],
    task: data.target.task,
    layers: layers.map((l) => l.units),
    activation: layers[0].activation,
    outputActivation: layers[layers.length - 1].activation,
    loss: data.loss,
    optimizer,
    batchSize: settings.batchSize ?? TRAIN_DEFAULTS.batchSize,
    epochs: settings.epochs ?? TRAIN_DEFAULTS.epochs,
    seed: settings.seed ?? TRAIN_DEFAULTS.seed,
    shuffle: settings.shuffle ?? TRAIN_DEFAULTS.shuffle,
    shards: settings.shards ?? null,
    valSplit: data.valSplit,
    earlyStop: settings.earlyStop ?? null,
    monitor,
    l1: settings.l1 ?? null,
    l2: settings.l2 ?? null,
    clipNorm: settings.clipNorm ?? null,
    clipValue: settings.clipValue ?? null,
    lrSchedule: schedule,
    missing: data.missing,
    unknown: data.unknown,
    init: saved ? saved.init : initial ? initial.dir : null,
    kernels: saved ? saved.kernels : settings.kernels === 'js' || settings.kernels === 'wasm' ? settings.kernels : null,
    dataFingerprint: data.dataFingerprint,
    dropout: layers.slice(0, -1).map((l) => l.dropout ?? 0),
    classWeight: settings.classWeight ?? null,
    weightColumn: settings.weightColumn ?? null,
  };
}
