// Test helpers shared by the package's test files.
import { expect } from 'vitest';
import { TabularError } from '../src/errors.js';

/** The TabularError `fn` throws; fails the test when it throws anything else or nothing. */
export function tabularError(fn: () => unknown): TabularError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TabularError);
    return error as TabularError;
  }
  throw new Error('expected an error');
}
