/** CRC-32 (IEEE 802.3, as zlib and PNG): ties `weights.bin` and `optimizer.bin` to the `model.json` they belong to. */

let table: Uint32Array | undefined;

function crcTable(): Uint32Array {
  if (table) return table;
  table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** The CRC-32 of `bytes` as an unsigned 32-bit integer (`crc32('123456789') === 0xcbf43926`). */
export function crc32(bytes: Uint8Array): number {
  const t = crcTable();
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** `0x`-prefixed, 8 hex digits: how checksums appear in messages. */
export function hex32(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}
