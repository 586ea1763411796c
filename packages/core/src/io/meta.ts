/**
 * The `shardprop` section of `model.json`: what TensorFlow.js does not know about a model (feature names and
 * encodings, normalisation statistics, loss and optimizer, training config, epoch). tfjs ignores the section.
 */
import type { OptimizerConfig } from '../optim/optimizer.js';
import { show } from '../show.js';
import { DATA_FILES_KEY } from './data-files.js';
import { ModelFormatError } from './errors.js';

/** The version of the `shardprop` section this code writes and reads. */
export const SHARDPROP_FORMAT_VERSION = 1;

/**
 * The fields of the `shardprop` section. Every field is optional, and the record is open: other keys are kept
 * as they are, as long as they are JSON values (no `NaN`, `Infinity`, typed arrays, `Date`s or cycles).
 * The keys `weightsCrc32` and `files` are reserved: `modelToArtifacts` writes the checksum of the weights
 * there, and `saveModel` the list of the other data files (see `data-files.ts`).
 */
export interface ShardpropMetaInput {
  /** Set to 1 by the writer when left out. */
  formatVersion?: number;
  /** Names of the input columns (before any encoding, so not necessarily `inputSize` of them). */
  featureNames?: string[];
  /** Names of the target columns. */
  targetNames?: string[];
  /** How raw columns become model inputs (e.g. category vocabularies); any JSON value. */
  encodings?: unknown;
  /** Standardisation statistics of the model inputs: `inputSize` means and positive stds. */
  normalization?: { mean: number[]; std: number[] };
  /** e.g. `regression`, `binary`, `multiclass`. */
  task?: string;
  /** Keras loss name. */
  loss?: string;
  optimizer?: OptimizerConfig;
  /** Training configuration (batch size, seed, ...); any JSON object. */
  training?: Record<string, unknown>;
  /** Epochs completed. */
  epoch?: number;
  /** Kernel backend used in training (e.g. `js`, `wasm-simd`). */
  kernels?: string;
  [key: string]: unknown;
}

/** The `shardprop` section as read back: {@link ShardpropMetaInput} with its format version. */
export interface ShardpropMeta extends ShardpropMetaInput {
  formatVersion: 1;
}

/** The reserved key that carries the CRC-32 of the weight data. */
export const WEIGHTS_CRC_KEY = 'weightsCrc32';

const OPTIMIZER_NAMES = ['sgd', 'momentum', 'adam', 'adamw', 'rmsprop'];
const OPTIMIZER_NUMBERS = ['learningRate', 'momentum', 'beta1', 'beta2', 'epsilon', 'weightDecay', 'rho'];
const OPTIMIZER_BOOLEANS = ['nesterov', 'centered'];

type Fail = (detail: string) => never;

/**
 * A deep copy of `value` made of JSON values only (`undefined` object properties are dropped, as
 * `JSON.stringify` does); anything `JSON.stringify` would change or lose is an error naming its path.
 */
