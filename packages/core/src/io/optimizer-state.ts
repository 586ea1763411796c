/**
 * `optimizer.bin`: the optimizer state and step count of a checkpoint, so that training resumes exactly.
 *
 * Layout (all little-endian), a 32-byte header then the state:
 *
 * | offset | type | field |
 * |---|---|---|
 * | 0 | 5 x ASCII | magic `SPOPT` |
 * | 5 | uint8 | format version (1) |
 * | 6 | uint8 | flags: bit 0 = the weights checksum at offset 24 is set |
 * | 7 | uint8 | reserved (0) |
 * | 8 | float64 | step count: updates applied so far (a non-negative integer) |
 * | 16 | uint32 | N, the number of state values (slot-major, `slots x paramCount`) |
 * | 20 | uint32 | CRC-32 of the state bytes |
 * | 24 | uint32 | CRC-32 of the `weights.bin` this state belongs to (0 when flag bit 0 is clear) |
 * | 28 | uint32 | reserved (0) |
 * | 32 | N x float32 | the state |
 */
import type { OptimizerSnapshot } from '../train/options.js';
import { crc32, hex32 } from './crc32.js';
import { ModelFormatError } from './errors.js';

/** The file name of the optimizer state in a model directory. */
export const OPTIMIZER_BIN = 'optimizer.bin';
/** The first five bytes of every `optimizer.bin`. */
export const OPTIMIZER_MAGIC = 'SPOPT';
/** The `optimizer.bin` format version this code writes and reads. */
export const OPTIMIZER_FORMAT_VERSION = 1;
/** Size of the `optimizer.bin` header; the float32 state starts here. */
export const OPTIMIZER_HEADER_BYTES = 32;

const FLAG_WEIGHTS_CRC = 1;
const MAX_STATE_LENGTH = 0xffffffff;

