/**
 * The model directory on disk (Node.js only; exported from `@shardprop/core/node`): `model.json`,
 * `weights.bin` and, for checkpoints, `optimizer.bin`.
 *
 * Every file is written atomically: to a temporary name in the same directory (`.<name>.<pid>.<random>.tmp`),
 * flushed to disk, then renamed over the old file. All temporary files are written before the first rename, so
 * a failure while writing (a full disk, a crash, a thrown error) leaves the previous model as it was. The
 * renames go `weights.bin`, then `optimizer.bin` (or the removal of a stale one), then `model.json` last; a
 * crash between two renames can leave files of two saves side by side, which `loadModel` detects by checksum
 * (`model.json` holds the CRC-32 of `weights.bin`; `optimizer.bin` holds it too) instead of loading a mixture.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { OptimizerSnapshot } from '../train/options.js';
import {
  type LoadedModel,
  MODEL_JSON,
  type ModelArtifacts,
  modelFromArtifacts,
  OPTIMIZER_BIN,
  optimizerStateFromBytes,
  optimizerStateToBytes,
  type TfjsModelArtifacts,
  toTfjsArtifacts,
  WEIGHTS_BIN,
  weightFilePaths,
} from './artifacts.js';
import { crc32, hex32 } from './crc32.js';
import { ModelFormatError } from './errors.js';

export interface SaveModelOptions {
  /** Optimizer state and step count, written to `optimizer.bin`; without it a stale `optimizer.bin` is removed. */
  optimizer?: OptimizerSnapshot;
}

/** A model directory as read back. */
export interface LoadedModelDir extends LoadedModel {
  /** From `optimizer.bin`, when the directory has one. Its length is a multiple of the parameter count. */
  optimizer?: OptimizerSnapshot;
}

/** tfjs's `SaveResult`, structurally. */
export interface TfjsSaveResult {
  modelArtifactsInfo: {
    dateSaved: Date;
    modelTopologyType: 'JSON';
    modelTopologyBytes?: number;
    weightSpecsBytes?: number;
    weightDataBytes?: number;
  };
}

