import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BARRIER_WORDS, Barrier } from '../src/barrier.js';
import { PoolClosedError, WorkerPool, WorkerTaskError } from '../src/pool.js';

const tasksUrl = new URL('./fixtures/pool-tasks.mjs', import.meta.url);

// biome-ignore lint/suspicious/noExplicitAny: fixture tasks are plain objects of several shapes.
type AnyTask = Record<string, any>;

const pools: WorkerPool<AnyTask, unknown>[] = [];
function newPool(threads: number) {
  const pool = new WorkerPool<AnyTask, unknown>({ filename: tasksUrl, threads });
  pools.push(pool);
  return pool;
}
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

function newBarrier(participants: number) {
  const control = new SharedArrayBuffer(4 * BARRIER_WORDS);
  return { control, barrier: new Barrier(new Int32Array(control), { participants }) };
}

function rendezvousTasks(threads: number) {
  const counter = new SharedArrayBuffer(8);
  return (index: number) => ({ kind: 'rendezvous', counter, participants: threads, timeoutMs: 10_000, index });
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the promise to reject');
}

describe('WorkerPool options', () => {
  it('rejects bad options with messages naming the option', () => {
    const make = (o: object) => () => new WorkerPool(o as never);
    expect(make({ filename: tasksUrl, threads: 0 })).toThrow('options.threads must be a positive integer, got 0');
    expect(make({ filename: tasksUrl, threads: 1.5 })).toThrow(/options.threads must be a positive integer/);
    expect(make({ filename: tasksUrl })).toThrow(/options.threads must be a positive integer, got undefined/);
    expect(make({ filename: './fixtures/pool-tasks.mjs', threads: 1 })).toThrow(
      'options.filename must be an absolute path or a file: URL, got "./fixtures/pool-tasks.mjs"',
    );
    expect(make({ filename: new URL('https://example.com/w.js'), threads: 1 })).toThrow(/must be a file: URL/);
    expect(make({ filename: fileURLToPath(new URL('./missing.mjs', tasksUrl)), threads: 1 })).toThrow(
      /options.filename: no such file ".*missing.mjs"/,
    );
    expect(make({ threads: 1 })).toThrow(/options.filename must be/);
    expect(make({ filename: tasksUrl, threads: 1, name: '' })).toThrow('options.name must be a non-empty string');
  });
});

