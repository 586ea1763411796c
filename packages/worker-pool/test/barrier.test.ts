import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import {
  BARRIER_TIMEOUT_CODE,
  BARRIER_WORDS,
  Barrier,
  BarrierAbortedError,
  BarrierTimeoutError,
} from '../src/barrier.js';

const workerUrl = new URL('./fixtures/barrier-worker.mjs', import.meta.url);

interface WorkerReport {
  ok: boolean;
  name?: string;
  message?: string;
  code?: number;
  generation?: number;
  checks?: number;
}

/** Starts one barrier-worker thread and resolves with its report once it has exited. */
function startWorker(workerData: Record<string, unknown>): Promise<WorkerReport> {
  const worker = new Worker(workerUrl, { workerData });
  return new Promise((resolve, reject) => {
    let report: WorkerReport | undefined;
    worker.on('message', (m: WorkerReport) => {
      report = m;
    });
    worker.on('error', reject);
    worker.on('exit', (code) => (report ? resolve(report) : reject(new Error(`worker exited with ${code}`))));
  });
}

function newControl(): SharedArrayBuffer {
  return new SharedArrayBuffer(4 * BARRIER_WORDS);
}

async function hammer(participants: number, iterations: number, spin?: number) {
  const control = newControl();
  const phases = new SharedArrayBuffer(4 * participants);
  const reports = await Promise.all(
    Array.from({ length: participants }, (_, index) =>
      startWorker({ mode: 'hammer', control, phases, index, participants, iterations, spin, timeoutMs: 20_000 }),
    ),
  );
  return { reports, barrier: new Barrier(new Int32Array(control), { participants }) };
}

describe('Barrier', () => {
  it('keeps 4 sleeping worker threads in lockstep for 10,000 generations (main thread not taking part)', async () => {
    const iterations = 5_000;
    const { reports, barrier } = await hammer(4, iterations);
    for (const r of reports) expect(r).toEqual({ ok: true, checks: 4 * iterations, generation: expect.any(Number) });
    // Each iteration has two waits; every participant leaves its last wait after the final generation.
    expect(barrier.generation).toBe(2 * iterations);
    expect(barrier.aborted).toBe(false);
  });

  it('keeps 2 spinning worker threads in lockstep for 10,000 generations', async () => {
    const iterations = 5_000;
    const { reports, barrier } = await hammer(2, iterations, 50_000);
    for (const r of reports) expect(r.ok, r.message).toBe(true);
    expect(barrier.generation).toBe(2 * iterations);
  });

  it('defaults to spinning only when participants fit on the cores', () => {
    const i32 = new Int32Array(newControl());
    expect(new Barrier(i32, { participants: 2, cores: 2 }).spin).toBeGreaterThan(0);
    expect(new Barrier(i32, { participants: 3, cores: 2 }).spin).toBe(0);
    expect(new Barrier(i32, { participants: 3, cores: 2, spin: 10 }).spin).toBe(10);
  });

  it('passes at once with a single participant', () => {
    const barrier = new Barrier(new Int32Array(newControl()), { participants: 1 });
    for (let i = 0; i < 10; i++) barrier.wait();
    expect(barrier.generation).toBe(10);
  });

  it('lives at any word index without touching its neighbours', () => {
    const i32 = new Int32Array(new SharedArrayBuffer(4 * 8));
    i32.fill(99);
    i32.fill(0, 2, 2 + BARRIER_WORDS);
    const barrier = new Barrier(i32, { participants: 1, index: 2 });
    barrier.wait();
    expect(Array.from(i32)).toEqual([99, 99, 0, 1, 0, 99, 99, 99]);
  });

  it('times out when a participant never arrives, naming the generation, and stays failed until reset', () => {
    const i32 = new Int32Array(newControl());
    const barrier = new Barrier(i32, { participants: 2, timeoutMs: 30 });
    let error: unknown;
    try {
      barrier.wait();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BarrierTimeoutError);
    expect((error as BarrierTimeoutError).generation).toBe(0);
    expect((error as Error).message).toBe('barrier generation 0 did not complete within 30 ms');
    expect(barrier.abortCode).toBe(BARRIER_TIMEOUT_CODE);
    expect(() => barrier.wait()).toThrow(BarrierTimeoutError);
    barrier.reset();
    const solo = new Barrier(i32, { participants: 1 });
    expect(() => solo.wait()).not.toThrow();
  });

  it('releases the other waiters with a timeout error as soon as one participant times out', async () => {
    const control = newControl();
    const reports = await Promise.all([
      startWorker({ mode: 'once', control, index: 0, participants: 3, timeoutMs: 100 }),
      startWorker({ mode: 'once', control, index: 1, participants: 3, timeoutMs: 60_000 }),
    ]);
    for (const r of reports) {
      expect(r).toMatchObject({ ok: false, name: 'BarrierTimeoutError', generation: 0 });
      expect(r.message).toMatch(/barrier generation 0 did not complete/);
    }
  });

  it('abort() from a non-participant releases every waiter with the abort code', async () => {
    const control = newControl();
    const i32 = new Int32Array(control);
    const barrier = new Barrier(i32, { participants: 3 });
    const running = [0, 1].map((index) =>
      startWorker({ mode: 'once', control, index, participants: 3, timeoutMs: 60_000 }),
    );
    // Wait (on the main thread, outside the barrier) until both workers are inside wait().
    const deadline = Date.now() + 10_000;
    while (Atomics.load(i32, 0) < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(Atomics.load(i32, 0)).toBe(2);
    barrier.abort(7);
    barrier.abort(9); // the first code wins
    const reports = await Promise.all(running);
    for (const r of reports) expect(r).toMatchObject({ ok: false, name: 'BarrierAbortedError', code: 7 });
    expect(barrier.abortCode).toBe(7);
    expect(() => barrier.wait()).toThrow(new BarrierAbortedError(7, 0).constructor);
    expect(() => barrier.wait()).toThrow(/barrier aborted with code 7/);
    barrier.reset();
    expect(barrier.aborted).toBe(false);
    const again = await Promise.all(
      [0, 1, 2].map((index) => startWorker({ mode: 'once', control, index, participants: 3, timeoutMs: 10_000 })),
    );
    for (const r of again) expect(r.ok).toBe(true);
  });

  it('validates its arguments', () => {
    const i32 = new Int32Array(newControl());
    expect(() => new Barrier(i32, { participants: 0 })).toThrow(
      'barrier: options.participants must be a positive integer, got 0',
    );
    expect(() => new Barrier(i32, { participants: 2, index: 1 })).toThrow(/options.index must leave 3 words/);
    expect(() => new Barrier(new Int32Array(4), { participants: 2 })).toThrow(/SharedArrayBuffer/);
    expect(() => new Barrier(i32, { participants: 2, spin: -1 })).toThrow(/options.spin/);
    expect(() => new Barrier(i32, { participants: 2, timeoutMs: -1 })).toThrow(/options.timeoutMs/);
    const barrier = new Barrier(i32, { participants: 2 });
    expect(() => barrier.abort(0)).toThrow(/abort code must be an integer/);
    expect(barrier.aborted).toBe(false);
  });
});
