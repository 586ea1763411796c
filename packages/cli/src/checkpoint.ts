/**
 * Checkpoints and Ctrl-C.
 *
 * After every epoch the model directory is saved with the weights, the optimizer state and the run state
 * (history, next epoch, early-stopping state) as one all-or-nothing save (core's `saveModel`: one rename of
 * model.json commits it), so the directory always holds a complete, consistent checkpoint of the last finished
 * epoch, even after a SIGKILL. Before the first epoch it holds the
 * initialised model. (With sgd, whose only state is the step count, one fit call runs every epoch and the
 * checkpoint is written from onEpochEnd; optimizers with state run one fit call per epoch, because core
 * returns the optimizer state only when a call ends.)
 *
 * Ctrl-C (SIGINT) aborts training after the current step; the partial epoch is then discarded, the directory
 * keeps (and is re-stamped as an interrupted run with) the checkpoint of the last finished epoch, the command
 * prints how to resume and exits with 130. A second Ctrl-C exits at once. `train --resume DIR` redoes the
 * interrupted epoch from that checkpoint: shuffles depend only on the seed and the epoch, and the optimizer
 * state is restored exactly, so the final weights are bitwise identical to an uninterrupted run.
 */
import { EXIT_INTERRUPTED } from './errors.js';

export interface Interrupt {
  readonly signal: AbortSignal;
  /** True once Ctrl-C was pressed. */
  readonly interrupted: boolean;
  /** Removes the handler. */
  dispose(): void;
}

/** Installs the SIGINT handler for a training run. */
export function onInterrupt(onFirst: () => void): Interrupt {
  const controller = new AbortController();
  let count = 0;
  const handler = (): void => {
    count++;
    if (count === 1) {
      onFirst();
      controller.abort();
    } else {
      process.stderr.write('\nshardprop: interrupted again, exiting now\n');
      process.exit(EXIT_INTERRUPTED);
    }
  };
  process.on('SIGINT', handler);
  return {
    signal: controller.signal,
    get interrupted() {
      return count > 0;
    },
    dispose() {
      process.off('SIGINT', handler);
    },
  };
}
