// The recipe, end to end: strace kills `train` (SIGKILL) on entry to its k-th rename, unlink or fsync,
// that is between two steps of a save: every rename (one commits each save), and a sample of the unlinks and
// fsyncs (the in-process test in core fails every step of a save). The model directory must always load, and
// `--resume` must finish the run with the same weights and optimizer state, bit for bit, as a run that was
// never killed, leaving no leftovers. Skipped where strace is not installed.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli, readDataFile, tempDir, writeFixtures } from './helpers.js';

const hasStrace = spawnSync('strace', ['-V']).status === 0;
const dir = tempDir();
const files = writeFixtures(dir);
// Adam (optimizer state), validation and early stopping (best weights): every data file a save has.
const args = [
  'train',
  '--data',
  files.reg,
  '--target',
  'y',
  '--layers',
  '6,1',
  '--optimizer',
  'adam',
  '--lr',
  '0.01',
  '--batch-size',
  '16',
  '--epochs',
  '4',
  '--threads',
  '1',
  '--val-split',
  '0.25',
  '--early-stop',
  '10',
];

/** Runs train under strace, killed on entry to the k-th call of `syscall`; the count of calls when k is 0. */
function killedRun(out: string, syscall: string, k: number): { status: number | null; calls: number } {
  const trace =
    k === 0
      ? ['-e', `trace=${syscall}`]
      : ['-e', `trace=${syscall}`, '-e', `inject=${syscall}:signal=SIGKILL:when=${k}`];
  const log = join(dir, `${syscall}-${k}.strace`);
  // strace counts calls per thread: one libuv thread does all file work, so the k-th call is the k-th overall.
  const r = spawnSync('strace', ['-f', '-qq', '-o', log, ...trace, process.execPath, BIN, ...args, '--out', out], {
    encoding: 'utf8',
    env: { ...process.env, UV_THREADPOOL_SIZE: '1' },
  });
  const calls = readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => new RegExp(`\\b${syscall}\\(`).test(l)).length;
  return { status: r.status, calls };
}

describe.skipIf(!hasStrace)('SIGKILL between any two steps of a save (strace)', () => {
  it('the directory always loads, and --resume ends bit for bit like an uninterrupted run', async () => {
    const straight = join(dir, 'straight');
    expect((await cli([...args, '--out', straight])).code).toBe(0);
    const points: Array<[string, number]> = [];
    for (const syscall of ['rename', 'unlink', 'fsync']) {
      const { calls } = killedRun(join(dir, `count-${syscall}`), syscall, 0);
      expect(calls).toBeGreaterThan(3);
      // Every rename; every fourth unlink and every seventh fsync (a few of each save's; each run takes seconds).
      const [first, step] = syscall === 'rename' ? [1, 1] : syscall === 'unlink' ? [2, 4] : [2, 7];
      for (let k = first; k <= calls; k += step) points.push([syscall, k]);
    }
    for (const [syscall, k] of points) {
      const out = join(dir, `${syscall}-${k}`);
      const what = `killed at ${syscall} #${k}`;
      const run = killedRun(out, syscall, k);
      expect(run.status, `${what}: the run was not killed`).toBe(null);
      if (!existsSync(join(out, 'model.json'))) {
        // Killed before the first save committed: nothing to load yet, and a new run starts afresh.
        expect(readdirSync(out).filter((f) => f === 'model.json')).toEqual([]);
        continue;
      }
      const inspect = await cli(['inspect', '--model', out, '--json']);
      expect(inspect.stderr, what).toBe('');
      expect(inspect.code, what).toBe(0);
      const resumed = await cli(['train', '--resume', out]);
      expect(resumed.stderr, what).not.toContain('error');
      expect(resumed.code, what).toBe(0);
      for (const role of ['weights', 'optimizer', 'best-weights']) {
        expect(readDataFile(out, role).equals(readDataFile(straight, role)), `${what}: ${role}`).toBe(true);
      }
      // The resumed run's saves removed the killed run's leftovers (the stale lock included).
      const shape = (d: string) =>
        readdirSync(d)
          .map((f) => f.replace(/\.\d+\.bin$/, '.<n>.bin'))
          .sort();
      expect(shape(out), what).toEqual(shape(straight));
    }
  }, 600_000);
});
