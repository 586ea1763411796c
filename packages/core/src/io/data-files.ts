/**
 * The data files of a saved model directory and how `model.json` names them (browser-safe: names only).
 *
 * A save writes every data file under a name carrying its generation, `<role>.<generation>.bin`
 * (`weights.7.bin`, `optimizer.7.bin`, `best-weights.7.bin`), and `model.json` names them: the weights in its
 * `weightsManifest` (which is how tfjs finds them), the others under `shardprop.files`, each with its CRC-32:
 *
 * ```json
 * "shardprop": { ..., "files": { "optimizer": { "path": "optimizer.7.bin", "crc32": 1234 } } }
 * ```
 *
 * The key `files` of the `shardprop` section is reserved for this. A `model.json` without it (written by
 * tfjs, or by shardprop before generations) has the fixed names `weights.bin` and, optionally, `optimizer.bin`.
 */
import { ModelFormatError } from './errors.js';

/** The reserved key of the `shardprop` section that lists the data files other than the weights. */
export const DATA_FILES_KEY = 'files';

/** The role of the weights file. */
export const WEIGHTS_ROLE = 'weights';
/** The role of the optimizer state file (see `optimizer-state.ts` for its format). */
export const OPTIMIZER_ROLE = 'optimizer';

/** A data file as `model.json` names it. */
export interface DataFileRef {
  /** The file name inside the model directory. */
  path: string;
  /** CRC-32 of its bytes. */
  crc32: number;
}

const ROLE = /^[a-z][a-z0-9-]{0,63}$/;
const GENERATION_FILE = /^([a-z][a-z0-9-]{0,63})\.(\d{1,15})\.bin$/;

/** Whether `role` can name a data file: lowercase letters, digits and `-`, starting with a letter. */
export function isDataFileRole(role: string): boolean {
  return ROLE.test(role);
}

/** The file name of a data file of a generation: `<role>.<generation>.bin`. */
export function dataFileName(role: string, generation: number): string {
  return `${role}.${generation}.bin`;
}

/** The role and generation of a generation-named data file, or `undefined` for any other name. */
export function parseDataFileName(file: string): { role: string; generation: number } | undefined {
  const m = GENERATION_FILE.exec(file);
  return m ? { role: m[1], generation: Number(m[2]) } : undefined;
}

/** The file name a role had before generations (`weights.bin`, `optimizer.bin`, `best-weights.bin`). */
export function legacyFileName(role: string): string {
  return `${role}.bin`;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * The data files (other than the weights) that `model.json` lists under `shardprop.files`, by role, or
 * `undefined` when it has no such list (an older or a foreign `model.json`).
 *
 * @throws ModelFormatError (file `model.json`) for a malformed list
 */
export function dataFileRefs(modelJson: unknown): Record<string, DataFileRef> | undefined {
  const section = isRecord(modelJson) ? modelJson.shardprop : undefined;
  if (!isRecord(section) || section[DATA_FILES_KEY] === undefined) return undefined;
  const fail = (detail: string): never => {
    throw new ModelFormatError('model.json', `shardprop.${DATA_FILES_KEY}${detail}`);
  };
  const files = section[DATA_FILES_KEY];
  if (!isRecord(files)) fail(' must be an object { role: { path, crc32 } }');
  const out: Record<string, DataFileRef> = {};
  for (const [role, ref] of Object.entries(files as Record<string, unknown>)) {
    if (!isDataFileRole(role) || role === WEIGHTS_ROLE) fail(`: "${role}" is not a data file role`);
    if (!isRecord(ref)) fail(`.${role} must be an object { path, crc32 }`);
    const { path, crc32 } = ref as Record<string, unknown>;
    if (typeof path !== 'string' || parseDataFileName(path)?.role !== role) {
      fail(`.${role}.path must be "${role}.<generation>.bin", got ${JSON.stringify(path)}`);
    }
    if (!(typeof crc32 === 'number' && Number.isInteger(crc32) && crc32 >= 0 && crc32 <= 0xffffffff)) {
      fail(`.${role}.crc32 must be an unsigned 32-bit integer, got ${JSON.stringify(crc32)}`);
    }
    Object.defineProperty(out, role, {
      value: { path, crc32 },
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
