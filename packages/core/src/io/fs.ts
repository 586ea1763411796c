/**
 * The model directory on disk (Node.js only; exported from `@shardprop/core/node`).
 *
 * Layout: `model.json` plus data files named by generation, `weights.<n>.bin`, `optimizer.<n>.bin` (checkpoints)
 * and any extra files the caller saves with the model (`<role>.<n>.bin`, e.g. the CLI's `best-weights.<n>.bin`).
 * `model.json` names them all: the weights in its `weightsManifest` (tfjs resolves manifest paths relative to
 * `model.json`, so the directory stays a TensorFlow.js Layers model), the others under `shardprop.files`, with
 * their CRC-32s (see `data-files.ts`).
 *
 * Why: a save must be all-or-nothing across its files. Replacing `weights.bin`, `optimizer.bin` and
 * `model.json` one rename at a time tore the checkpoint when the process died between two renames (the old
 * weights were gone, the new `model.json` not yet there). Now a save
 * 1. writes the new generation's data files under new names and flushes each to disk (the old files stay),
 * 2. flushes the directory, so the new names are durable before anything refers to them,
 * 3. writes `model.json` to a temporary file, flushes it, and renames it over `model.json`: this one rename is
 *    the commit point, then flushes the directory,
 * 4. removes the previous generation's files, and leftovers of saves that were killed (data files of our roles
 *    that `model.json` does not name, `weights.bin` / `optimizer.bin` of the older layout, temporary files of
 *    processes that are gone). Files of other names are never touched.
 * A crash (or an I/O error) at any step leaves a directory that loads as the old save or as the new one,
 * whole. Every step goes through a {@link SaveFileSystem}, so tests can fail each one in turn.
 *
 * Loading follows `model.json`: the weights from its manifest, the optimizer state and extra files from
 * `shardprop.files` (each checked against its CRC-32; `optimizer.<n>.bin` also carries the CRC-32 of its
 * weights). A directory without `shardprop.files` (tfjs's, or shardprop's older layout) is read with the fixed
 * names `weights.bin` (from its manifest) and, when present, `optimizer.bin`. If another process commits a save
 * while a directory is being read, the reader starts over from the new `model.json`.
 */
import { readFile, stat } from 'node:fs/promises';
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
  weightFilePaths,
} from './artifacts.js';
import { crc32, hex32 } from './crc32.js';
import {
  DATA_FILES_KEY,
  type DataFileRef,
  dataFileName,
  dataFileRefs,
  isDataFileRole,
  legacyFileName,
  OPTIMIZER_ROLE,
  parseDataFileName,
  WEIGHTS_ROLE,
} from './data-files.js';
import { ModelFormatError } from './errors.js';
import {
  errorCode,
  isStaleTemp,
  nodeFileSystem,
  type SaveFileSystem,
  tempFileName,
  writeNewFile,
} from './file-system.js';

export interface SaveModelOptions {
  /** Optimizer state and step count, written to `optimizer.<n>.bin`; without it the model has none. */
  optimizer?: OptimizerSnapshot;
  /**
   * More files committed with the model, by role: `{ 'best-weights': bytes }` is written as
   * `best-weights.<n>.bin`, listed in `model.json` and read back by {@link loadModel} as `extraFiles`.
   * A role is lowercase letters, digits and `-`, starting with a letter, and not `weights` or `optimizer`.
   */
  extraFiles?: Record<string, Uint8Array>;
  /** The file system the save goes through (default: Node's); see `file-system.ts`. */
  fileSystem?: SaveFileSystem;
}

