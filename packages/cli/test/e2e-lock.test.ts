// Two train runs on one model directory: the second stops at once, naming the first; the lock goes on every
// way a run ends (done, error, Ctrl-C), and a lock left by a killed run (SIGKILL, SIGTERM) is taken over.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, cli, tempDir, writeFixtures } from './helpers.js';

const dir = tempDir();
const files = writeFixtures(dir);
const args = ['train', '--data', files.reg, '--target', 'y', '--layers', '6,1', '--batch-size', '8', '--threads', '1'];
const IN_USE =
  /^shardprop: error: (.+) is in use by pid (\d+) \(shardprop train, started \d\d:\d\d:\d\d\); wait for it or pick another --out\n$/;

/** The long runs still going: a failed test must not leave them training. */
const running = new Set<ChildProcess>();
afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
});

/** A long training run into `out`, once it holds the lock and has saved its first checkpoint. */
async function startLongRun(out: string): Promise<{ child: ChildProcess; done: Promise<number | null> }> {
  const child = spawn(process.execPath, [BIN, ...args, '--epochs', '100000', '--out', out], { stdio: 'ignore' });
  running.add(child);
  const done = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  for (let i = 0; i < 3000 && !existsSync(join(out, 'model.json')); i++) await new Promise((r) => setTimeout(r, 10));
  expect(existsSync(join(out, '.shardprop.lock'))).toBe(true);
  return { child, done };
}

/** A pid no process has now. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => child.on('close', r));
  return child.pid as number;
}

describe('one run per model directory', () => {
  it('a second run on the same --out or --resume directory fails at once, naming the first', async () => {
    const out = join(dir, 'busy');
    const first = await startLongRun(out);
    try {
      const second = await cli([...args, '--epochs', '2', '--out', out]);
      expect(second.code).toBe(1);
      const m = IN_USE.exec(second.stderr);
      expect(m, second.stderr).not.toBeNull();
      expect(m?.[1]).toBe(out);
      expect(Number(m?.[2])).toBe(first.child.pid);
      const resumed = await cli(['train', '--resume', out]);
      expect(resumed.code).toBe(1);
      expect(resumed.stderr).toMatch(IN_USE);
      // The first run's checkpoint is untouched by them, and readers are not blocked.
      expect((await cli(['inspect', '--model', out])).code).toBe(0);
    } finally {
      first.child.kill('SIGINT');
    }
    expect(await first.done).toBe(130);
    // Ctrl-C released it.
    expect(existsSync(join(out, '.shardprop.lock'))).toBe(false);
    expect((await cli(['train', '--resume', out, '--epochs', String(nextEpoch(out) + 1)])).code).toBe(0);
    expect(existsSync(join(out, '.shardprop.lock'))).toBe(false);
  }, 60_000);

  it('is released after an error, and a directory the run created for nothing is removed', async () => {
    const out = join(dir, 'error');
    const r = await cli([...args, '--epochs', '1', '--target', 'nope', '--out', out]);
    expect(r.code).toBe(2);
    expect(existsSync(out)).toBe(false);
    mkdirSync(out);
    const missing = await cli(['train', '--data', join(dir, 'missing.csv'), '--out', out]);
    expect(missing.code).toBe(1);
    expect(existsSync(out)).toBe(true);
    expect(existsSync(join(out, '.shardprop.lock'))).toBe(false);
    const file = await cli([...args, '--epochs', '1', '--out', files.reg]);
    expect(file.code).toBe(1);
    expect(file.stderr).toBe(`shardprop: error: ${files.reg} is a file, not a model directory; pick another --out\n`);
  });

  it.each(['SIGKILL', 'SIGTERM'] as const)(
    'a lock left by a run ended by %s is taken over',
    async (signal) => {
      const out = join(dir, `killed-${signal}`);
      const first = await startLongRun(out);
      first.child.kill(signal);
      await first.done;
      const next = await cli(['train', '--resume', out, '--epochs', String(nextEpoch(out) + 1)]);
      expect(next.stderr).not.toContain('error');
      expect(next.code).toBe(0);
      expect(existsSync(join(out, '.shardprop.lock'))).toBe(false);
    },
    60_000,
  );

  it('takes over a stale lock file of a dead process, not a live one', async () => {
    const out = join(dir, 'stale');
    mkdirSync(out);
    const lock = join(out, '.shardprop.lock');
    const owner = { hostname: hostname(), command: 'shardprop train', started: new Date().toISOString() };
    writeFileSync(lock, JSON.stringify({ ...owner, pid: await deadPid() }));
    expect((await cli([...args, '--epochs', '1', '--out', out])).code).toBe(0);
    expect(existsSync(lock)).toBe(false);
    // A live pid (this test's) holds it: refused.
    writeFileSync(lock, JSON.stringify({ ...owner, pid: process.pid }));
    const r = await cli([...args, '--epochs', '1', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`is in use by pid ${process.pid} (shardprop train, started `);
    expect(JSON.parse(readFileSync(lock, 'utf8')).pid).toBe(process.pid);
  });
});

function nextEpoch(out: string): number {
  return JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')).shardprop.run.nextEpoch;
}
