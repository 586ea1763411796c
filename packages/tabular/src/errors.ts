/**
 * The one error type of this package. Its `kind` says whose mistake it is, so that each front end can react in
 * its own way: the CLI exits with 1 for `data` and 2 for `usage`; the browser app shows the message as it is.
 */

/** `data`: a file or table that cannot be used as it is. `usage`: a choice of the caller (an unknown column). */
export type TabularErrorKind = 'data' | 'usage';

/** A problem the user can fix, with a one-line message that names the file, line and column where it can. */
export class TabularError extends Error {
  override name = 'TabularError';
  constructor(
    message: string,
    readonly kind: TabularErrorKind = 'data',
  ) {
    super(message);
  }
}

/** A problem with the data: malformed, missing or inconsistent values. */
export function dataError(message: string): TabularError {
  return new TabularError(message, 'data');
}

/** A problem with what the caller asked for: an unknown column, a task the target cannot have. */
export function usageError(message: string): TabularError {
  return new TabularError(message, 'usage');
}