/** The tfjs artifacts `model.save` hands to a save handler, structurally (weight data may come in parts). */
export interface TfjsSaveArtifacts {
  modelTopology?: object | ArrayBuffer;
  weightSpecs?: unknown[];
  weightData?: ArrayBuffer | ArrayBuffer[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  trainingConfig?: unknown;
  userDefinedMetadata?: unknown;
  signature?: unknown;
  modelInitializer?: unknown;
  initializerSignature?: unknown;
}

function errorCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null ? (e as { code?: string }).code : undefined;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Re-raises a ModelFormatError from the in-memory reader with the directory in front of its file name. */
function inDir(dir: string, e: unknown): unknown {
  if (!(e instanceof ModelFormatError) || e.file === undefined) return e;
  const file = e.file
    .split(' + ')
    .map((f) => join(dir, f))
    .join(' + ');
  return new ModelFormatError(file, e.detail, { cause: e });
}

async function requireDir(dir: string): Promise<void> {
  let s: Awaited<ReturnType<typeof stat>>;
  try {
    s = await stat(dir);
  } catch (e) {
    if (errorCode(e) === 'ENOENT') throw new ModelFormatError(undefined, `model directory "${dir}" does not exist`);
    throw new ModelFormatError(undefined, `model directory "${dir}" cannot be read: ${message(e)}`, { cause: e });
  }
  if (!s.isDirectory()) throw new ModelFormatError(undefined, `model directory "${dir}" is not a directory`);
}

async function readModelFile(dir: string, name: string): Promise<Uint8Array> {
  const path = join(dir, name);
  try {
    return await readFile(path);
  } catch (e) {
    if (errorCode(e) === 'ENOENT') throw new ModelFormatError(undefined, `${path} is missing`, { cause: e });
    throw new ModelFormatError(undefined, `${path} cannot be read: ${message(e)}`, { cause: e });
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

/** `model.json` parsed, and the weight data (all weight files, concatenated in manifest order). */
async function readModelFiles(dir: string): Promise<{ json: unknown; weights: Uint8Array }> {
  await requireDir(dir);
  const jsonPath = join(dir, MODEL_JSON);
  const text = new TextDecoder().decode(await readModelFile(dir, MODEL_JSON));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ModelFormatError(undefined, `${jsonPath} is not valid JSON: ${message(e)}`, { cause: e });
  }
  let paths: string[];
  try {
    paths = weightFilePaths(json);
  } catch (e) {
    throw inDir(dir, e);
  }
  const parts: Uint8Array[] = [];
  for (const p of paths) parts.push(await readModelFile(dir, p));
  return { json, weights: concat(parts) };
}

/**
 * Reads a model directory: `model.json`, its weight files, and `optimizer.bin` when present.
 *
 * @throws ModelFormatError naming the path and the problem (`model directory "x" does not exist`,
 *   `x/model.json is not valid JSON: ...`, `x/weights.bin is missing`, `x/weights.bin: expected ... bytes ...`)
 */
export async function loadModel(dir: string): Promise<LoadedModelDir> {
  const { json, weights } = await readModelFiles(dir);
  let loaded: LoadedModel;
  try {
    loaded = modelFromArtifacts(json, weights);
  } catch (e) {
    throw inDir(dir, e);
  }
  const optPath = join(dir, OPTIMIZER_BIN);
  let optBytes: Uint8Array;
  try {
    optBytes = await readFile(optPath);
  } catch (e) {
    if (errorCode(e) === 'ENOENT') return loaded;
    throw new ModelFormatError(undefined, `${optPath} cannot be read: ${message(e)}`, { cause: e });
  }
  let record: ReturnType<typeof optimizerStateFromBytes>;
  try {
    record = optimizerStateFromBytes(optBytes);
  } catch (e) {
    throw inDir(dir, e);
  }
  const paramCount = loaded.params.length;
  if (record.state.length % paramCount !== 0) {
    throw new ModelFormatError(
      optPath,
      `holds ${record.state.length} state values, not a whole number of slots of ${paramCount} parameters`,
    );
  }
  if (record.weightsCrc32 !== undefined) {
    const actual = crc32(weights);
    if (actual !== record.weightsCrc32) {
      throw new ModelFormatError(
        optPath,
        `belongs to other weights (it was saved with weights ${hex32(record.weightsCrc32)}, ${join(dir, WEIGHTS_BIN)} is ${hex32(actual)}); was a save interrupted?`,
      );
    }
  }
  return { ...loaded, optimizer: { step: record.step, state: record.state } };
}

/** A name for a temporary file next to `name` in `dir`: `.<name>.<pid>.<random>.tmp`. */
function tempName(dir: string, name: string): string {
  return join(dir, `.${name}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Writes `data` to a new temporary file in `dir` and flushes it to disk; returns its path. */
async function writeTemp(dir: string, name: string, data: Uint8Array | string): Promise<string> {
  const tmp = tempName(dir, name);
  const fh = await open(tmp, 'wx', 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await fh.close();
  return tmp;
}

async function syncDir(dir: string): Promise<void> {
  // Makes the renames durable; opening a directory is not allowed everywhere (Windows), which is fine.
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    /* best effort */
  }
}

/**
 * Writes files into `dir` atomically each, `files` in order (put `model.json` last), and removes `remove`
 * (before the last file goes in). Creates `dir` if needed.
 */
async function writeFiles(dir: string, files: Array<[name: string, data: Uint8Array | string]>, remove: string[]) {
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw new Error(`cannot create model directory "${dir}": ${message(e)}`, { cause: e });
  }
  const temps: string[] = [];
  let renamed = 0;
  try {
    // A target that cannot be replaced by a file fails the save before anything changes.
    for (const name of [...files.map(([n]) => n), ...remove]) {
      const s = await lstat(join(dir, name)).catch(() => undefined);
      if (s?.isDirectory()) throw new Error(`${join(dir, name)} is a directory`);
    }
    for (const [name, data] of files) temps.push(await writeTemp(dir, name, data));
    for (let i = 0; i < files.length; i++) {
      if (i === files.length - 1) {
        for (const name of remove) {
          await unlink(join(dir, name)).catch((e) => {
            if (errorCode(e) !== 'ENOENT') throw e;
          });
        }
      }
      await rename(temps[i], join(dir, files[i][0]));
      renamed = i + 1;
    }
  } catch (e) {
    await Promise.all(temps.slice(renamed).map((t) => unlink(t).catch(() => {})));
    const done = files.slice(0, renamed).map(([n]) => n);
    const state =
      renamed === 0
        ? 'the previous model files are unchanged'
        : `${done.join(', ')} ${done.length === 1 ? 'was' : 'were'} replaced before the failure`;
    throw new Error(`saving the model to "${dir}" failed (${state}): ${message(e)}`, { cause: e });
  }
  await syncDir(dir);
}

/**
 * Writes a model directory: `model.json`, `weights.bin` and, with `options.optimizer`, `optimizer.bin`
 * (otherwise a stale `optimizer.bin` is removed). Each file is written atomically; see the module comment.
 * The artifacts are read back first, so a directory that would not load is never written.
 *
 * @throws ModelFormatError for artifacts that do not read back, RangeError for an optimizer state whose length
 *   is not a whole number of slots, Error (with `cause`) when the file system fails
 */
export async function saveModel(dir: string, artifacts: ModelArtifacts, options: SaveModelOptions = {}): Promise<void> {
  const { modelJson, weightData } = artifacts;
  const loaded = modelFromArtifacts(modelJson, weightData);
  const paths = weightFilePaths(modelJson);
  if (paths.length !== 1) {
    throw new ModelFormatError(MODEL_JSON, `saveModel writes one weight file, the manifest lists ${paths.length}`);
  }
  const files: Array<[string, Uint8Array | string]> = [[paths[0], weightData]];
  const remove: string[] = [];
  if (options.optimizer) {
    const { step, state } = options.optimizer;
    if (state.length % loaded.params.length !== 0) {
      throw new RangeError(
        `optimizer state has ${state.length} values, not a whole number of slots of ${loaded.params.length} parameters`,
      );
    }
    files.push([OPTIMIZER_BIN, optimizerStateToBytes({ step, state, weightsCrc32: crc32(weightData) })]);
  } else {
    remove.push(OPTIMIZER_BIN);
  }
  files.push([MODEL_JSON, `${JSON.stringify(modelJson)}\n`]);
  await writeFiles(dir, files, remove);
}

function bytesOf(data: ArrayBuffer | ArrayBuffer[] | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  if (Array.isArray(data)) return concat(data.map((b) => new Uint8Array(b)));
  return new Uint8Array(data);
}

/**
 * A TensorFlow.js IO handler over a model directory, for `tf.loadLayersModel(tfjsFileHandler(dir))` and
 * `model.save(tfjsFileHandler(dir))` in Node.js without tfjs-node. Loading reads any Layers model directory
 * (not only shardprop's); saving writes `model.json` and `weights.bin` atomically as tfjs's own file handler
 * lays them out, and removes a stale `optimizer.bin`.
 */
export function tfjsFileHandler(dir: string): {
  load(): Promise<TfjsModelArtifacts>;
  save(artifacts: TfjsSaveArtifacts): Promise<TfjsSaveResult>;
} {
  return {
    async load() {
      const { json, weights } = await readModelFiles(dir);
      try {
        return toTfjsArtifacts(json, weights);
      } catch (e) {
        throw inDir(dir, e);
      }
    },
    async save(artifacts) {
      if (artifacts.modelTopology instanceof ArrayBuffer || artifacts.modelTopology === undefined) {
        throw new Error('tfjsFileHandler saves JSON model topologies only');
      }
      const weightData = bytesOf(artifacts.weightData);
      const json: Record<string, unknown> = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
      };
      for (const key of [
        'trainingConfig',
        'signature',
        'userDefinedMetadata',
        'modelInitializer',
        'initializerSignature',
      ] as const) {
        if (artifacts[key] !== undefined) json[key] = artifacts[key];
      }
      const text = `${JSON.stringify(json)}\n`;
      await writeFiles(
        dir,
        [
          [WEIGHTS_BIN, weightData],
          [MODEL_JSON, text],
        ],
        [OPTIMIZER_BIN],
      );
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          modelTopologyBytes: JSON.stringify(artifacts.modelTopology).length,
          weightSpecsBytes: JSON.stringify(artifacts.weightSpecs ?? []).length,
          weightDataBytes: weightData.byteLength,
        },
      };
    },
  };
}
