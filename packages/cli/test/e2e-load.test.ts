/**
 * Reading data through the CLI: progress on a terminal (a pseudo-terminal made by util-linux `script`, skipped
 * where it is absent), --json still one document, and the one-line messages for files csv-parse 6 refuses with
 * codes the reader did not know (issue 12).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, cli, lcg, tempDir } from './helpers.js';

const dir = tempDir('shardprop-load-');
/** About 2 MB, above the bar's threshold: 30,000 rows of 8 numbers. */
const big = join(dir, 'big.csv');
const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

beforeAll(() => {
  const rnd = lcg(3);
  const lines = ['a,b,c,d,e,f,g,y'];
  for (let r = 0; r < 30000; r++) lines.push(Array.from({ length: 8 }, () => rnd().toFixed(6)).join(','));
  writeFileSync(big, `${lines.join('\n')}\n`);
});

describe('progress while reading', () => {
  it.skipIf(!hasScript)('shows a bar over the bytes with rows/s and ETA on a terminal', () => {
    const log = join(dir, 'tty.log');
    const command = `${process.execPath} ${BIN} train --data ${big} --epochs 0 --out ${join(dir, 'm-tty')}`;
    const run = spawnSync('script', ['-q', '-e', '-c', command, log], { encoding: 'utf8', timeout: 120_000 });
    expect(run.status).toBe(0);
    const screen = readFileSync(log, 'utf8');
    expect(screen).toMatch(
      new RegExp(
        `reading ${big.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} .* \\d+% \\| [\\d.]+/2\\.\\d MB \\| [\\d,-]+ rows/s \\| ETA`,
      ),
    );
    expect(screen).toContain('model written to');
  });

  it('keeps --json to one document on stdout, with no bar when stderr is not a terminal', async () => {
    const run = await cli(['train', '--data', big, '--epochs', '0', '--json', '--out', join(dir, 'm-json')]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).ok).toBe(true);
    expect(run.stderr).not.toContain('reading');
  });
});

describe('messages for files csv-parse refuses (issue 12)', () => {
  it.each([
    ['stray quote', 'a,b\n1,x"y\n', ':2:2: CSV syntax error: a quote character inside an unquoted field (after "x")'],
    [
      '2 MB field',
      `a,b\n1,${'x'.repeat(2_000_000)}"\n`,
      `:2:2: CSV syntax error: a quote character inside an unquoted field (after "${'x'.repeat(37)}...")`,
    ],
  ])('%s: one line with file:line:column, the value cut, no stack hint', async (_, text, message) => {
    const f = join(dir, `${_.replace(/ /g, '-')}.csv`);
    writeFileSync(f, text);
    const run = await cli(['train', '--data', f, '--epochs', '0', '--out', join(dir, 'm-bad')]);
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([
      `shardprop: error: ${f}${message}; enclose the whole field in quotes and double the quotes inside it`,
    ]);
  });

  it('asks for --categorical when a column starts with Infinity', async () => {
    const f = join(dir, 'inf.csv');
    writeFileSync(f, 'a,y\nInfinity,1\n2,0\n');
    const run = await cli(['train', '--data', f, '--epochs', '0', '--out', join(dir, 'm-inf')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${f}:2:1: column "a" starts with "Infinity"`);
    expect(run.stderr).toContain('pass --categorical a if the column holds categories');
  });
});