export function jsonCopy(value: unknown, path: string, fail: Fail, seen: unknown[] = []): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) fail(`${path} must be a finite number, got ${value} (JSON has no ${value})`);
    return value;
  }
  if (typeof value !== 'object') fail(`${path} is not a JSON value (a ${typeof value})`);
  const obj = value as object;
  if (seen.includes(obj)) fail(`${path} refers back to itself (a cycle cannot be written as JSON)`);
  seen.push(obj);
  try {
    if (Array.isArray(obj)) {
      return obj.map((v, i) => {
        if (v === undefined) fail(`${path}[${i}] is undefined (JSON has no undefined)`);
        return jsonCopy(v, `${path}[${i}]`, fail, seen);
      });
    }
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      const kind = (obj as { constructor?: { name?: string } }).constructor?.name ?? 'object';
      const hint = ArrayBuffer.isView(obj) ? '; convert it with Array.from()' : '';
      fail(`${path} is not a plain JSON value (a ${kind})${hint}`);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) {
      if (v === undefined) continue;
      // defineProperty, so that a key "__proto__" (which JSON.parse makes an own property) stays data.
      Object.defineProperty(out, k, {
        value: jsonCopy(v, `${path}.${k}`, fail, seen),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  } finally {
    seen.pop();
  }
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function checkStringArray(m: Record<string, unknown>, key: string, fail: Fail): void {
  const v = m[key];
  if (v === undefined) return;
  if (!Array.isArray(v)) fail(`shardprop.${key} must be an array of strings, got ${show(v)}`);
  (v as unknown[]).forEach((s, i) => {
    if (typeof s !== 'string') fail(`shardprop.${key}[${i}] must be a string, got ${show(s)}`);
  });
}

function checkString(m: Record<string, unknown>, key: string, fail: Fail): void {
  const v = m[key];
  if (v !== undefined && typeof v !== 'string') fail(`shardprop.${key} must be a string, got ${show(v)}`);
}

function checkNormalization(v: unknown, inputSize: number, fail: Fail): void {
  if (!isRecord(v)) fail(`shardprop.normalization must be an object { mean, std }, got ${show(v)}`);
  const n = v as Record<string, unknown>;
  for (const key of ['mean', 'std']) {
    const arr = n[key];
    if (!Array.isArray(arr)) fail(`shardprop.normalization.${key} must be an array of numbers, got ${show(arr)}`);
    const a = arr as unknown[];
    if (a.length !== inputSize) {
      fail(`shardprop.normalization.${key} has ${a.length} values, the model has ${inputSize} inputs`);
    }
    a.forEach((x, i) => {
      if (typeof x !== 'number' || !Number.isFinite(x)) {
        fail(`shardprop.normalization.${key}[${i}] must be a finite number, got ${show(x)}`);
      }
      if (key === 'std' && !((x as number) > 0)) fail(`shardprop.normalization.std[${i}] must be > 0, got ${x}`);
    });
  }
}

function checkOptimizer(v: unknown, fail: Fail): void {
  if (!isRecord(v)) fail(`shardprop.optimizer must be an object, got ${show(v)}`);
  const o = v as Record<string, unknown>;
  if (typeof o.name !== 'string' || !OPTIMIZER_NAMES.includes(o.name)) {
    fail(`shardprop.optimizer.name must be one of ${OPTIMIZER_NAMES.join(', ')}, got ${show(o.name)}`);
  }
  for (const key of OPTIMIZER_NUMBERS) {
    if (o[key] !== undefined && typeof o[key] !== 'number') {
      fail(`shardprop.optimizer.${key} must be a number, got ${show(o[key])}`);
    }
  }
  for (const key of OPTIMIZER_BOOLEANS) {
    if (o[key] !== undefined && typeof o[key] !== 'boolean') {
      fail(`shardprop.optimizer.${key} must be a boolean, got ${show(o[key])}`);
    }
  }
}

/**
 * Checks a `shardprop` section and returns a JSON copy of it with `formatVersion` set (and the reserved
 * checksum key kept, when present). `reading` makes `formatVersion` required, as it is in a written file.
 */
export function checkMeta(value: unknown, inputSize: number, reading: boolean, fail: Fail): ShardpropMeta {
  if (!isRecord(value)) fail(`shardprop must be an object, got ${show(value)}`);
  const m = jsonCopy(value, 'shardprop', fail) as Record<string, unknown>;
  const version = m.formatVersion;
  if (version === undefined) {
    if (reading) fail('shardprop.formatVersion is missing');
  } else if (version !== SHARDPROP_FORMAT_VERSION) {
    if (typeof version === 'number' && Number.isInteger(version) && version > SHARDPROP_FORMAT_VERSION) {
      fail(
        `shardprop.formatVersion ${version} is newer than this version of shardprop reads (${SHARDPROP_FORMAT_VERSION}); upgrade shardprop`,
      );
    }
    fail(`shardprop.formatVersion must be ${SHARDPROP_FORMAT_VERSION}, got ${show(version)}`);
  }
  checkStringArray(m, 'featureNames', fail);
  checkStringArray(m, 'targetNames', fail);
  for (const key of ['task', 'loss', 'kernels']) checkString(m, key, fail);
  if (m.normalization !== undefined) checkNormalization(m.normalization, inputSize, fail);
  if (m.optimizer !== undefined) checkOptimizer(m.optimizer, fail);
  if (m.training !== undefined && !isRecord(m.training)) {
    fail(`shardprop.training must be an object, got ${show(m.training)}`);
  }
  if (m.epoch !== undefined && !(typeof m.epoch === 'number' && Number.isSafeInteger(m.epoch) && m.epoch >= 0)) {
    fail(`shardprop.epoch must be a non-negative integer, got ${show(m.epoch)}`);
  }
  if (!reading && m[DATA_FILES_KEY] !== undefined) {
    fail(`shardprop.${DATA_FILES_KEY} is reserved: saveModel lists the model's data files there`);
  }
  const crc = m[WEIGHTS_CRC_KEY];
  if (
    reading &&
    crc !== undefined &&
    !(typeof crc === 'number' && Number.isInteger(crc) && crc >= 0 && crc <= 0xffffffff)
  ) {
    fail(`shardprop.${WEIGHTS_CRC_KEY} must be an unsigned 32-bit integer, got ${show(crc)}`);
  }
  // formatVersion first, as a reader looks for it.
  return { formatVersion: SHARDPROP_FORMAT_VERSION, ...m } as ShardpropMeta;
}

/** A failure in `model.json`. */
export const failModelJson: Fail = (detail) => {
  throw new ModelFormatError('model.json', detail);
};
