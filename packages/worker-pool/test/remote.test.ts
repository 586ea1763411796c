import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerPool } from '../src/pool.js';
import { exposeOverChannel, exposeRemote, proxy, wrapRemote } from '../src/remote.js';

interface Api {
  add(a: number, b: number): number;
  count(n: number, onProgress: (i: number, sum: number) => void): Promise<number>;
  fail(message: string): never;
  exit(code: number): Promise<never>;
}

const workers: Worker[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
});

function startRemoteWorker() {
  const worker = new Worker(new URL('./fixtures/remote-worker.mjs', import.meta.url));
  workers.push(worker);
  return worker;
}

describe('remote (comlink over worker_threads)', () => {
  it('calls a method on an object exposed in a worker', async () => {
    const api = wrapRemote<Api>(startRemoteWorker());
    expect(await api.add(2, 3)).toBe(5);
  });

  it('passes a proxied progress callback that the worker calls several times', async () => {
    const api = wrapRemote<Api>(startRemoteWorker());
    const seen: [number, number][] = [];
    const total = await api.count(
      5,
      proxy((i: number, sum: number) => {
        seen.push([i, sum]);
      }),
    );
    expect(total).toBe(15);
    expect(seen).toEqual([
      [1, 1],
      [2, 3],
      [3, 6],
      [4, 10],
      [5, 15],
    ]);
  });

  it('rejects with the remote error message', async () => {
    const api = wrapRemote<Api>(startRemoteWorker());
    await expect(api.fail('no such thing')).rejects.toThrow('no such thing');
  });

  it('rejects pending calls instead of hanging when the worker exits', async () => {
    const api = wrapRemote<Api>(startRemoteWorker());
    await expect(api.exit(4)).rejects.toThrow('remote worker exited with code 4');
    await expect(api.add(1, 1)).rejects.toThrow('remote worker exited with code 4');
  });

  it('serves an object over a MessageChannel port passed into a pool task', async () => {
    const pool = new WorkerPool<{ kind: string; port: unknown; steps: number }, number>({
      filename: new URL('./fixtures/pool-tasks.mjs', import.meta.url),
      threads: 1,
    });
    try {
      const steps: number[] = [];
      const channel = exposeOverChannel({
        progress(step: number) {
          steps.push(step);
        },
      });
      await pool.run({ kind: 'progress', port: channel.port, steps: 4 }, { transferList: [channel.port] });
      channel.close();
      expect(steps).toEqual([1, 2, 3, 4]);
    } finally {
      await pool.close();
    }
  });

  it('validates endpoints', () => {
    expect(() => wrapRemote({} as never)).toThrow(/endpoint must be a Worker, MessagePort/);
    expect(() => exposeRemote({})).toThrow(/not running in a worker thread/);
    expect(() => exposeRemote(null as never, {} as never)).toThrow(/obj must be an object/);
  });
});
