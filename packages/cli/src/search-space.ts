/**
 * `tune`'s flags: every `train` flag, read by train's own parsers, where the settings a candidate may vary take
 * alternatives separated by `|` (`--layers "16,1|39,39,1" --lr "0.1|0.5"`). The grid is the product of the
 * alternatives; a candidate is the base settings with one alternative of each.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { TrainSettings } from './config.js';

/**
 * The settings a candidate may vary: the model, the optimizer, penalties, clipping and the schedules, not the data
 * or its encoding.
 */
export const TUNABLE = [
  'layers',
  'activation',
  'outputActivation',
  'dropout',
  'optimizer',
  'lr',
  'momentum',
  'beta1',
  'beta2',
  'epsilon',
  'weightDecay',
  'rho',
  'batchSize',
  'epochs',
  'seed',
  'shards',
  'l1',
  'l2',
  'clipNorm',
  'clipValue',
  'lrSchedule',
  'lrDecay',
  'lrStepEpochs',
  'lrMin',
  'lrPatience',
  'warmupEpochs',
] as const satisfies readonly (keyof TrainSettings)[];
export type TunableKey = (typeof TUNABLE)[number];

/** Train flags that have no meaning for a search (tune has its own --threads, --resume, --out and --json). */
// (--monitor too: a search's fits watch their split's validation loss, its refit the training loss. A weight column
// would have to follow every fold's rows; class weights do apply to every fit of a search.)
const NOT_FOR_TUNE = new Set([
  'init',
  'resume',
  'unknown',
  'threads',
  'out',
  'json',
  'config',
  'monitor',
  'weightColumn',
]);

/** A flag's alternatives, each already parsed by the flag's own parser. */
export class Alternatives {
  constructor(
    readonly values: readonly unknown[],
    /** The alternatives as the user typed them, for display and tune.csv. */
    readonly texts: readonly string[],
  ) {}
}

/** The search space of the given flags: the alternatives of each tunable flag, in flag order. */
export type CliSpace = Partial<Record<TunableKey, Alternatives>>;

/**
 * Wraps a train flag's parser so that it reads `a|b|c`: each alternative through the flag's own parser (one value
 * gives that value, as for `train`), and a list only for a tunable setting. Mistakes name the alternative.
 */
export function alternativesParser(
  key: string,
  flag: string,
  parse: ((value: string, previous: unknown) => unknown) | undefined,
): (value: string) => unknown {
  return (value: string) => {
    const texts = value.split('|').map((s) => s.trim());
    if (texts.length === 1) return parse ? parse(value, undefined) : value;
    if (!(TUNABLE as readonly string[]).includes(key)) {
      throw new InvalidArgumentError(`${flag} takes one value, not alternatives separated by |`);
    }
    const seen = new Set<string>();
    const values = texts.map((text, i) => {
      if (text === '') throw new InvalidArgumentError(`alternative ${i + 1} is empty`);
      if (seen.has(text)) throw new InvalidArgumentError(`"${text}" is listed twice`);
      seen.add(text);
      try {
        return parse ? parse(text, undefined) : text;
      } catch (error) {
        throw new InvalidArgumentError(`alternative "${text}": ${(error as Error).message}`);
      }
    });
    return new Alternatives(values, texts);
  };
}

/**
 * Copies every option of `train` (its flags, descriptions and parsers, whatever they are today) onto `tune`,
 * the parsers wrapped by {@link alternativesParser}; leaves out the flags a search has no use for.
 */
export function addTrainOptions(tune: Command, train: Command): void {
  for (const option of train.options) {
    const key = option.attributeName();
    if (NOT_FOR_TUNE.has(key)) continue;
    const tunable = (TUNABLE as readonly string[]).includes(key);
    const copy = new Option(
      option.flags,
      tunable ? `${option.description} (alternatives: a|b|...)` : option.description,
    );
    if (option.required || option.optional) {
      copy.argParser(alternativesParser(key, option.long ?? option.flags, option.parseArg));
    }
    tune.addOption(copy);
  }
}

/** Splits parsed flags into the base settings and the search space. */
export function splitSpace(settings: Record<string, unknown>): { base: TrainSettings; space: CliSpace } {
  const base: Record<string, unknown> = {};
  const space: CliSpace = {};
  for (const [key, value] of Object.entries(settings)) {
    if (value instanceof Alternatives) space[key as TunableKey] = value;
    else base[key] = value;
  }
  return { base: base as TrainSettings, space };
}

/** A setting as text, the way its flag takes it (layers as `16,1`). */
export function settingText(value: unknown): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}