/** A model directory as read back. */
export interface LoadedModelDir extends LoadedModel {
  /** The optimizer state, when the directory has one. Its length is a multiple of the parameter count. */
  optimizer?: OptimizerSnapshot;
  /** The extra files saved with the model ({@link SaveModelOptions.extraFiles}), by role; `{}` when none. */
  extraFiles: Record<string, Uint8Array>;
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

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Re-raises a ModelFormatError from the in-memory reader with the directory (and the file's real name). */
function inDir(dir: string, e: unknown, file?: string): unknown {
  if (!(e instanceof ModelFormatError) || e.file === undefined) return e;
  const name = (file ?? e.file)
    .split(' + ')
    .map((f) => join(dir, f))
    .join(' + ');
  return new ModelFormatError(name, e.detail, { cause: e });
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

/** What one read of a model directory found. */
interface DirContents {
  json: unknown;
  /** All weight files, concatenated in manifest order. */
  weights: Uint8Array;
  /** The manifest's weight files (for messages). */
  weightPaths: string[];
  /** `shardprop.files`, or `undefined` for a directory without it. */
  refs: Record<string, DataFileRef> | undefined;
  /** The bytes of every file in `refs`, by role. */
  data: Record<string, Uint8Array>;
}

/** How often a read starts over because another process committed a save meanwhile. */
const READ_ATTEMPTS = 5;

/** Reads `model.json` and every file it names. */
async function readModelFiles(dir: string): Promise<DirContents> {
  await requireDir(dir);
  const jsonPath = join(dir, MODEL_JSON);
  for (let attempt = 1; ; attempt++) {
    const text = new TextDecoder().decode(await readModelFile(dir, MODEL_JSON));
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new ModelFormatError(undefined, `${jsonPath} is not valid JSON: ${message(e)}`, { cause: e });
    }
    let weightPaths: string[];
    let refs: Record<string, DataFileRef> | undefined;
    try {
      weightPaths = weightFilePaths(json);
      refs = dataFileRefs(json);
    } catch (e) {
      throw inDir(dir, e);
    }
    try {
      const parts: Uint8Array[] = [];
      for (const p of weightPaths) parts.push(await readModelFile(dir, p));
      const data: Record<string, Uint8Array> = {};
      for (const [role, ref] of Object.entries(refs ?? {})) data[role] = await readModelFile(dir, ref.path);
      return { json, weights: concat(parts), weightPaths, refs, data };
    } catch (e) {
      // A save in another process may have committed a new model.json and removed the files the one we read
      // named: read the new one.
      const missing = e instanceof ModelFormatError && errorCode(e.cause) === 'ENOENT';
      if (!missing || attempt >= READ_ATTEMPTS) throw e;
      const now = await readFile(jsonPath, 'utf8').catch(() => undefined);
      if (now === undefined || now === text) throw e;
    }
  }
}

/**
 * Reads a model directory: `model.json`, its weight files, the optimizer state and the extra files it names
 * (or, in the older layout, `optimizer.bin` when present). See the module comment.
 *
 * @throws ModelFormatError naming the path and the problem (`model directory "x" does not exist`,
 *   `x/model.json is not valid JSON: ...`, `x/weights.3.bin is missing`, `x/weights.3.bin: expected ... bytes`)
 */
export async function loadModel(dir: string): Promise<LoadedModelDir> {
  const contents = await readModelFiles(dir);
  const { json, weights, refs, data } = contents;
  let loaded: LoadedModel;
  try {
    loaded = modelFromArtifacts(json, weights);
  } catch (e) {
    throw inDir(dir, e);
  }
  const extraFiles: Record<string, Uint8Array> = {};
  let optimizer: { path: string; bytes: Uint8Array } | undefined;
  if (refs) {
    for (const [role, ref] of Object.entries(refs)) {
      const actual = crc32(data[role]);
      if (actual !== ref.crc32) {
        throw new ModelFormatError(
          join(dir, ref.path),
          `checksum mismatch (model.json has ${hex32(ref.crc32)}, the file has ${hex32(actual)}); the file is corrupt or was changed`,
        );
      }
      if (role === OPTIMIZER_ROLE) optimizer = { path: ref.path, bytes: data[role] };
      else extraFiles[role] = data[role];
    }
  } else {
    try {
      optimizer = { path: OPTIMIZER_BIN, bytes: await readFile(join(dir, OPTIMIZER_BIN)) };
    } catch (e) {
      if (errorCode(e) !== 'ENOENT') {
        throw new ModelFormatError(undefined, `${join(dir, OPTIMIZER_BIN)} cannot be read: ${message(e)}`, {
          cause: e,
        });
      }
    }
  }
  if (!optimizer) return { ...loaded, extraFiles };
  const optPath = join(dir, optimizer.path);
  let record: ReturnType<typeof optimizerStateFromBytes>;
  try {
    record = optimizerStateFromBytes(optimizer.bytes);
  } catch (e) {
    throw inDir(dir, e, optimizer.path);
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
      const weightsName = contents.weightPaths.map((p) => join(dir, p)).join(' + ');
      throw new ModelFormatError(
        optPath,
        `belongs to other weights (it was saved with weights ${hex32(record.weightsCrc32)}, ${weightsName} is ${hex32(actual)}); was a save interrupted?`,
      );
    }
  }
  return { ...loaded, optimizer: { step: record.step, state: record.state }, extraFiles };
}

/** A data file of a save. */
interface DataFile {
  role: string;
  bytes: Uint8Array;
}

/** The roles `model.json` in `dir` names under `shardprop.files` now (none when it cannot be read). */
async function currentRoles(fs: SaveFileSystem, dir: string): Promise<string[]> {
  try {
    const text = new TextDecoder().decode(await fs.readFile(join(dir, MODEL_JSON)));
    return Object.keys(dataFileRefs(JSON.parse(text)) ?? {});
  } catch {
    return [];
  }
}

/** Whether `name` is a file of the save machinery for one of `roles`: ours to remove once unreferenced. */
function isOurs(name: string, roles: ReadonlySet<string>): boolean {
  const parsed = parseDataFileName(name);
  if (parsed) return roles.has(parsed.role);
  for (const role of roles) if (name === legacyFileName(role)) return true;
  return isStaleTemp(name);
}

/**
 * Commits one save: the data files of a new generation, then `model.json` (built by `modelJsonFor` from the
 * data files' names) in one rename, then the removal of what the new `model.json` does not name. See the module
 * comment for the steps and why.
 */
async function commitModelDir(
  fs: SaveFileSystem,
  dir: string,
  files: DataFile[],
  modelJsonFor: (names: Record<string, string>) => string,
): Promise<void> {
  try {
    await fs.mkdir(dir);
  } catch (e) {
    throw new Error(`cannot create model directory "${dir}": ${message(e)}`, { cause: e });
  }
  const failed = (e: unknown): Error =>
    new Error(`saving the model to "${dir}" failed (the previous model is unchanged): ${message(e)}`, { cause: e });
  let entries: string[];
  try {
    entries = await fs.readdir(dir);
  } catch (e) {
    throw failed(e);
  }
  const roles = new Set([WEIGHTS_ROLE, OPTIMIZER_ROLE, ...files.map((f) => f.role), ...(await currentRoles(fs, dir))]);
  // A generation above every file of our roles, so nothing of the current save (or a killed one) is overwritten.
  let generation = 1;
  for (const name of entries) {
    const parsed = parseDataFileName(name);
    if (parsed && roles.has(parsed.role)) generation = Math.max(generation, parsed.generation + 1);
  }
  const names: Record<string, string> = {};
  for (const f of files) names[f.role] = dataFileName(f.role, generation);
  const written: string[] = [];
  let committed = false;
  try {
    for (const f of files) {
      await writeNewFile(fs, join(dir, names[f.role]), f.bytes);
      written.push(names[f.role]);
    }
    await fs.syncDir(dir);
    const tmp = join(dir, tempFileName(MODEL_JSON));
    await writeNewFile(fs, tmp, modelJsonFor(names));
    try {
      await fs.rename(tmp, join(dir, MODEL_JSON));
    } catch (e) {
      await fs.unlink(tmp).catch(() => {});
      throw e;
    }
    committed = true;
    await fs.syncDir(dir);
  } catch (e) {
    if (committed) {
      throw new Error(
        `saving the model to "${dir}": the new model is in place, but flushing the directory to disk failed: ${message(e)}`,
        { cause: e },
      );
    }
    for (const name of written) await fs.unlink(join(dir, name)).catch(() => {});
    throw failed(e);
  }
  // The previous generation and leftovers of killed saves. Best effort: the save is complete whatever happens
  // here, and the next save removes what is left.
  const keep = new Set(Object.values(names));
  for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
    if (!keep.has(name) && isOurs(name, roles)) await fs.unlink(join(dir, name)).catch(() => {});
  }
}