/** What `optimizer.bin` holds: the optimizer snapshot, and optionally the checksum of its weights. */
export interface OptimizerStateRecord extends OptimizerSnapshot {
  /**
   * CRC-32 of the `weights.bin` saved with this state. `loadModel` checks it, so a state file left over from
   * another save (an interrupted one, or one of another model) is never resumed from by mistake.
   */
  weightsCrc32?: number;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The bytes of `optimizer.bin` for a snapshot. */
export function optimizerStateToBytes(record: OptimizerStateRecord): Uint8Array {
  const { step, state, weightsCrc32 } = record;
  if (typeof step !== 'number' || !Number.isSafeInteger(step) || step < 0) {
    throw new RangeError(`optimizer step must be a non-negative integer, got ${String(step)}`);
  }
  if (!(state instanceof Float32Array)) throw new TypeError('optimizer state must be a Float32Array');
  if (state.length > MAX_STATE_LENGTH) {
    throw new RangeError(`optimizer state has ${state.length} values; optimizer.bin holds at most ${MAX_STATE_LENGTH}`);
  }
  if (
    weightsCrc32 !== undefined &&
    !(Number.isInteger(weightsCrc32) && weightsCrc32 >= 0 && weightsCrc32 <= 0xffffffff)
  ) {
    throw new RangeError(`weightsCrc32 must be an unsigned 32-bit integer, got ${String(weightsCrc32)}`);
  }
  const out = new Uint8Array(OPTIMIZER_HEADER_BYTES + state.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < OPTIMIZER_MAGIC.length; i++) out[i] = OPTIMIZER_MAGIC.charCodeAt(i);
  out[5] = OPTIMIZER_FORMAT_VERSION;
  out[6] = weightsCrc32 === undefined ? 0 : FLAG_WEIGHTS_CRC;
  view.setFloat64(8, step, true);
  view.setUint32(16, state.length, true);
  const body = out.subarray(OPTIMIZER_HEADER_BYTES);
  writeFloat32LE(state, body);
  view.setUint32(20, crc32(body), true);
  view.setUint32(24, weightsCrc32 ?? 0, true);
  return out;
}

/**
 * Reads `optimizer.bin`, checking everything: magic, version, flags, step, the declared length against
 * `expectedLength` (when given) and against the file size, and the state checksum.
 *
 * @param expectedLength the number of state values the optimizer needs (`stateSlots x paramCount`)
 * @throws ModelFormatError (file `optimizer.bin`) naming what is wrong
 */
export function optimizerStateFromBytes(
  bytes: Uint8Array | ArrayBuffer,
  expectedLength?: number,
): OptimizerStateRecord {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const fail = (detail: string): never => {
    throw new ModelFormatError(OPTIMIZER_BIN, detail);
  };
  let magic = '';
  for (let i = 0; i < Math.min(b.length, OPTIMIZER_MAGIC.length); i++) magic += String.fromCharCode(b[i]);
  if (magic !== OPTIMIZER_MAGIC) {
    fail(
      b.length < OPTIMIZER_MAGIC.length && OPTIMIZER_MAGIC.startsWith(magic)
        ? `truncated: ${b.length} bytes, the header needs ${OPTIMIZER_HEADER_BYTES}`
        : `not a shardprop optimizer state file (it does not start with "${OPTIMIZER_MAGIC}")`,
    );
  }
  if (b.length < OPTIMIZER_HEADER_BYTES)
    fail(`truncated: ${b.length} bytes, the header needs ${OPTIMIZER_HEADER_BYTES}`);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const version = b[5];
  if (version !== OPTIMIZER_FORMAT_VERSION) {
    fail(
      `format version ${version} is not supported (this version of shardprop reads version ${OPTIMIZER_FORMAT_VERSION})`,
    );
  }
  const flags = b[6];
  if ((flags & ~FLAG_WEIGHTS_CRC) !== 0) fail(`unknown flags 0x${flags.toString(16)} in the header`);
  const step = view.getFloat64(8, true);
  if (!Number.isSafeInteger(step) || step < 0) fail(`step count must be a non-negative integer, got ${step}`);
  const length = view.getUint32(16, true);
  if (expectedLength !== undefined && length !== expectedLength) {
    fail(`holds ${length} state values, expected ${expectedLength}`);
  }
  const expectedBytes = OPTIMIZER_HEADER_BYTES + length * 4;
  if (b.length !== expectedBytes) {
    fail(
      `expected ${expectedBytes} bytes for ${length} float32 state values, got ${b.length}` +
        (b.length < expectedBytes ? ' (truncated)' : ''),
    );
  }
  const body = b.subarray(OPTIMIZER_HEADER_BYTES);
  const storedCrc = view.getUint32(20, true);
  const actualCrc = crc32(body);
  if (storedCrc !== actualCrc) {
    fail(`state checksum mismatch (header ${hex32(storedCrc)}, data ${hex32(actualCrc)}); the file is corrupt`);
  }
  const state = readFloat32LE(body, length);
  const record: OptimizerStateRecord = { step, state };
  if (flags & FLAG_WEIGHTS_CRC) record.weightsCrc32 = view.getUint32(24, true);
  return record;
}

/** Writes `src` as little-endian float32 into `dst` (exactly `src.length * 4` bytes), bit for bit. */
export function writeFloat32LE(src: Float32Array, dst: Uint8Array): void {
  if (LITTLE_ENDIAN) {
    dst.set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength));
    return;
  }
  const view = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < bits.length; i++) view.setUint32(i * 4, bits[i], true);
}

/** Reads `count` little-endian float32 values from `src` into a new array, bit for bit (NaN payloads kept). */
export function readFloat32LE(
  src: Uint8Array,
  count: number,
  out = new Float32Array(count),
  outOffset = 0,
): Float32Array {
  const dst = new Uint8Array(out.buffer, out.byteOffset + outOffset * 4, count * 4);
  if (LITTLE_ENDIAN) {
    dst.set(src.subarray(0, count * 4));
    return out;
  }
  const view = new DataView(src.buffer, src.byteOffset, count * 4);
  const bits = new Uint32Array(out.buffer, out.byteOffset + outOffset * 4, count);
  for (let i = 0; i < count; i++) bits[i] = view.getUint32(i * 4, true);
  return out;
}
