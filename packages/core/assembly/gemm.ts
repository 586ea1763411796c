import { V } from './simd';

// Column tile of the cache blocking in gemmBias: a kc x NC panel of b (256 KiB) stays in L2 while every row block
// of a passes over it.
const NC: i32 = 256;
// Depth tile: a 4 x KC strip of a (4 KiB) stays in L1 while the micro-kernels sweep the panel.
const KC: i32 = 256;
// Row tile of gemmTnBias: KC rows of d and a stay in L2 while every 4 x 8 block of the output passes over them.
const MC: i32 = 128;
// Output-row tile of gemmNt: PC rows of b stay in L2 while every pair of rows of d passes over them.
const PC: i32 = 64;

/** Number of leading rows of a `rows x n` operand whose 4-float load at column `j` stays inside the operand. */
function fullRows(rows: i32, n: i32, j: i32): i32 {
  // Row q's load ends at element q*n + j + 4, which must be <= rows*n.
  const over = j + 4 - n; // elements past the end of the row
  if (over <= 0) return rows;
  const extra = (over + n - 1) / n; // whole rows it spills into
  const r = rows - extra;
  return max(r, 0);
}

// ---------------------------------------------------------------------------------------------------------------
// gemmBias: out[m x n] = a[m x k] * b[k x n] + bias[n]

/**
 * Four rows of out over columns [j0, j1) for the depth slice [0, kc): accumulators start from `bias` on the first
 * depth tile and from `out` on later ones. `a` points at a[i][p0], `b` at b[p0][0], `o` at out[i][0].
 * `qFull`: rows q < qFull of this b slice may be read with whole-vector loads at the partial column block.
 */
function gemmBlock4(
  o: usize,
  a: usize,
  b: usize,
  bias: usize,
  first: bool,
  kc: i32,
  lda: usize,
  n: i32,
  j0: i32,
  j1: i32,
  qFull: i32,
): void {
  const ldb = (<usize>n) << 2;
  const o1 = o + ldb;
  const o2 = o1 + ldb;
  const o3 = o2 + ldb;
  const lda2 = lda + lda;
  const lda3 = lda2 + lda;
  const aEnd = a + ((<usize>kc) << 2);
  let j = j0;
  for (; j + 8 <= j1; j += 8) {
    const jo = (<usize>j) << 2;
    let c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128;
    if (first) {
      c00 = v128.load(bias + jo);
      c01 = v128.load(bias + jo, 16);
      c10 = c00;
      c11 = c01;
      c20 = c00;
      c21 = c01;
      c30 = c00;
      c31 = c01;
    } else {
      c00 = v128.load(o + jo);
      c01 = v128.load(o + jo, 16);
      c10 = v128.load(o1 + jo);
      c11 = v128.load(o1 + jo, 16);
      c20 = v128.load(o2 + jo);
      c21 = v128.load(o2 + jo, 16);
      c30 = v128.load(o3 + jo);
      c31 = v128.load(o3 + jo, 16);
    }
    let pa = a;
    let pb = b + jo;
    while (pa < aEnd) {
      const b0 = v128.load(pb);
      const b1 = v128.load(pb, 16);
      let x = v128.load32_splat(pa);
      c00 = V.mac(c00, x, b0);
      c01 = V.mac(c01, x, b1);
      x = v128.load32_splat(pa + lda);
      c10 = V.mac(c10, x, b0);
      c11 = V.mac(c11, x, b1);
      x = v128.load32_splat(pa + lda2);
      c20 = V.mac(c20, x, b0);
      c21 = V.mac(c21, x, b1);
      x = v128.load32_splat(pa + lda3);
      c30 = V.mac(c30, x, b0);
      c31 = V.mac(c31, x, b1);
      pa += 4;
      pb += ldb;
    }
    v128.store(o + jo, c00);
    v128.store(o + jo, c01, 16);
    v128.store(o1 + jo, c10);
    v128.store(o1 + jo, c11, 16);
    v128.store(o2 + jo, c20);
    v128.store(o2 + jo, c21, 16);
    v128.store(o3 + jo, c30);
    v128.store(o3 + jo, c31, 16);
  }
  // Remaining columns four (or fewer, at the very end of the row) at a time.
  for (; j < j1; j += 4) {
    const t = min(j1 - j, 4);
    const jo = (<usize>j) << 2;
    let c0: v128, c1: v128, c2: v128, c3: v128;
    if (first) {
      c0 = V.loadN(bias + jo, t);
      c1 = c0;
      c2 = c0;
      c3 = c0;
    } else {
      c0 = V.loadN(o + jo, t);
      c1 = V.loadN(o1 + jo, t);
      c2 = V.loadN(o2 + jo, t);
      c3 = V.loadN(o3 + jo, t);
    }
    let pa = a;
    let pb = b + jo;
    // Whole-vector loads of b while they stay inside b, then lane by lane.
    const qf = t === 4 ? kc : min(max(qFull, 0), kc);
    const aMid = a + ((<usize>qf) << 2);
    while (pa < aMid) {
      const b0 = v128.load(pb);
      c0 = V.mac(c0, v128.load32_splat(pa), b0);
      c1 = V.mac(c1, v128.load32_splat(pa + lda), b0);
      c2 = V.mac(c2, v128.load32_splat(pa + lda2), b0);
      c3 = V.mac(c3, v128.load32_splat(pa + lda3), b0);
      pa += 4;
      pb += ldb;
    }
    while (pa < aEnd) {
      const b0 = V.load3(pb, t);
      c0 = V.mac(c0, v128.load32_splat(pa), b0);
      c1 = V.mac(c1, v128.load32_splat(pa + lda), b0);
      c2 = V.mac(c2, v128.load32_splat(pa + lda2), b0);
      c3 = V.mac(c3, v128.load32_splat(pa + lda3), b0);
      pa += 4;
      pb += ldb;
    }
    V.storeN(o + jo, c0, t);
    V.storeN(o1 + jo, c1, t);
    V.storeN(o2 + jo, c2, t);
    V.storeN(o3 + jo, c3, t);
  }
}

