/**
 * The one reader of the saved `Encoding` format (model.json's `shardprop.encodings`), used by the CLI and the web
 * app alike: checks every field a later encode or decode relies on and returns the encoding, or names the first
 * field that is wrong.
 */
import { dataError } from './errors.js';
import type {
  CategoricalFeature,
  ClassTarget,
  Encoding,
  FeatureEncoding,
  NumericFeature,
  TargetEncoding,
} from './features.js';

type Json = Record<string, unknown>;

function isRecord(x: unknown): x is Json {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function fail(path: string, problem: string): never {
  throw dataError(`${path}: ${problem}`);
}

function record(x: unknown, path: string): Json {
  return isRecord(x) ? x : fail(path, 'expected an object');
}

function text(x: unknown, path: string): string {
  return typeof x === 'string' ? x : fail(path, 'expected a string');
}

function texts(x: unknown, path: string, min: number): string[] {
  if (!Array.isArray(x)) fail(path, 'expected an array of strings');
  if (x.length < min) fail(path, `expected at least ${min} entr${min === 1 ? 'y' : 'ies'}`);
  return x.map((v, i) => text(v, `${path}.${i}`));
}

function feature(x: unknown, path: string): FeatureEncoding {
  const f = record(x, path);
  const name = text(f.name, `${path}.name`);
  if (f.kind === 'numeric') {
    const { mean, std } = f;
    if (typeof mean !== 'number' || !Number.isFinite(mean)) fail(`${path}.mean`, 'must be a finite number');
    if (typeof std !== 'number' || !(std > 0) || !Number.isFinite(std))
      fail(`${path}.std`, 'must be a positive number');
    return { name, kind: 'numeric', mean, std } satisfies NumericFeature;
  }
  if (f.kind === 'categorical') {
    const vocabulary = texts(f.vocabulary, `${path}.vocabulary`, 1);
    return { name, kind: 'categorical', vocabulary, mode: text(f.mode, `${path}.mode`) } satisfies CategoricalFeature;
  }
  return fail(`${path}.kind`, 'expected "numeric" or "categorical"');
}

function target(x: unknown, path: string): TargetEncoding {
  const t = record(x, path);
  if (t.task === 'regression') return { task: 'regression', columns: texts(t.columns, `${path}.columns`, 1) };
  if (t.task === 'binary' || t.task === 'multiclass') {
    if (typeof t.numeric !== 'boolean') fail(`${path}.numeric`, 'expected a boolean');
    return {
      task: t.task,
      column: text(t.column, `${path}.column`),
      classes: texts(t.classes, `${path}.classes`, 2),
      numeric: t.numeric,
    } satisfies ClassTarget;
  }
  return fail(`${path}.task`, 'expected "regression", "binary" or "multiclass"');
}

/**
 * Reads a saved encoding (parsed JSON). Returns a fresh object holding only the known fields.
 * @throws TabularError (kind `data`) naming the first wrong field by its path, e.g. `features.2.std: must be a
 *   positive number`.
 */
export function parseEncoding(value: unknown): Encoding {
  const e = record(value, '(root)');
  if (!Array.isArray(e.features)) fail('features', 'expected an array');
  if (e.features.length === 0) fail('features', 'expected at least 1 entry');
  return { features: e.features.map((f, i) => feature(f, `features.${i}`)), target: target(e.target, 'target') };
}