/**
 * Writes a model directory: `model.json`, the weights and, with `options.optimizer`, the optimizer state and
 * `options.extraFiles`, as one all-or-nothing save (see the module comment). The artifacts are read back
 * first, so a directory that would not load is never written.
 *
 * @throws ModelFormatError for artifacts that do not read back, RangeError for an optimizer state whose length
 *   is not a whole number of slots or a bad extra file role, Error (with `cause`) when the file system fails:
 *   `saving the model to "dir" failed (the previous model is unchanged): ...`
 */
export async function saveModel(dir: string, artifacts: ModelArtifacts, options: SaveModelOptions = {}): Promise<void> {
  const { modelJson, weightData } = artifacts;
  const loaded = modelFromArtifacts(modelJson, weightData);
  const paths = weightFilePaths(modelJson);
  if (paths.length !== 1) {
    throw new ModelFormatError(MODEL_JSON, `saveModel writes one weight file, the manifest lists ${paths.length}`);
  }
  const files: DataFile[] = [{ role: WEIGHTS_ROLE, bytes: weightData }];
  if (options.optimizer) {
    const { step, state } = options.optimizer;
    if (state.length % loaded.params.length !== 0) {
      throw new RangeError(
        `optimizer state has ${state.length} values, not a whole number of slots of ${loaded.params.length} parameters`,
      );
    }
    files.push({
      role: OPTIMIZER_ROLE,
      bytes: optimizerStateToBytes({ step, state, weightsCrc32: crc32(weightData) }),
    });
  }
  for (const [role, bytes] of Object.entries(options.extraFiles ?? {})) {
    if (!isDataFileRole(role) || role === WEIGHTS_ROLE || role === OPTIMIZER_ROLE) {
      throw new RangeError(
        `extra file role "${role}" must be lowercase letters, digits and "-", start with a letter, and not be "weights" or "optimizer"`,
      );
    }
    if (!(bytes instanceof Uint8Array)) throw new TypeError(`extra file "${role}" must be a Uint8Array`);
    files.push({ role, bytes });
  }
  await commitModelDir(options.fileSystem ?? nodeFileSystem, dir, files, (names) => {
    const refs: Record<string, DataFileRef> = {};
    for (const f of files) if (f.role !== WEIGHTS_ROLE) refs[f.role] = { path: names[f.role], crc32: crc32(f.bytes) };
    const json = {
      ...modelJson,
      weightsManifest: [{ ...modelJson.weightsManifest[0], paths: [names[WEIGHTS_ROLE]] }],
      shardprop: { ...modelJson.shardprop, [DATA_FILES_KEY]: refs },
    };
    return `${JSON.stringify(json)}\n`;
  });
}