describe('WorkerPool', () => {
  it('runs ordinary tasks and reports its size', async () => {
    const pool = newPool(2);
    expect(pool.size).toBe(2);
    const results = await Promise.all([1, 2, 3, 4, 5].map((value) => pool.run({ kind: 'echo', value })));
    expect(results.map((r) => (r as { value: number }).value)).toEqual([1, 2, 3, 4, 5]);
    expect(pool.pending).toBe(0);
  });

  it('rejects run() with the worker error message and stack', async () => {
    const pool = newPool(1);
    const error = await rejection(pool.run({ kind: 'throw', message: 'bad input 42' }));
    expect(error).toBeInstanceOf(WorkerTaskError);
    expect(error.message).toBe('worker task failed: bad input 42');
    expect(error.stack).toContain('pool-tasks.mjs');
    expect((error.cause as Error).name).toBe('TypeError');
    // The pool is still usable.
    expect(await pool.run({ kind: 'echo', value: 'ok' })).toMatchObject({ value: 'ok' });
  });

  it('runOnAll puts one task on each of N distinct threads at the same time, run after run', async () => {
    const threads = 3;
    const pool = newPool(threads);
    for (let run = 0; run < 3; run++) {
      const ids = await pool.runOnAll(rendezvousTasks(threads));
      expect(ids).toHaveLength(threads);
      expect(new Set(ids).size).toBe(threads);
    }
  });

  it('runOnAll on 12 threads gives no MaxListenersExceededWarning (no signal shared by every task)', async () => {
    const threads = 12;
    const pool = newPool(threads);
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      for (let run = 0; run < 2; run++) expect(await pool.runOnAll(rendezvousTasks(threads))).toHaveLength(threads);
      // process.emitWarning delivers on a later tick.
      await new Promise((resolve) => setTimeout(resolve, 10));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.map((w) => w.name)).not.toContain('MaxListenersExceededWarning');
  }, 30_000);

  it('runOnAll returns results in index order and runs a barrier loop to completion', async () => {
    const threads = 2;
    const pool = newPool(threads);
    const { control, barrier } = newBarrier(threads);
    const ids = await pool.runOnAll((index) => ({
      kind: 'barrier-loop',
      control,
      participants: threads,
      steps: 500,
      index,
    }));
    expect(new Set(ids).size).toBe(threads);
    expect(barrier.generation).toBe(500);
  });

  it('rejects runOnAll with the throwing task error and calls onFailure so the others leave the barrier', async () => {
    const threads = 3;
    const pool = newPool(threads);
    const { control, barrier } = newBarrier(threads);
    const failures: Error[] = [];
    const error = await rejection(
      pool.runOnAll(
        (index) => ({
          kind: 'barrier-loop',
          control,
          participants: threads,
          steps: 1_000,
          index,
          failAt: { index: 1, step: 20 },
          failHow: 'throw',
        }),
        {
          onFailure: (e) => {
            failures.push(e);
            barrier.abort(5);
          },
        },
      ),
    );
    expect(error).toBeInstanceOf(WorkerTaskError);
    expect((error as WorkerTaskError).index).toBe(1);
    expect(error.message).toBe('worker task 1 failed: task 1 failed at step 20');
    expect(error.stack).toContain('pool-tasks.mjs');
    expect(failures).toEqual([error]);
    expect(pool.pending).toBe(0);
    // The pool is immediately usable for another full run.
    barrier.reset();
    const ids = await pool.runOnAll(rendezvousTasks(threads));
    expect(new Set(ids).size).toBe(threads);
  });

  it('rejects runOnAll when a worker exits mid-task, and replaces the dead thread', async () => {
    const threads = 2;
    const pool = newPool(threads);
    const { control, barrier } = newBarrier(threads);
    let calls = 0;
    const error = await rejection(
      pool.runOnAll(
        (index) => ({
          kind: 'barrier-loop',
          control,
          participants: threads,
          steps: 1_000,
          index,
          failAt: { index: 0, step: 50 },
          failHow: 'exit',
        }),
        {
          onFailure: () => {
            calls++;
            barrier.abort(1);
          },
        },
      ),
    );
    expect(error.message).toBe('worker task 0 failed: worker exited with code: 3');
    expect((error as WorkerTaskError).index).toBe(0);
    expect(calls).toBe(1);
    const ids = await pool.runOnAll(rendezvousTasks(threads));
    expect(new Set(ids).size).toBe(threads);
  });

  it('terminates threads that ignore the failure after the grace period, so nothing hangs', async () => {
    const threads = 2;
    const pool = newPool(threads);
    const { control } = newBarrier(threads);
    // No onFailure: the survivor stays in its barrier wait (60 s timeout) until the pool terminates it.
    const error = await rejection(
      pool.runOnAll(
        (index) => ({
          kind: 'barrier-loop',
          control,
          participants: threads,
          steps: 1_000,
          index,
          failAt: { index: 1, step: 3 },
          failHow: 'exit',
        }),
        { graceMs: 200 },
      ),
    );
    expect(error.message).toBe('worker task 1 failed: worker exited with code: 3');
    expect(pool.pending).toBe(0);
    expect(await pool.runOnAll(rendezvousTasks(threads))).toHaveLength(threads);
  });

  it('fails the run when its signal aborts, terminating a thread stuck in a busy loop', async () => {
    const threads = 2;
    const pool = newPool(threads);
    const { control, barrier } = newBarrier(threads);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('user cancelled')), 100);
    let failure: Error | undefined;
    const error = await rejection(
      pool.runOnAll(
        (index) => ({
          kind: 'barrier-loop',
          control,
          participants: threads,
          steps: 1_000,
          index,
          failAt: { index: 0, step: 0 },
          failHow: 'spin',
        }),
        {
          signal: controller.signal,
          graceMs: 100,
          onFailure: (e) => {
            failure = e;
            barrier.abort(3);
          },
        },
      ),
    );
    expect(error.message).toBe('user cancelled');
    expect(failure).toBe(error);
    expect(pool.pending).toBe(0);
    expect(await pool.runOnAll(rendezvousTasks(threads))).toHaveLength(threads);
  });

  it('refuses runOnAll while other tasks are pending, and does not start any of its tasks', async () => {
    const pool = newPool(2);
    const hanging = pool.run({ kind: 'hang' }).catch((e: Error) => e);
    let built = 0;
    await expect(
      pool.runOnAll(() => {
        built++;
        return { kind: 'echo' };
      }),
    ).rejects.toThrow('runOnAll needs every worker idle, but 1 task(s) are still pending');
    expect(built).toBe(0);
    await pool.close();
    expect(((await hanging) as Error).message).toMatch(/Terminating worker thread/);
  });

  it('close() terminates running tasks, is idempotent, and makes later calls fail', async () => {
    const pool = newPool(2);
    const running = pool.run({ kind: 'hang' }).catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 50));
    const closing = pool.close();
    expect(pool.close()).toBe(closing);
    await closing;
    expect(((await running) as Error).message).toMatch(/Terminating worker thread/);
    expect(pool.closed).toBe(true);
    await expect(pool.run({ kind: 'echo' })).rejects.toBeInstanceOf(PoolClosedError);
    await expect(pool.runOnAll(() => ({ kind: 'echo' }))).rejects.toThrow('WorkerPool is closed');
  });
});

describe('WorkerPool process lifetime', () => {
  function runChild(mode: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const script = fileURLToPath(new URL('./fixtures/pool-child.mjs', import.meta.url));
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [script, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      // Generous: the child only has to exit at all; a leaked handle keeps it alive forever.
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`child process did not exit on its own after close()\n${stdout}\n${stderr}`));
      }, 15_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  }

  it.each(['throw', 'exit'])('lets the process exit after close(), even after a failed run (%s)', async (mode) => {
    const { code, stdout, stderr } = await runChild(mode);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { ids: number[]; failed: string };
    expect(new Set(report.ids).size).toBe(2);
    expect(report.failed).toBe(
      mode === 'throw'
        ? 'worker task 1 failed: task 1 failed at step 10'
        : 'worker task 1 failed: worker exited with code: 3',
    );
  });
});
