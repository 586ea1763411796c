// Row gathering: the float32 path of gatherRows in src/data/gather.ts, copying bits (a copy has no arithmetic, so
// the rows are exactly those the TypeScript loop copies).

/**
 * Copies rows `order[start] .. order[end - 1]` of the row-major matrix at `src` (`srcRows` rows of `cols` floats)
 * to `out`, one after another. Returns -1, or the position `k` of the first index outside `[0, srcRows)`: rows
 * before it are copied, nothing after it is (the caller throws, naming `order[k]`).
 */
export function gatherRows(src: usize, cols: i32, order: usize, start: i32, end: i32, out: usize, srcRows: i32): i32 {
  const rowBytes = (<usize>cols) << 2;
  // Whole vectors first; the last 0-3 floats of a row one by one, so nothing past the row is read or written.
  const vectorBytes = rowBytes & ~(<usize>15);
  let o = out;
  for (let k = start; k < end; k++) {
    const r = load<i32>(order + ((<usize>k) << 2));
    if (<u32>r >= <u32>srcRows) return k;
    const s = src + <usize>r * rowBytes;
    let c: usize = 0;
    for (; c < vectorBytes; c += 16) v128.store(o + c, v128.load(s + c));
    for (; c < rowBytes; c += 4) store<i32>(o + c, load<i32>(s + c));
    o += rowBytes;
  }
  return -1;
}
