/**
 * `shardprop gradcheck`: the analytic gradient of a network (the training step's own code, in float64) against
 * central finite differences, per layer; exits 1 when the largest relative error is above the threshold.
 */
import { type Dataset, gradcheck, type LossName, Mlp, mlpSpec, parseActivation, parseLoss } from '@shardprop/core';
import {
  type ColumnKind,
  checkLoss,
  chooseColumns,
  columnTypes,
  describeTarget,
  encodeDataset,
  fitFeatures,
  inferTarget,
  inputWidth,
  outputUnits,
  seedTable,
  TASKS,
  type Task,
  targetNames,
  usableRows,
} from '@shardprop/tabular';
import type { Command } from 'commander';
import {
  parseChoice,
  parseIntArg,
  parseIntList,
  parseNameList,
  parseNonNegative,
  parsePath,
  parsePositive,
} from '../config.js';
import { readCsv } from '../csv.js';
import { dataError, EXIT_DATA, oneLine, usageError } from '../errors.js';
import { loadModelDir } from '../modeldir.js';
import { createOutput, table as textTable } from '../output.js';
import type { Runner } from '../runner.js';
import { requireEncoding } from './apply.js';

interface GradcheckFlags {
  model?: string;
  data?: string;
  target?: string[];
  categorical?: string[];
  task?: Task;
  layers?: number[];
  activation: string;
  outputActivation?: string;
  loss?: string;
  seed: number;
  rows: number;
  maxPerTensor: number;
  l1?: number;
  l2?: number;
  epsilon: number;
  threshold: number;
  json?: boolean;
}

export function registerGradcheck(program: Command, runner: Runner): Command {
  return program
    .command('gradcheck')
    .description('check backpropagation against finite differences (float64), per layer')
    .option(
      '--model <dir>',
      'check this model directory (architecture, weights and loss) instead of a new network',
      parsePath,
    )
    .option(
      '--data <file>',
      'rows to check on (default: the built-in seed problem, or random rows for --model)',
      parsePath,
    )
    .option('--target <columns>', 'target column(s) of --data (default: the last column)', parseNameList)
    .option('--categorical <columns>', 'read these columns of --data as categories', parseNameList)
    .option('--task <task>', 'regression, binary or multiclass (default: inferred)', parseChoice(TASKS))
    .option(
      '--layers <units>',
      'units of every layer after the input, output last (default: 39,39,39 and the output size)',
      parseIntList(1),
    )
    .option('--activation <name>', 'hidden activation (default: sigmoid)', 'sigmoid')
    .option('--output-activation <name>', 'output activation (default: from the task)')
    .option('--loss <name>', 'loss (default: from the task)')
    .option('--seed <n>', 'seed of the initialisation and of the entries checked (default: 1)', parseIntArg(0), 1)
    .option('--rows <n>', 'rows in the checked batch (default: 8)', parseIntArg(1), 8)
    .option('--max-per-tensor <n>', 'entries checked per kernel and per bias (default: 64)', parseIntArg(1), 64)
    .option('--l2 <L>', "include train's L2 kernel penalty L * sum(w^2) in the loss checked", parseNonNegative)
    .option('--l1 <L>', "include train's L1 kernel penalty L * sum(|w|) in the loss checked", parseNonNegative)
    .option('--epsilon <h>', 'finite-difference step (default: 1e-4)', parsePositive, 1e-4)
    .option('--threshold <r>', 'largest acceptable relative error (default: 1e-6)', parsePositive, 1e-6)
    .option('--json', 'print one JSON document on stdout')
    .addHelpText(
      'after',
      `
Exit code 0 when every checked entry is within --threshold, 1 otherwise. Relative errors divide by
max(|analytic|, |numeric|, 1e-6), so near-zero gradients are judged absolutely. The numeric gradient is a
five-point central difference in float64 (truncation error of order step^4, rounding about 1e-16 x loss /
step): with the default step a correct gradient stays well below 1e-6, a wrong one is off by 1e-2 or more.

Examples:
  $ shardprop gradcheck                                  # the seed network on the seed problem
  $ shardprop gradcheck --layers 16,16,3 --activation relu --loss cce --data data/iris.csv --target species
  $ shardprop gradcheck --model shardprop-model --json`,
    )
    .action(async (flags: GradcheckFlags) => runner.setExitCode(await runGradcheck(flags)));
}

function randomBatch(
  inputs: number,
  targetCols: number,
  loss: LossName,
  units: number,
  rows: number,
  seed: number,
): Dataset {
  // A small deterministic LCG: gradcheck only needs some valid inputs and targets.
  let s = (seed * 2654435761 + 1) >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const x = Float32Array.from({ length: rows * inputs }, () => next() * 4 - 2);
  const y = new Float32Array(rows * targetCols);
  for (let r = 0; r < rows; r++) {
    if (loss === 'meanSquaredError') for (let j = 0; j < targetCols; j++) y[r * targetCols + j] = next();
    else if (loss === 'binaryCrossentropy')
      for (let j = 0; j < targetCols; j++) y[r * targetCols + j] = next() < 0.5 ? 0 : 1;
    else if (loss === 'sparseCategoricalCrossentropy') y[r] = Math.floor(next() * units);
    else y[r * targetCols + Math.floor(next() * units)] = 1;
  }
  return { x, y, rows, features: inputs, outputs: targetCols };
}

