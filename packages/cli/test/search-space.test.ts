// tune's flags: train's options copied with their own parsers, `a|b` read into alternatives only for the settings
// a candidate may vary, and each mistake named.
import { Command, InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerTrain } from '../src/commands/train.js';
import { parseIntList, parsePositive } from '../src/config.js';
import { Alternatives, addTrainOptions, alternativesParser, splitSpace, TUNABLE } from '../src/search-space.js';

const runner = { setExitCode: () => {} };

describe('alternativesParser', () => {
  const lr = alternativesParser('lr', '--lr', parsePositive);
  const layers = alternativesParser('layers', '--layers', parseIntList(1));

  it('reads one value as train does, and a|b|c as alternatives parsed by the same parser', () => {
    expect(lr('0.5')).toBe(0.5);
    const alt = layers('16,1 | 39,39,1') as Alternatives;
    expect(alt).toBeInstanceOf(Alternatives);
    expect(alt.values).toEqual([
      [16, 1],
      [39, 39, 1],
    ]);
    expect(alt.texts).toEqual(['16,1', '39,39,1']);
  });

  it.each([
    ['0.1|x', /alternative "x": expected a positive number/],
    ['0.1||0.2', /alternative 2 is empty/],
    ['0.1|0.1', /"0.1" is listed twice/],
    ['x', /expected a positive number/],
  ])('%s is an InvalidArgumentError naming the alternative', (value, message) => {
    expect(() => lr(value)).toThrow(InvalidArgumentError);
    expect(() => lr(value)).toThrow(message);
  });

  it('refuses alternatives for a setting that cannot vary', () => {
    const data = alternativesParser('data', '--data', undefined);
    expect(data('a.csv')).toBe('a.csv');
    expect(() => data('a.csv|b.csv')).toThrow(/--data takes one value, not alternatives/);
  });
});

describe('addTrainOptions', () => {
  it("copies every train flag but those a search has no use for, with train's parsers", () => {
    const train = registerTrain(new Command(), runner);
    const tune = new Command('tune');
    addTrainOptions(tune, train);
    const names = tune.options.map((o) => o.long);
    const trainNames = train.options.map((o) => o.long);
    const gone = [
      '--init',
      '--resume',
      '--threads',
      '--out',
      '--json',
      '--config',
      '--unknown',
      '--monitor',
      '--weight-column',
    ];
    for (const flag of gone) expect(names).not.toContain(flag);
    expect(names).toEqual(trainNames.filter((n) => names.includes(n)));
    expect(names.length).toBe(trainNames.length - gone.length);
    for (const key of TUNABLE) expect(tune.options.some((o) => o.attributeName() === key)).toBe(true);
    tune.exitOverride().configureOutput({ writeErr: () => {} });
    tune.parse(['--batch-size', '16|64', '--epochs', '5', '--no-shuffle'], { from: 'user' });
    const { base, space } = splitSpace(tune.opts());
    expect(base).toMatchObject({ epochs: 5, shuffle: false });
    expect(space.batchSize?.values).toEqual([16, 64]);
    expect(() => tune.parse(['--batch-size', '16|0'], { from: 'user' })).toThrow(
      /alternative "0": expected an integer >= 1/,
    );
  });
});