/** One row of out: as gemmBlock4 with a single row (the same arithmetic for every element). */
function gemmBlock1(
  o: usize,
  a: usize,
  b: usize,
  bias: usize,
  first: bool,
  kc: i32,
  n: i32,
  j0: i32,
  j1: i32,
  qFull: i32,
): void {
  const ldb = (<usize>n) << 2;
  const aEnd = a + ((<usize>kc) << 2);
  let j = j0;
  for (; j + 16 <= j1; j += 16) {
    const jo = (<usize>j) << 2;
    let c0: v128, c1: v128, c2: v128, c3: v128;
    if (first) {
      c0 = v128.load(bias + jo);
      c1 = v128.load(bias + jo, 16);
      c2 = v128.load(bias + jo, 32);
      c3 = v128.load(bias + jo, 48);
    } else {
      c0 = v128.load(o + jo);
      c1 = v128.load(o + jo, 16);
      c2 = v128.load(o + jo, 32);
      c3 = v128.load(o + jo, 48);
    }
    let pa = a;
    let pb = b + jo;
    while (pa < aEnd) {
      const x = v128.load32_splat(pa);
      c0 = V.mac(c0, x, v128.load(pb));
      c1 = V.mac(c1, x, v128.load(pb, 16));
      c2 = V.mac(c2, x, v128.load(pb, 32));
      c3 = V.mac(c3, x, v128.load(pb, 48));
      pa += 4;
      pb += ldb;
    }
    v128.store(o + jo, c0);
    v128.store(o + jo, c1, 16);
    v128.store(o + jo, c2, 32);
    v128.store(o + jo, c3, 48);
  }
  for (; j < j1; j += 4) {
    const t = min(j1 - j, 4);
    const jo = (<usize>j) << 2;
    let c0 = first ? V.loadN(bias + jo, t) : V.loadN(o + jo, t);
    let pa = a;
    let pb = b + jo;
    const qf = t === 4 ? kc : min(max(qFull, 0), kc);
    const aMid = a + ((<usize>qf) << 2);
    while (pa < aMid) {
      c0 = V.mac(c0, v128.load32_splat(pa), v128.load(pb));
      pa += 4;
      pb += ldb;
    }
    while (pa < aEnd) {
      c0 = V.mac(c0, v128.load32_splat(pa), V.load3(pb, t));
      pa += 4;
      pb += ldb;
    }
    V.storeN(o + jo, c0, t);
  }
}