export async function runGradcheck(flags: GradcheckFlags): Promise<number> {
  const out = createOutput(flags.json === true);
  let model: Mlp;
  let loss: LossName;
  let batch: Dataset;
  let source: string;
  const parseLossFlag = (name: string): LossName => {
    try {
      return parseLoss(name);
    } catch (error) {
      throw usageError(`--loss: ${oneLine(error)}`);
    }
  };
  if (flags.model) {
    if (flags.layers || flags.outputActivation)
      throw usageError(
        '--layers and --output-activation cannot be used with --model (the architecture comes from the model)',
      );
    const loaded = await loadModelDir(flags.model, '--model');
    model = loaded.model;
    loss = flags.loss ? parseLossFlag(flags.loss) : (loaded.meta?.loss ?? 'meanSquaredError');
    if (flags.data) {
      const encoding = requireEncoding(loaded);
      const features = encoding.features.map((f) => f.name);
      const targets = targetNames(encoding.target);
      const table = await readCsv(flags.data, {
        types: columnTypes(encoding, true),
        select: (header) => {
          const missing = [...features, ...targets].filter((c) => !header.includes(c));
          if (missing.length > 0) {
            throw dataError(
              `${flags.data} has no column ${missing.map((c) => JSON.stringify(c)).join(', ')}, which the model needs`,
            );
          }
          return [...features, ...targets];
        },
      });
      const rows = usableRows(table, features, targets, 'drop').rows.subarray(0, flags.rows);
      batch = encodeDataset(table, encoding, rows, loss, model.outputSize, { missing: 'drop', unknown: 'zeros' });
      source = `${batch.rows} rows of ${flags.data}`;
    } else {
      const cols = loss === 'sparseCategoricalCrossentropy' ? 1 : model.outputSize;
      batch = randomBatch(model.inputSize, cols, loss, model.outputSize, flags.rows, flags.seed);
      source = `${flags.rows} random rows`;
    }
    source += `, model ${loaded.dir}`;
  } else {
    const table = flags.data
      ? await readCsv(flags.data, {
          types: new Map((flags.categorical ?? []).map((c) => [c, 'categorical' as ColumnKind])),
        })
      : seedTable(Math.max(flags.rows, 16));
    const header = table.header;
    const targets = flags.data ? (flags.target ?? [header[header.length - 1]]) : ['y'];
    const { features } = chooseColumns(table.file, header, targets);
    const all = usableRows(table, features, targets, 'drop').rows;
    const target = inferTarget(table, targets, all, flags.task);
    loss = flags.loss
      ? parseLossFlag(flags.loss)
      : target.task === 'regression'
        ? 'meanSquaredError'
        : target.task === 'binary'
          ? 'binaryCrossentropy'
          : 'categoricalCrossentropy';
    checkLoss(target, loss);
    const units = outputUnits(target, loss);
    const rows = all.subarray(0, flags.rows);
    const encoding = { features: fitFeatures(table, features, all), target };
    batch = encodeDataset(table, encoding, rows, loss, units, { missing: 'drop', unknown: 'zeros' });
    const layers = flags.layers ?? [39, 39, 39, units];
    if (layers[layers.length - 1] !== units) {
      throw usageError(
        `--layers ${layers.join(',')}: the last entry is the output layer and must be ${units} for ${describeTarget(target)} with ${loss}`,
      );
    }
    try {
      const activation = parseActivation(flags.activation, '--activation');
      const outAct = flags.outputActivation
        ? parseActivation(flags.outputActivation, '--output-activation')
        : target.task === 'regression'
          ? 'sigmoid'
          : units === 1
            ? 'sigmoid'
            : 'softmax';
      model = Mlp.create(mlpSpec(inputWidth(encoding.features), layers, activation, outAct), { seed: flags.seed });
    } catch (error) {
      throw usageError(oneLine(error));
    }
    source = `${batch.rows} rows of ${flags.data ?? 'the seed problem'}`;
  }
  const result = gradcheck(model, batch, {
    loss,
    epsilon: flags.epsilon,
    maxPerTensor: flags.maxPerTensor,
    seed: flags.seed,
    l1: flags.l1 ?? 0,
    l2: flags.l2 ?? 0,
  });
  const passed = result.maxRelError <= flags.threshold;
  if (out.json) {
    out.printJson({
      ok: passed,
      passed,
      threshold: flags.threshold,
      maxRelError: result.maxRelError,
      maxAbsError: result.maxAbsError,
      loss,
      layers: model.spec.layers.map((l) => ({ units: l.units, activation: l.activation })),
      inputSize: model.inputSize,
      rows: batch.rows,
      tensors: result.tensors,
    });
  } else {
    out.line(
      `gradcheck: ${model.inputSize}-${model.spec.layers.map((l) => l.units).join('-')} (${model.spec.layers.map((l) => l.activation).join(', ')}), ${loss}, ${source}; float64, step ${flags.epsilon}`,
    );
    out.line();
    out.line(
      textTable(
        ['tensor', 'checked', 'max abs error', 'max rel error', ''],
        result.tensors.map((t) => [
          t.name,
          t.checked,
          t.maxAbsError.toExponential(2),
          t.maxRelError.toExponential(2),
          t.maxRelError <= flags.threshold ? 'ok' : 'FAIL',
        ]),
      ),
    );
    out.line();
    out.line(
      `${passed ? 'passed' : 'FAILED'}: max relative error ${result.maxRelError.toExponential(2)} ${passed ? '<=' : '>'} threshold ${flags.threshold}`,
    );
  }
  return passed ? 0 : EXIT_DATA;
}
