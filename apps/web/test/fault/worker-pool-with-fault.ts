/**
 * Test-only stand-in for `@shardprop/worker-pool/browser`, swapped in by the fault build of the browser tests
 * (see ../harness.ts): everything is the real module, except that the step barrier of one chosen Web Worker
 * throws at a chosen optimizer step. The real worker code (core's `trainWorker`) then fails mid-run exactly as a
 * worker bug would, so the test sees the production page, launcher and engine handle it. The production build
 * contains none of this.
 */
import { Barrier as RealBarrier } from '../../../../packages/worker-pool/dist/browser.js';

export * from '../../../../packages/worker-pool/dist/browser.js';

/** The Web Worker (by index) that fails, and the optimizer step (1-based) at which it fails. */
export const FAULT = { worker: 1, step: 40 } as const;

/** This thread's trainer worker index, from the name the page's launcher gives it (`shardprop-train-<index>`). */
function workerIndex(): number | undefined {
  const name = (globalThis as { name?: unknown }).name;
  const m = typeof name === 'string' ? /^shardprop-train-(\d+)$/.exec(name) : null;
  return m ? Number(m[1]) : undefined;
}

export class Barrier extends RealBarrier {
  #waits = 0;
  readonly #faulty = workerIndex() === FAULT.worker;

  override wait(): void {
    // A worker meets the barrier twice per step; the first wait of step s is wait number 2 (s - 1) + 1.
    if (this.#faulty && ++this.#waits === 2 * (FAULT.step - 1) + 1) {
      throw new Error(`injected fault in worker ${FAULT.worker} at step ${FAULT.step}`);
    }
    super.wait();
  }
}
