/**
 * The program's commands, in the order of its help. main.ts registers them; the commands import only `Runner`
 * (runner.ts), so nothing here imports main.ts back.
 */
import type { Command } from 'commander';
import { registerBench } from './commands/bench.js';
import { registerEvaluate } from './commands/evaluate.js';
import { registerExport } from './commands/export.js';
import { registerGradcheck } from './commands/gradcheck.js';
import { registerInspect } from './commands/inspect.js';
import { registerPredict } from './commands/predict.js';
import { registerTrain } from './commands/train.js';
import { registerTune } from './commands/tune.js';
import type { Runner } from './runner.js';

/** Adds one command to `program` and returns it. */
export type RegisterCommand = (program: Command, runner: Runner) => Command;

/** Every command by name (the name a user types), in help order. */
export const COMMANDS: Readonly<Record<string, RegisterCommand>> = {
  train: registerTrain,
  tune: registerTune,
  evaluate: registerEvaluate,
  predict: registerPredict,
  gradcheck: registerGradcheck,
  bench: registerBench,
  inspect: registerInspect,
  export: registerExport,
};
