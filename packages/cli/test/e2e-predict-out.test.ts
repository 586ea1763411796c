// predict --out replaces the file atomically: a write that fails midway (here: the file-size limit, as a full
// disk would) leaves the previous file whole, and the new file arrives by a rename (a hard link to the old
// file keeps the old content; a write in place would change both).
import { spawn } from 'node:child_process';
import { linkSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, cli, flags, type RunResult, tempDir, writeFixtures } from './helpers.js';

const dir = tempDir();
const files = writeFixtures(dir);
const model = join(dir, 'model');
const OLD = 'the previous predictions\n';

beforeAll(async () => {
  const r = await cli(['train', ...flags({ data: files.reg, target: 'y', layers: '4,1', epochs: 1, out: model })]);
  expect(r.code).toBe(0);
});

/** Runs predict with the file-size limit at 1 KiB (`ulimit -f 1`): a longer write fails with EFBIG. */
function predictLimited(out: string): Promise<RunResult> {
  const script = `ulimit -f 1 && exec "$0" "$@"`;
  const child = spawn(
    'bash',
    ['-c', script, process.execPath, BIN, 'predict', '--model', model, '--data', files.reg, '--out', out],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

describe('predict --out', () => {
  it('replaces the file by a rename: a hard link to the old file keeps the old content', async () => {
    const folder = join(dir, 'link');
    mkdirSync(folder);
    const out = join(folder, 'predictions.csv');
    writeFileSync(out, OLD);
    linkSync(out, join(folder, 'old.csv'));
    const r = await cli(['predict', '--model', model, '--data', files.reg, '--out', out]);
    expect(r.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/^predicted_y\n/);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(161);
    expect(readFileSync(join(folder, 'old.csv'), 'utf8')).toBe(OLD);
    expect(readdirSync(folder).sort()).toEqual(['old.csv', 'predictions.csv']);
  });

  it('a write that fails midway (file too large) leaves the previous file whole and no temporary file', async () => {
    const folder = join(dir, 'full');
    mkdirSync(folder);
    const out = join(folder, 'predictions.csv');
    writeFileSync(out, OLD);
    const r = await predictLimited(out);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `shardprop: error: --out ${out}: cannot write (EFBIG: file too large, write; the previous file, if any, is unchanged)\n`,
    );
    expect(readFileSync(out, 'utf8')).toBe(OLD);
    expect(readdirSync(folder)).toEqual(['predictions.csv']);
  });

  it('names a missing directory, and refuses a directory as the file', async () => {
    const missing = await cli(['predict', '--model', model, '--data', files.reg, '--out', join(dir, 'nope', 'p.csv')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      `shardprop: error: --out ${join(dir, 'nope', 'p.csv')}: cannot write (the directory ${join(dir, 'nope')} does not exist)\n`,
    );
    const folder = await cli(['predict', '--model', model, '--data', files.reg, '--out', dir]);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toBe(`shardprop: error: --out ${dir} is a directory; name the file to write\n`);
  });
});
