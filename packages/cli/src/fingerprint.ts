/**
 * A fingerprint of the encoded training data, kept with a run's settings so that `--resume` can refuse data that
 * changed since the checkpoint (rows lost or added, values edited): resuming on other data would neither
 * reproduce the run nor say so. It hashes the float32 values the network trains on, after the saved encoding,
 * so a change that does not reach them (a column the run does not read, quoting, line endings) is no change.
 * With `--weight-column`, the row weights are training data too: they are hashed after the targets.
 */
import { createHash } from 'node:crypto';
import type { Dataset } from '@shardprop/core';
import { formatInt } from './progress.js';

export interface DataFingerprint {
  rows: number;
  /** Input values per row (after encoding). */
  inputs: number;
  /** Target values per row. */
  targets: number;
  /**
   * SHA-256 of the inputs' and then the targets' float32 bytes (little-endian), and then the row weights' when
   * the run has them, in hex. (A run without weights hashes what it hashed before weights existed.)
   */
  sha256: string;
}

/** The fingerprint of `data`, and of `rowWeights` (one float per row) when given. */
export function fingerprintOf(data: Dataset, rowWeights?: Float32Array): DataFingerprint {
  const hash = createHash('sha256');
  const parts = [data.x.subarray(0, data.rows * data.features), data.y.subarray(0, data.rows * data.outputs)];
  if (rowWeights) parts.push(rowWeights.subarray(0, data.rows));
  for (const values of parts) {
    hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  }
  return { rows: data.rows, inputs: data.features, targets: data.outputs, sha256: hash.digest('hex') };
}

/** How `now` differs from `then`, in words; undefined when they are the same data. */
export function describeChange(then: DataFingerprint, now: DataFingerprint): string | undefined {
  const shape = (f: DataFingerprint) => `${formatInt(f.rows)} rows of ${f.inputs} inputs and ${f.targets} targets`;
  if (then.rows !== now.rows || then.inputs !== now.inputs || then.targets !== now.targets) {
    return `it now gives ${shape(now)}, the run trained on ${shape(then)}`;
  }
  if (then.sha256 !== now.sha256) return `it gives as many rows (${formatInt(now.rows)}) but different values`;
  return undefined;
}
