/**
 * The `shardprop` program: commander setup, the commands, and the one place where errors become a line on
 * stderr and an exit code (see errors.ts for the codes).
 */
import { readFileSync } from 'node:fs';
import { TabularError } from '@shardprop/tabular';
import { Command, CommanderError } from 'commander';
import { COMMANDS } from './command-list.js';
import { EXIT_DATA, EXIT_OK, EXIT_USAGE, ExitCode, exitCodeOf, oneLine, UserError } from './errors.js';
import type { Runner } from './runner.js';

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export type { Runner } from './runner.js';

const USAGE_CODES = new Set([
  'commander.unknownOption',
  'commander.unknownCommand',
  'commander.missingArgument',
  'commander.optionMissingArgument',
  'commander.missingMandatoryOptionValue',
  'commander.invalidArgument',
  'commander.excessArguments',
  'commander.conflictingOption',
  'commander.help',
]);

export function buildProgram(runner: Runner): Command {
  const program = new Command();
  program
    .name('shardprop')
    .description('Train, evaluate and use multilayer perceptrons from the terminal, on every core.')
    .version(version(), '-V, --version', 'print the version')
    .option('--debug', 'print stack traces with errors')
    .helpOption('-h, --help', 'show help')
    .showSuggestionAfterError(true)
    .configureOutput({
      // Commander's own errors: one line, then a pointer to the help.
      outputError: () => {},
    })
    .exitOverride()
    .addHelpText(
      'after',
      `
Examples:
  $ shardprop train                                  train the seed network on the built-in seed problem
  $ shardprop train --data iris.csv --target species --out iris-model
  $ shardprop tune --layers "16,1|39,39,1" --lr "0.1|0.5" --folds 3   choose settings by cross-validation
  $ shardprop evaluate --model iris-model --data iris.csv
  $ shardprop predict --model iris-model --data iris.csv --out predictions.csv
  $ shardprop inspect --model iris-model
  $ shardprop export --model iris-model --format onnx --out iris.onnx
  $ shardprop gradcheck --layers 8,8,1 --activation tanh
  $ shardprop bench --threads 1,2

Run "shardprop COMMAND --help" for the flags of a command.`,
    );
  for (const register of Object.values(COMMANDS)) {
    const cmd = register(program, runner);
    cmd
      .exitOverride()
      .configureOutput({ outputError: () => {} })
      // Every option's description states its own default, in words ("1 to 16, every core"); commander would
      // append the raw value a second time.
      .configureHelp({ optionDescription: (option) => option.description })
      .showSuggestionAfterError(true);
  }
  return program;
}

function describeCommanderError(error: CommanderError, argv: readonly string[]): string {
  const message = error.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
  const sub = argv.slice(2).find((a) => !a.startsWith('-'));
  const help = sub && Object.hasOwn(COMMANDS, sub) ? `shardprop ${sub} --help` : 'shardprop --help';
  return `${message} (see ${help})`;
}

/** Runs the program on `argv` (process.argv layout) and resolves with the exit code. */
export async function main(argv: readonly string[] = process.argv): Promise<number> {
  const debug = argv.includes('--debug');
  const json = argv.includes('--json');
  let exitCode = EXIT_OK;
  const program = buildProgram({ setExitCode: (code) => (exitCode = code) });
  const fail = (message: string, code: number, error?: unknown): number => {
    process.stderr.write(`shardprop: error: ${message}\n`);
    if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    if (json) process.stdout.write(`${JSON.stringify({ ok: false, error: message, exitCode: code }, null, 2)}\n`);
    return code;
  };
  try {
    if (argv.length <= 2) {
      program.outputHelp({ error: true });
      return EXIT_USAGE;
    }
    await program.parseAsync([...argv]);
    return exitCode;
  } catch (error) {
    if (error instanceof ExitCode) return error.exitCode;
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT_OK;
      if (error.code === 'commander.help') return EXIT_USAGE;
      return fail(describeCommanderError(error, argv), USAGE_CODES.has(error.code) ? EXIT_USAGE : EXIT_DATA, error);
    }
    if (error instanceof UserError || error instanceof TabularError)
      return fail(error.message, exitCodeOf(error), error);
    if (error instanceof Error && ['ModelSpecError', 'TrainingError', 'RangeError'].includes(error.name)) {
      return fail(oneLine(error), EXIT_DATA, error);
    }
    const hint = debug ? '' : ' (run with --debug for the stack trace)';
    return fail(`${oneLine(error)}${hint}`, EXIT_DATA, error);
  }
}
