// The recipe, end to end: strace kills `train` (SIGKILL) on entry to its k-th rename, unlink or fsync,
// that is between two steps of a save: every rename (one commits each save), and a sample of the unlinks and
// fsyncs (the in-process test in core fails every step of a save). The model directory must always load, and
// `--resume` must finish the run with the same weights and optimizer state, bit for bit, as a run that was
// never killed, leaving no leftovers. Skipped where strace is not installed.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli, flags, readDataFile, tempDir, writeFixtures } from './helpers.js';

const hasStrace = spawnSync('strace', ['-V']).status === 0;
const dir = tempDir();
const files = writeFixtures(dir);
// Adam (optimizer state), validation and early stopping (best weights): every data file a save has.
const args = [
  'train',
  ...flags({
    data: files.reg,
    target: 'y',
    layers: '6,1',
    optimizer: 'adam',
    lr: 0.01,
    batchSize: 16,
    epochs: 4,
    threads: 1,
    valSplit: 0.25,
    earlyStop: 10,
  }),
];

/** Runs train under strace, killed on entry to the k-th call of `syscall` (k = 0: not killed); its exit status. */
function killedRun(out: string, syscall: string, k: number): Promise<{ status: number | null; calls: number }> {
  const inject = k === 0 ? [] : ['-e', `inject=${syscall}:signal=SIGKILL:when=${k}`];
  const log = join(dir, `${syscall}-${k}.strace`);
  const strace = ['-f', '-qq', '-o', log, '-e', `trace=${syscall}`, ...inject];
  // strace counts calls per thread: one libuv thread does all file work, so the k-th call is the k-th overall.
  const child = spawn('strace', [...strace, process.execPath, BIN, ...args, '--out', out], {
    stdio: 'ignore',
    env: { ...process.env, UV_THREADPOOL_SIZE: '1' },
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => {
      // The calls of the thread that makes the most (the libuv thread; the main thread removes the lock).
      const perThread = new Map<string, number>();
      for (const line of readFileSync(log, 'utf8').split('\n')) {
        if (new RegExp(`\\b${syscall}\\(`).test(line)) {
          const tid = line.split(' ')[0];
          perThread.set(tid, (perThread.get(tid) ?? 0) + 1);
        }
      }
      const calls = Math.max(0, ...perThread.values());
      resolve({ status, calls });
    });
  });
}

describe.skipIf(!hasStrace)('SIGKILL between any two steps of a save (strace)', () => {
  it('the directory always loads, and --resume ends bit for bit like an uninterrupted run', async () => {
    const straight = join(dir, 'straight');
    expect((await cli([...args, '--out', straight])).code).toBe(0);
    const points: Array<[string, number]> = [];
    for (const syscall of ['rename', 'unlink', 'fsync']) {
      const { calls } = await killedRun(join(dir, `count-${syscall}`), syscall, 0);
      if (syscall === 'rename') expect(calls).toBeGreaterThan(3);
      // Every rename; every fifth unlink and every tenth fsync (a few of each save's; each run takes seconds).
      const [first, step] = syscall === 'rename' ? [1, 1] : syscall === 'unlink' ? [2, 5] : [2, 10];
      for (let k = first; k <= calls; k += step) points.push([syscall, k]);
    }
    const check = async ([syscall, k]: [string, number]): Promise<void> => {
      const out = join(dir, `${syscall}-${k}`);
      const what = `killed at ${syscall} #${k}`;
      const run = await killedRun(out, syscall, k);
      expect(run.status, `${what}: the run was not killed`).toBe(null);
      if (!existsSync(join(out, 'model.json'))) return; // killed before the first save committed: nothing to load
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
    };
    // Three at a time: most of a run is process start-up.
    const queue = points.slice();
    await Promise.all(
      [1, 2, 3].map(async () => {
        for (let p = queue.shift(); p; p = queue.shift()) await check(p);
      }),
    );
  }, 600_000);
});
