/**
 * What the page adds to @shardprop/tabular (whose tests cover CSV syntax, the CLI's messages and the encoding):
 * the training problem it prepares from a table and a target, with the page's advice in messages, the bundled
 * datasets, and the CSV it writes for the prediction box.
 */
import { parseCsvText } from '@shardprop/tabular';
import { describe, expect, it } from 'vitest';
import { irisTable, seedTable, tableHead } from '../src/datasets.js';
import { prepareProblem } from '../src/encoding.js';

describe("the page's problem and datasets", () => {
  it('missing values: an error naming the cell, or rows left out, or the mean filled in', () => {
    const t = parseCsvText('a,b,y\n1,2,0.5\n3,,0.25\n5,6,0.75\n', 'm.csv');
    expect(() => prepareProblem(t, 'y', 'error')).toThrow(
      'm.csv:3:2: missing value in column "b"; choose "leave the row out" or "fill in the mean" under Missing values',
    );
    expect(prepareProblem(t, 'y', 'drop').dataset.rows).toBe(2);
    const imputed = prepareProblem(t, 'y', 'impute');
    expect(imputed.dataset.rows).toBe(3);
    expect(imputed.dataset.x[3]).toBe(0); // b of row 2: the mean, standardised
    const noTarget = parseCsvText('a,y\n1,0.5\n2,\n', 'n.csv');
    expect(() => prepareProblem(noTarget, 'y', 'error')).toThrow(
      'n.csv:3:2: missing value in column "y"; choose "leave the row out" under Missing values',
    );
    expect(() => prepareProblem(noTarget, 'z', 'error')).toThrow('n.csv: no column named "z" (columns: a, y)');
  });

  it('makes the CLI choices: the seed problem is a sigmoid regression, iris a softmax classification', () => {
    const seed = prepareProblem(seedTable(200), 'y', 'error');
    expect(seed).toMatchObject({ loss: 'meanSquaredError', outputUnits: 1, outputActivation: 'sigmoid' });
    expect(seed.dataset).toMatchObject({ rows: 200, features: 39, outputs: 1 });
    const iris = prepareProblem(irisTable(), 'species', 'error');
    expect(iris).toMatchObject({ loss: 'categoricalCrossentropy', outputUnits: 3, outputActivation: 'softmax' });
    expect(iris.encoding.target).toEqual({
      task: 'multiclass',
      column: 'species',
      classes: ['setosa', 'versicolor', 'virginica'],
      numeric: false,
    });
    // Shuffled once, so a validation split from the end sees every species.
    const tail = iris.dataset.y.subarray(120 * 3);
    for (let k = 0; k < 3; k++) expect(tail.filter((_, i) => i % 3 === k && tail[i] === 1).length).toBeGreaterThan(0);
    const binary = prepareProblem(parseCsvText('s,c,label\n1,red,yes\n2,blue,no\n', 'b.csv'), 'label', 'error');
    expect(binary).toMatchObject({ loss: 'binaryCrossentropy', outputUnits: 1, outputActivation: 'sigmoid' });
    expect(binary.dataset.features).toBe(3); // s, then c one-hot over (blue, red)
  });

  it('writes the first rows of a table back as CSV for the prediction box', () => {
    const t = parseCsvText('a,"b,c"\n1,"x ""y"""\n', 'f.csv');
    expect(tableHead(t, ['a', 'b,c'], [0])).toBe('a,"b,c"\n1,"x ""y"""');
  });
});
