/**
 * User-facing errors. A `UserError` is a mistake the user can fix (a flag, a file, a column); `main` prints its
 * message as one line on stderr and exits with its code, without a stack unless `--debug` is given. The
 * `TabularError`s of @shardprop/tabular (reading and encoding tables) are treated the same way, their kind giving
 * the code (`data`: 1, `usage`: 2; see `exitCodeOf`).
 *
 * Exit codes: 0 success, 1 a data or model problem (a file missing, unreadable or malformed, a model directory
 * that does not fit the data, training that diverged, gradcheck above its threshold), 2 a usage problem (an
 * unknown flag or command, a bad flag value, flags that contradict each other or the model, an unknown column),
 * 128 + the signal's number when a stop signal ended training (130 Ctrl-C/SIGINT, 143 SIGTERM, 129 SIGHUP; see
 * checkpoint.ts).
 */
import type { Advice, TabularError } from '@shardprop/tabular';

export const EXIT_OK = 0;
export const EXIT_DATA = 1;
export const EXIT_USAGE = 2;
/** Exit code after Ctrl-C (SIGINT); SIGTERM and SIGHUP give 143 and 129 (`signalExitCode`). */
export const EXIT_INTERRUPTED = 130;

/** What the CLI advises about a missing value or an unseen category: the flags that handle them. */
export const ADVICE: Advice = {
  missingFeature: 'pass --drop-missing or --impute mean',
  missingTarget: 'pass --drop-missing to leave such rows out',
  unknownCategory: 'pass --unknown zeros to encode it as all zeros',
};

export class UserError extends Error {
  override name = 'UserError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT_DATA,
  ) {
    super(message);
  }
}

/** A mistake in the command line (flag, value, combination): exit code 2. */
export function usageError(message: string): UserError {
  return new UserError(message, EXIT_USAGE);
}

/** A problem with a data file or model directory: exit code 1. */
export function dataError(message: string): UserError {
  return new UserError(message, EXIT_DATA);
}

/** The exit code for a user's mistake: its own for a `UserError`, by kind for a `TabularError`. */
export function exitCodeOf(error: UserError | TabularError): number {
  if (error instanceof UserError) return error.exitCode;
  return error.kind === 'usage' ? EXIT_USAGE : EXIT_DATA;
}

/** Raised to end a command with a given exit code after it has printed its own output (e.g. gradcheck failed). */
export class ExitCode extends Error {
  override name = 'ExitCode';
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

/** The message of any thrown value, on one line. */
export function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\n\s*/g, ' ').trim();
}
