// Bitwise comparison of float arrays, for the determinism tests: the same bits, not merely close values
// (-0 and 0 differ, so do NaN payloads).

/** The bytes of a float array, shared not copied: compare with `.equals` or `toEqual`. */
export function bits(a: Float32Array | Float64Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** True when `a` and `b` have the same length and the same bits. */
export function sameBits(a: Float32Array | Float64Array, b: Float32Array | Float64Array): boolean {
  return bits(a).equals(bits(b));
}