/** n === 1: out[i] = bias + a[i] . b, as lane sums over the depth (4 rows share each load of b). */
function gemvBias(out: usize, a: usize, b: usize, bias: usize, m: i32, k: i32): void {
  const lda = (<usize>k) << 2;
  const k4 = k & ~3;
  const t = k - k4;
  const tailOff = (<usize>k4) << 2;
  const bv = f32x4.splat(load<f32>(bias));
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const a0 = a + <usize>i * lda;
    const a1 = a0 + lda;
    const a2 = a1 + lda;
    const a3 = a2 + lda;
    let c0 = f32x4.splat(0);
    let c1 = c0;
    let c2 = c0;
    let c3 = c0;
    for (let off: usize = 0; off < tailOff; off += 16) {
      const w = v128.load(b + off);
      c0 = V.mac(c0, v128.load(a0 + off), w);
      c1 = V.mac(c1, v128.load(a1 + off), w);
      c2 = V.mac(c2, v128.load(a2 + off), w);
      c3 = V.mac(c3, v128.load(a3 + off), w);
    }
    if (t > 0) {
      const w = V.load3(b + tailOff, t);
      c0 = V.mac(c0, V.load3(a0 + tailOff, t), w);
      c1 = V.mac(c1, V.load3(a1 + tailOff, t), w);
      c2 = V.mac(c2, V.load3(a2 + tailOff, t), w);
      c3 = V.mac(c3, V.load3(a3 + tailOff, t), w);
    }
    v128.store(out + ((<usize>i) << 2), f32x4.add(bv, V.sum4(c0, c1, c2, c3)));
  }
  for (; i < m; i++) {
    const a0 = a + <usize>i * lda;
    let c0 = f32x4.splat(0);
    for (let off: usize = 0; off < tailOff; off += 16) c0 = V.mac(c0, v128.load(a0 + off), v128.load(b + off));
    if (t > 0) c0 = V.mac(c0, V.load3(a0 + tailOff, t), V.load3(b + tailOff, t));
    store<f32>(out + ((<usize>i) << 2), load<f32>(bias) + V.hsum(c0));
  }
}

/**
 * `out[m x n] = a[m x k] * b[k x n] + bias[n]`. Each element is `bias[j]` plus the products a[i][p] b[p][j]
 * added in order p = 0..k-1 in float32 (n === 1: lane-wise partial sums over p, then `V.hsum`).
 */
