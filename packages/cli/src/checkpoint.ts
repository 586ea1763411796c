/**
 * Checkpoints and stop signals.
 *
 * After every epoch the model directory is saved with the weights, the optimizer state and the run state
 * (history, next epoch, early-stopping state) as one all-or-nothing save (core's `saveModel`: one rename of
 * model.json commits it), so the directory always holds a complete, consistent checkpoint of the last finished
 * epoch, even after a SIGKILL. Before the first epoch it holds the
 * initialised model. (With sgd, whose only state is the step count, one fit call runs every epoch and the
 * checkpoint is written from onEpochEnd; optimizers with state run one fit call per epoch, because core
 * returns the optimizer state only when a call ends.)
 *
 * Ctrl-C (SIGINT), SIGTERM (a scheduler or `kill`) and SIGHUP (the terminal closed) all stop training after the
 * current step, as torchrun and most trainers do: the partial epoch is then discarded, the directory keeps (and
 * is re-stamped as an interrupted run with) the checkpoint of the last finished epoch, the command prints how to
 * resume and exits with 128 + the signal's number (130, 143, 129). A second signal exits at once. `train --resume
 * DIR` redoes the interrupted epoch from that checkpoint: shuffles depend only on the seed and the epoch, and the
 * optimizer state is restored exactly, so the final weights are bitwise identical to an uninterrupted run.
 */
import { constants } from 'node:os';

/** The signals that stop a training run gracefully. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** The shell's exit code for a process stopped by `signal`: 128 + its number (SIGINT 130). */
export function signalExitCode(signal: StopSignal): number {
  return 128 + constants.signals[signal];
}

/** How a signal is named to the user. */
export function signalName(signal: StopSignal): string {
  return signal === 'SIGINT' ? 'Ctrl-C' : signal;
}

export interface Interrupt {
  readonly signal: AbortSignal;
  /** The first stop signal received, once there was one. */
  readonly received: StopSignal | undefined;
  /** Removes the handlers. */
  dispose(): void;
}

/** Installs the stop-signal handlers for a training run; `onFirst` runs once, at the first signal. */
export function onInterrupt(onFirst: (signal: StopSignal) => void): Interrupt {
  const controller = new AbortController();
  let received: StopSignal | undefined;
  const handlers = STOP_SIGNALS.map((sig) => {
    const handler = (): void => {
      if (received === undefined) {
        received = sig;
        onFirst(sig);
        controller.abort();
      } else {
        process.stderr.write(`\nshardprop: ${signalName(sig)} again, exiting now\n`);
        process.exit(signalExitCode(sig));
      }
    };
    process.on(sig, handler);
    return [sig, handler] as const;
  });
  return {
    signal: controller.signal,
    get received() {
      return received;
    },
    dispose() {
      for (const [sig, handler] of handlers) process.off(sig, handler);
    },
  };
}
