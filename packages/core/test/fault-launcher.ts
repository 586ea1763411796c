/**
 * A test-only {@link WorkerLauncher}: core's piscina launcher running `fault-worker.fixture.mjs`, which makes one
 * worker throw or exit at a chosen optimizer step. Production workers carry no fault hooks.
 */
import type { WorkerLauncher } from '../src/parallel/engine.js';
import { threadLauncher } from '../src/parallel/trainer.js';

export interface Fault {
  kind: 'throw' | 'exit';
  worker: number;
  /** 1-based optimizer step (counted over the whole run) at which the worker fails, before computing it. */
  step: number;
}

export function faultLauncher(fault: Fault): WorkerLauncher {
  const inner = threadLauncher(new URL('./fault-worker.fixture.mjs', import.meta.url));
  return {
    start: (tasks, onFailure) =>
      inner.start(
        tasks.map((task) => ({ ...task, fault })),
        onFailure,
      ),
    stop: () => inner.stop(),
  };
}