function bytesOf(data: ArrayBuffer | ArrayBuffer[] | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  if (Array.isArray(data)) return concat(data.map((b) => new Uint8Array(b)));
  return new Uint8Array(data);
}

/**
 * A TensorFlow.js IO handler over a model directory, for `tf.loadLayersModel(tfjsFileHandler(dir))` and
 * `model.save(tfjsFileHandler(dir))` in Node.js without tfjs-node. Loading reads any Layers model directory
 * (not only shardprop's); saving writes `model.json` and `weights.<n>.bin` as one all-or-nothing save (see the
 * module comment), which removes the previous weights and any optimizer state.
 *
 * @param fileSystem the file system saves go through (default: Node's)
 */
export function tfjsFileHandler(
  dir: string,
  fileSystem: SaveFileSystem = nodeFileSystem,
): {
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
      const json = (weightsFile: string): Record<string, unknown> => {
        const out: Record<string, unknown> = {
          modelTopology: artifacts.modelTopology,
          format: artifacts.format,
          generatedBy: artifacts.generatedBy,
          convertedBy: artifacts.convertedBy,
          weightsManifest: [{ paths: [weightsFile], weights: artifacts.weightSpecs ?? [] }],
        };
        for (const key of [
          'trainingConfig',
          'signature',
          'userDefinedMetadata',
          'modelInitializer',
          'initializerSignature',
        ] as const) {
          if (artifacts[key] !== undefined) out[key] = artifacts[key];
        }
        return out;
      };
      await commitModelDir(
        fileSystem,
        dir,
        [{ role: WEIGHTS_ROLE, bytes: weightData }],
        (names) => `${JSON.stringify(json(names[WEIGHTS_ROLE]))}\n`,
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
