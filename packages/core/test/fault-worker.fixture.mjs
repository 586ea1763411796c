// Test-only worker for fitParallel's failure tests: core's own trainWorker, except that when the task carries a
// `fault` for this worker, the step barrier fails just before optimizer step `fault.step` (each step meets the
// barrier twice): `throw` throws from the step loop, `exit` ends the thread as a crash would.
import { Barrier } from '@shardprop/worker-pool/browser';
import trainWorker from '../dist/parallel/worker.js';

export default function faultyTrainWorker(task) {
  const fault = task.fault;
  if (fault && fault.worker === task.index) {
    const wait = Barrier.prototype.wait;
    let waits = 0;
    Barrier.prototype.wait = function faultyWait() {
      // Wait number 2k - 1 ends the shards of step k (counting from the run's first step).
      if (++waits === 2 * (fault.step - task.initialStep) - 1) {
        if (fault.kind === 'exit') process.exit(1);
        throw new Error(`injected fault in worker ${task.index} at step ${fault.step}`);
      }
      return wait.call(this);
    };
  }
  return trainWorker(task);
}