export function gemmBias(out: usize, a: usize, b: usize, bias: usize, m: i32, k: i32, n: i32): void {
  if (m <= 0 || n <= 0) return;
  if (n === 1 && k > 0) {
    gemvBias(out, a, b, bias, m, k);
    return;
  }
  const ldo = (<usize>n) << 2;
  const lda = (<usize>k) << 2;
  if (k <= 0) {
    for (let i = 0; i < m; i++) memory.copy(out + <usize>i * ldo, bias, ldo);
    return;
  }
  for (let j0 = 0; j0 < n; j0 += NC) {
    const j1 = min(j0 + NC, n);
    // Only the last column block can be partial; its whole-vector loads are safe in rows < pFull of b.
    const pFull = fullRows(k, n, j1 & ~3);
    for (let p0 = 0; p0 < k; p0 += KC) {
      const kc = min(k - p0, KC);
      const first = p0 === 0;
      const bp = b + <usize>p0 * ldo;
      const qFull = pFull - p0;
      let i = 0;
      for (; i + 4 <= m; i += 4) {
        gemmBlock4(
          out + <usize>i * ldo,
          a + <usize>i * lda + ((<usize>p0) << 2),
          bp,
          bias,
          first,
          kc,
          lda,
          n,
          j0,
          j1,
          qFull,
        );
      }
      for (; i < m; i++) {
        gemmBlock1(
          out + <usize>i * ldo,
          a + <usize>i * lda + ((<usize>p0) << 2),
          bp,
          bias,
          first,
          kc,
          n,
          j0,
          j1,
          qFull,
        );
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// gemmTnBias: out[k x n] = a[m x k]^T d[m x n], biasOut[n] = column sums of d; rows r accumulated in order.

/**
 * Output rows p..p+pr-1 (pr = 4 or 1), all columns, for the row slice [r0, r0 + mc) of a and d. `a` points at
 * a[r0][p], `d` at d[r0][0]. Starts from zero when `first`, else from out. `rFull`: rows r < rFull of this d slice
 * may be read with whole-vector loads at the last (partial) column block.
 */
function tnBlock4(o: usize, a: usize, d: usize, first: bool, mc: i32, lda: usize, n: i32, rFull: i32): void {
  const ldd = (<usize>n) << 2;
  const o1 = o + ldd;
  const o2 = o1 + ldd;
  const o3 = o2 + ldd;
  const dEnd = d + <usize>mc * ldd;
  let j = 0;
  for (; j + 8 <= n; j += 8) {
    const jo = (<usize>j) << 2;
    let c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128;
    if (first) {
      c00 = f32x4.splat(0);
      c01 = c00;
      c10 = c00;
      c11 = c00;
      c20 = c00;
      c21 = c00;
      c30 = c00;
      c31 = c00;
    } else {
      c00 = v128.load(o + jo);
      c01 = v128.load(o + jo, 16);
      c10 = v128.load(o1 + jo);
      c11 = v128.load(o1 + jo, 16);
      c20 = v128.load(o2 + jo);
      c21 = v128.load(o2 + jo, 16);
      c30 = v128.load(o3 + jo);
      c31 = v128.load(o3 + jo, 16);
    }
    let pa = a;
    let pd = d + jo;
    while (pd < dEnd) {
      const d0 = v128.load(pd);
      const d1 = v128.load(pd, 16);
      let x = v128.load32_splat(pa);
      c00 = V.mac(c00, x, d0);
      c01 = V.mac(c01, x, d1);
      x = v128.load32_splat(pa, 4);
      c10 = V.mac(c10, x, d0);
      c11 = V.mac(c11, x, d1);
      x = v128.load32_splat(pa, 8);
      c20 = V.mac(c20, x, d0);
      c21 = V.mac(c21, x, d1);
      x = v128.load32_splat(pa, 12);
      c30 = V.mac(c30, x, d0);
      c31 = V.mac(c31, x, d1);
      pa += lda;
      pd += ldd;
    }
    v128.store(o + jo, c00);
    v128.store(o + jo, c01, 16);
    v128.store(o1 + jo, c10);
    v128.store(o1 + jo, c11, 16);
    v128.store(o2 + jo, c20);
    v128.store(o2 + jo, c21, 16);
    v128.store(o3 + jo, c30);
    v128.store(o3 + jo, c31, 16);
  }
  for (; j < n; j += 4) {
    const t = min(n - j, 4);
    const jo = (<usize>j) << 2;
    let c0: v128, c1: v128, c2: v128, c3: v128;
    if (first) {
      c0 = f32x4.splat(0);
      c1 = c0;
      c2 = c0;
      c3 = c0;
    } else {
      c0 = V.loadN(o + jo, t);
      c1 = V.loadN(o1 + jo, t);
      c2 = V.loadN(o2 + jo, t);
      c3 = V.loadN(o3 + jo, t);
    }
    let pa = a;
    let pd = d + jo;
    const rf = t === 4 ? mc : min(max(rFull, 0), mc);
    const dMid = d + <usize>rf * ldd;
    while (pd < dMid) {
      const d0 = v128.load(pd);
      c0 = V.mac(c0, v128.load32_splat(pa), d0);
      c1 = V.mac(c1, v128.load32_splat(pa, 4), d0);
      c2 = V.mac(c2, v128.load32_splat(pa, 8), d0);
      c3 = V.mac(c3, v128.load32_splat(pa, 12), d0);
      pa += lda;
      pd += ldd;
    }
    while (pd < dEnd) {
      const d0 = V.load3(pd, t);
      c0 = V.mac(c0, v128.load32_splat(pa), d0);
      c1 = V.mac(c1, v128.load32_splat(pa, 4), d0);
      c2 = V.mac(c2, v128.load32_splat(pa, 8), d0);
      c3 = V.mac(c3, v128.load32_splat(pa, 12), d0);
      pa += lda;
      pd += ldd;
    }
    V.storeN(o + jo, c0, t);
    V.storeN(o1 + jo, c1, t);
    V.storeN(o2 + jo, c2, t);
    V.storeN(o3 + jo, c3, t);
  }
}

function tnBlock1(o: usize, a: usize, d: usize, first: bool, mc: i32, lda: usize, n: i32, rFull: i32): void {
  const ldd = (<usize>n) << 2;
  const dEnd = d + <usize>mc * ldd;
  let j = 0;
  for (; j + 16 <= n; j += 16) {
    const jo = (<usize>j) << 2;
    let c0: v128, c1: v128, c2: v128, c3: v128;
    if (first) {
      c0 = f32x4.splat(0);
      c1 = c0;
      c2 = c0;
      c3 = c0;
    } else {
      c0 = v128.load(o + jo);
      c1 = v128.load(o + jo, 16);
      c2 = v128.load(o + jo, 32);
      c3 = v128.load(o + jo, 48);
    }
    let pa = a;
    let pd = d + jo;
    while (pd < dEnd) {
      const x = v128.load32_splat(pa);
      c0 = V.mac(c0, x, v128.load(pd));
      c1 = V.mac(c1, x, v128.load(pd, 16));
      c2 = V.mac(c2, x, v128.load(pd, 32));
      c3 = V.mac(c3, x, v128.load(pd, 48));
      pa += lda;
      pd += ldd;
    }
    v128.store(o + jo, c0);
    v128.store(o + jo, c1, 16);
    v128.store(o + jo, c2, 32);
    v128.store(o + jo, c3, 48);
  }
  for (; j < n; j += 4) {
    const t = min(n - j, 4);
    const jo = (<usize>j) << 2;
    let c0 = first ? f32x4.splat(0) : V.loadN(o + jo, t);
    let pa = a;
    let pd = d + jo;
    const rf = t === 4 ? mc : min(max(rFull, 0), mc);
    const dMid = d + <usize>rf * ldd;
    while (pd < dMid) {
      c0 = V.mac(c0, v128.load32_splat(pa), v128.load(pd));
      pa += lda;
      pd += ldd;
    }
    while (pd < dEnd) {
      c0 = V.mac(c0, v128.load32_splat(pa), V.load3(pd, t));
      pa += lda;
      pd += ldd;
    }
    V.storeN(o + jo, c0, t);
  }
}

/** n === 1: out[p] = sum over r of a[r][p] d[r], vectorised over p (out is a column, contiguous). */
function tnColumn(out: usize, a: usize, d: usize, m: i32, k: i32): void {
  const lda = (<usize>k) << 2;
  const aEnd = a + <usize>m * lda;
  let p = 0;
  for (; p + 16 <= k; p += 16) {
    const po = (<usize>p) << 2;
    let c0 = f32x4.splat(0);
    let c1 = c0;
    let c2 = c0;
    let c3 = c0;
    let pd = d;
    for (let pa = a + po; pa < aEnd; pa += lda) {
      const x = v128.load32_splat(pd);
      c0 = V.mac(c0, v128.load(pa), x);
      c1 = V.mac(c1, v128.load(pa, 16), x);
      c2 = V.mac(c2, v128.load(pa, 32), x);
      c3 = V.mac(c3, v128.load(pa, 48), x);
      pd += 4;
    }
    v128.store(out + po, c0);
    v128.store(out + po, c1, 16);
    v128.store(out + po, c2, 32);
    v128.store(out + po, c3, 48);
  }
  for (; p < k; p += 4) {
    const t = min(k - p, 4);
    const po = (<usize>p) << 2;
    let c0 = f32x4.splat(0);
    let pd = d;
    const rf = t === 4 ? m : fullRows(m, k, p);
    const aMid = a + <usize>rf * lda;
    let pa = a + po;
    for (; pa < aMid + po; pa += lda) {
      c0 = V.mac(c0, v128.load(pa), v128.load32_splat(pd));
      pd += 4;
    }
    for (; pa < aEnd + po; pa += lda) {
      c0 = V.mac(c0, V.load3(pa, t), v128.load32_splat(pd));
      pd += 4;
    }
    V.storeN(out + po, c0, t);
  }
}

/** biasOut[j] = sum over r = 0..m-1 (in order) of d[r][j]. */
function columnSums(out: usize, d: usize, m: i32, n: i32): void {
  const ldd = (<usize>n) << 2;
  const dEnd = d + <usize>m * ldd;
  let j = 0;
  for (; j + 16 <= n; j += 16) {
    const jo = (<usize>j) << 2;
    let c0 = f32x4.splat(0);
    let c1 = c0;
    let c2 = c0;
    let c3 = c0;
    for (let pd = d + jo; pd < dEnd + jo; pd += ldd) {
      c0 = f32x4.add(c0, v128.load(pd));
      c1 = f32x4.add(c1, v128.load(pd, 16));
      c2 = f32x4.add(c2, v128.load(pd, 32));
      c3 = f32x4.add(c3, v128.load(pd, 48));
    }
    v128.store(out + jo, c0);
    v128.store(out + jo, c1, 16);
    v128.store(out + jo, c2, 32);
    v128.store(out + jo, c3, 48);
  }
  for (; j < n; j += 4) {
    const t = min(n - j, 4);
    const jo = (<usize>j) << 2;
    const rf = t === 4 ? m : fullRows(m, n, j);
    let c0 = f32x4.splat(0);
    let pd = d + jo;
    const dMid = d + <usize>rf * ldd + jo;
    for (; pd < dMid; pd += ldd) c0 = f32x4.add(c0, v128.load(pd));
    for (; pd < dEnd + jo; pd += ldd) c0 = f32x4.add(c0, V.load3(pd, t));
    V.storeN(out + jo, c0, t);
  }
}

/**
 * `out[k x n] = a[m x k]^T d[m x n]` and `biasOut[n] = column sums of d`, overwriting both. Every element is a
 * float32 sum of its products (or of d's entries) added in row order r = 0..m-1, starting from +0.
 */
export function gemmTnBias(out: usize, biasOut: usize, a: usize, d: usize, m: i32, k: i32, n: i32): void {
  if (n <= 0) return;
  if (m <= 0) {
    if (k > 0) memory.fill(out, 0, (<usize>k * <usize>n) << 2);
    memory.fill(biasOut, 0, (<usize>n) << 2);
    return;
  }
  columnSums(biasOut, d, m, n);
  if (k <= 0) return;
  if (n === 1) {
    tnColumn(out, a, d, m, k);
    return;
  }
  const ldo = (<usize>n) << 2;
  const lda = (<usize>k) << 2;
  const rFullAll = fullRows(m, n, n & ~3);
  for (let r0 = 0; r0 < m; r0 += MC) {
    const mc = min(m - r0, MC);
    const first = r0 === 0;
    const ar = a + <usize>r0 * lda;
    const dr = d + <usize>r0 * ldo;
    const rFull = rFullAll - r0;
    let p = 0;
    for (; p + 4 <= k; p += 4) tnBlock4(out + <usize>p * ldo, ar + ((<usize>p) << 2), dr, first, mc, lda, n, rFull);
    for (; p < k; p++) tnBlock1(out + <usize>p * ldo, ar + ((<usize>p) << 2), dr, first, mc, lda, n, rFull);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// gemmNt: out[m x k] = d[m x n] b[k x n]^T

/**
 * The dot products of rows d0, d1 with rows b0..b3 (length n): lane-wise partial sums over whole vectors, then the
 * zero-padded tail vector, then V.sum4. Writes out0[0..4) and out1[0..4).
 */
function ntBlock2x4(o0: usize, o1: usize, d0: usize, d1: usize, b0: usize, ldb: usize, n4: usize, t: i32): void {
  const b1 = b0 + ldb;
  const b2 = b1 + ldb;
  const b3 = b2 + ldb;
  let c00 = f32x4.splat(0);
  let c01 = c00;
  let c02 = c00;
  let c03 = c00;
  let c10 = c00;
  let c11 = c00;
  let c12 = c00;
  let c13 = c00;
  for (let off: usize = 0; off < n4; off += 16) {
    const x0 = v128.load(d0 + off);
    const x1 = v128.load(d1 + off);
    let w = v128.load(b0 + off);
    c00 = V.mac(c00, x0, w);
    c10 = V.mac(c10, x1, w);
    w = v128.load(b1 + off);
    c01 = V.mac(c01, x0, w);
    c11 = V.mac(c11, x1, w);
    w = v128.load(b2 + off);
    c02 = V.mac(c02, x0, w);
    c12 = V.mac(c12, x1, w);
    w = v128.load(b3 + off);
    c03 = V.mac(c03, x0, w);
    c13 = V.mac(c13, x1, w);
  }
  if (t > 0) {
    const x0 = V.load3(d0 + n4, t);
    const x1 = V.load3(d1 + n4, t);
    let w = V.load3(b0 + n4, t);
    c00 = V.mac(c00, x0, w);
    c10 = V.mac(c10, x1, w);
    w = V.load3(b1 + n4, t);
    c01 = V.mac(c01, x0, w);
    c11 = V.mac(c11, x1, w);
    w = V.load3(b2 + n4, t);
    c02 = V.mac(c02, x0, w);
    c12 = V.mac(c12, x1, w);
    w = V.load3(b3 + n4, t);
    c03 = V.mac(c03, x0, w);
    c13 = V.mac(c13, x1, w);
  }
  v128.store(o0, V.sum4(c00, c01, c02, c03));
  v128.store(o1, V.sum4(c10, c11, c12, c13));
}

/** One row of d against rows b0..b0+pr-1 (pr = 1..4), same arithmetic as ntBlock2x4. */
function ntBlock1(o: usize, d0: usize, b0: usize, ldb: usize, n4: usize, t: i32, pr: i32): void {
  const b1 = pr > 1 ? b0 + ldb : b0;
  const b2 = pr > 2 ? b1 + ldb : b0;
  const b3 = pr > 3 ? b2 + ldb : b0;
  let c0 = f32x4.splat(0);
  let c1 = c0;
  let c2 = c0;
  let c3 = c0;
  for (let off: usize = 0; off < n4; off += 16) {
    const x0 = v128.load(d0 + off);
    c0 = V.mac(c0, x0, v128.load(b0 + off));
    c1 = V.mac(c1, x0, v128.load(b1 + off));
    c2 = V.mac(c2, x0, v128.load(b2 + off));
    c3 = V.mac(c3, x0, v128.load(b3 + off));
  }
  if (t > 0) {
    const x0 = V.load3(d0 + n4, t);
    c0 = V.mac(c0, x0, V.load3(b0 + n4, t));
    c1 = V.mac(c1, x0, V.load3(b1 + n4, t));
    c2 = V.mac(c2, x0, V.load3(b2 + n4, t));
    c3 = V.mac(c3, x0, V.load3(b3 + n4, t));
  }
  V.storeN(o, V.sum4(c0, c1, c2, c3), pr);
}

/**
 * `out[m x k] = d[m x n] * b[k x n]^T`: out[r][p] is the dot product of rows d[r] and b[p], computed as four
 * lane-wise partial sums over j (whole vectors in order, then the zero-padded tail) combined as
 * `(s0 + s2) + (s1 + s3)`. For n === 1 that is exactly the product d[r][0] b[p][0].
 */
export function gemmNt(out: usize, d: usize, b: usize, m: i32, k: i32, n: i32): void {
  if (m <= 0 || k <= 0) return;
  const ldo = (<usize>k) << 2;
  if (n <= 0) {
    memory.fill(out, 0, <usize>m * ldo);
    return;
  }
  const ldd = (<usize>n) << 2;
  if (n === 1) {
    // Outer product d b^T, vectorised over p.
    const k4 = k & ~3;
    const t = k - k4;
    const tailOff = (<usize>k4) << 2;
    for (let r = 0; r < m; r++) {
      const x = v128.load32_splat(d + ((<usize>r) << 2));
      const o = out + <usize>r * ldo;
      for (let off: usize = 0; off < tailOff; off += 16) v128.store(o + off, f32x4.mul(x, v128.load(b + off)));
      if (t > 0) V.store3(o + tailOff, f32x4.mul(x, V.load3(b + tailOff, t)), t);
    }
    return;
  }
  const n4 = (<usize>n & ~3) << 2;
  const t = n & 3;
  for (let p0 = 0; p0 < k; p0 += PC) {
    const p1 = min(p0 + PC, k);
    let r = 0;
    for (; r + 2 <= m; r += 2) {
      const d0 = d + <usize>r * ldd;
      const o0 = out + <usize>r * ldo;
      let p = p0;
      for (; p + 4 <= p1; p += 4) {
        ntBlock2x4(o0 + ((<usize>p) << 2), o0 + ldo + ((<usize>p) << 2), d0, d0 + ldd, b + <usize>p * ldd, ldd, n4, t);
      }
      if (p < p1) {
        ntBlock1(o0 + ((<usize>p) << 2), d0, b + <usize>p * ldd, ldd, n4, t, p1 - p);
        ntBlock1(o0 + ldo + ((<usize>p) << 2), d0 + ldd, b + <usize>p * ldd, ldd, n4, t, p1 - p);
      }
    }
    if (r < m) {
      const d0 = d + <usize>r * ldd;
      const o0 = out + <usize>r * ldo;
      for (let p = p0; p < p1; p += 4) {
        ntBlock1(o0 + ((<usize>p) << 2), d0, b + <usize>p * ldd, ldd, n4, t, min(p1 - p, 4));
      }
    }
  }
}
