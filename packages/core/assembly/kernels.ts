/**
 * WebAssembly SIMD kernels for @shardprop/core, written in AssemblyScript (compiled by `scripts/build-wasm.mjs`).
 *
 * Every pointer is a byte address into the imported (shared) linear memory and every matrix is row-major float32,
 * with the same semantics as the TypeScript references in `src/kernels/gemm.ts`, `src/kernels/activations.ts`,
 * `src/optim/*.ts` (the updates, in float32) and `src/losses/loss.ts` (the loss gradients). Nothing here allocates, keeps state or touches memory outside the arguments, so
 * any number of threads can run these kernels at once over one shared memory.
 *
 * Determinism: the arithmetic that produces each output element depends only on the sizes that the element's
 * own sum runs over (k for gemmBias, n for gemmNt, m for gemmTnBias), never on which micro-kernel or tail path
 * computes it. So splitting the rows of gemmBias/gemmNt or the elements of an activation between threads gives
 * bit-for-bit the same values as one call over everything.
 *
 * Edge columns that are not a multiple of 4 are handled with partial vectors: lanes are loaded one by one
 * (`V.load3`) where a whole-vector load would read past the end of an operand, and stored one by one.
 * Whole-vector loads that run past the end of a *row* but stay inside the operand are used where they are
 * safe; the extra lanes are never stored.
 */

// ---------------------------------------------------------------------------------------------------------------
// Small helpers. AssemblyScript only accepts `@inline` on functions, which is not TypeScript syntax that Biome
// parses; on static methods it is both.

// biome-ignore lint/complexity/noStaticOnlyClass: AssemblyScript's @inline is only TypeScript-valid on methods.
class V {
  /** `acc + x * y`, lane-wise, rounding after the product and after the sum (no FMA: deterministic). */
  @inline static mac(acc: v128, x: v128, y: v128): v128 {
    return f32x4.add(acc, f32x4.mul(x, y));
  }

  /** Loads `t` (1..3) floats from `p` into the low lanes; the others are zero. Never reads past `p + 4t`. */
  @inline static load3(p: usize, t: i32): v128 {
    let v = f32x4.splat(0);
    v = v128.load32_lane(p, v, 0);
    if (t > 1) v = v128.load32_lane(p, v, 1, 4);
    if (t > 2) v = v128.load32_lane(p, v, 2, 8);
    return v;
  }

  /** Stores the low `t` (1..3) lanes of `v` at `p`. */
  @inline static store3(p: usize, v: v128, t: i32): void {
    v128.store32_lane(p, v, 0);
    if (t > 1) v128.store32_lane(p, v, 1, 4);
    if (t > 2) v128.store32_lane(p, v, 2, 8);
  }

  /** Loads `t` (1..4) floats: a whole vector when `t === 4`. */
  @inline static loadN(p: usize, t: i32): v128 {
    return t >= 4 ? v128.load(p) : V.load3(p, t);
  }

  @inline static storeN(p: usize, v: v128, t: i32): void {
    if (t >= 4) v128.store(p, v);
    else V.store3(p, v, t);
  }

  /** Horizontal sum `(x0 + x2) + (x1 + x3)`; `sum4` computes exactly this for four vectors at once. */
  @inline static hsum(x: v128): f32 {
    const s = f32x4.add(x, v128.shuffle<f32>(x, x, 2, 3, 0, 1));
    return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
  }

  /** `[hsum(a), hsum(b), hsum(c), hsum(d)]`, bit for bit. */
  @inline static sum4(a: v128, b: v128, c: v128, d: v128): v128 {
    const ab = f32x4.add(v128.shuffle<f32>(a, b, 0, 4, 1, 5), v128.shuffle<f32>(a, b, 2, 6, 3, 7));
    const cd = f32x4.add(v128.shuffle<f32>(c, d, 0, 4, 1, 5), v128.shuffle<f32>(c, d, 2, 6, 3, 7));
    return f32x4.add(v128.shuffle<f32>(ab, cd, 0, 1, 4, 5), v128.shuffle<f32>(ab, cd, 2, 3, 6, 7));
  }

  /**
   * e^x for four floats: Cody-Waite reduction x = n ln2 + r, |r| <= ln2/2, Cephes' degree-6 polynomial for e^r,
   * then scaling by 2^n in two halves so results underflow gradually to denormals and overflow to +Infinity like
   * the true function. Relative error about 1.5e-7 (a couple of float32 ulps); NaN propagates.
   */
  @inline static exp(x: v128): v128 {
    // pmax/pmin (one instruction each, unlike max/min) with x first keep NaN: pmax(x, lo) = x < lo ? lo : x.
    const xc = f32x4.pmin(f32x4.pmax(x, f32x4.splat(-104.0)), f32x4.splat(89.0));
    // n = round(x log2 e) by the 1.5 * 2^23 trick: adding it leaves n in the low mantissa bits (ties to even).
    const t = f32x4.add(f32x4.mul(xc, f32x4.splat(Mathf.LOG2E)), f32x4.splat(12582912.0));
    const fx = f32x4.sub(t, f32x4.splat(12582912.0));
    let r = f32x4.sub(xc, f32x4.mul(fx, f32x4.splat(0.693359375)));
    r = f32x4.sub(r, f32x4.mul(fx, f32x4.splat(-2.1219444e-4)));
    const z = f32x4.mul(r, r);
    let y = f32x4.add(f32x4.mul(f32x4.splat(1.98756915e-4), r), f32x4.splat(1.3981999507e-3));
    y = f32x4.add(f32x4.mul(y, r), f32x4.splat(8.3334519073e-3));
    y = f32x4.add(f32x4.mul(y, r), f32x4.splat(4.1665795894e-2));
    y = f32x4.add(f32x4.mul(y, r), f32x4.splat(1.6666665459e-1));
    y = f32x4.add(f32x4.mul(y, r), f32x4.splat(5.0000001201e-1));
    y = f32x4.add(f32x4.add(f32x4.mul(y, z), r), f32x4.splat(1.0));
    const n = i32x4.sub(t, f32x4.splat(12582912.0));
    const n1 = i32x4.shr_s(n, 1);
    const n2 = i32x4.sub(n, n1);
    const s1 = i32x4.shl(i32x4.add(n1, i32x4.splat(127)), 23);
    const s2 = i32x4.shl(i32x4.add(n2, i32x4.splat(127)), 23);
    return f32x4.mul(f32x4.mul(y, s1), s2);
  }

  /**
   * e^(x - m) for four floats x and a float m, with the difference taken exactly (in float64) rather than rounded to
   * float32: exp(hi) (1 + lo) where hi + lo = x - m. Keeps softmax's small probabilities accurate to ~1e-7.
   */
  @inline static expDiff(x: v128, m: v128): v128 {
    const dlo = f64x2.sub(f64x2.promote_low_f32x4(x), m);
    const dhi = f64x2.sub(f64x2.promote_low_f32x4(v128.shuffle<f32>(x, x, 2, 3, 0, 1)), m);
    const hlo = f32x4.demote_f64x2_zero(dlo);
    const hhi = f32x4.demote_f64x2_zero(dhi);
    const hi = v128.shuffle<f32>(hlo, hhi, 0, 1, 4, 5);
    const llo = f32x4.demote_f64x2_zero(f64x2.sub(dlo, f64x2.promote_low_f32x4(hlo)));
    const lhi = f32x4.demote_f64x2_zero(f64x2.sub(dhi, f64x2.promote_low_f32x4(hhi)));
    const lo = v128.shuffle<f32>(llo, lhi, 0, 1, 4, 5);
    const e = V.exp(hi);
    return f32x4.add(e, f32x4.mul(e, lo));
  }

  /** e^x - 1 for x < 0 (other lanes: anything): a degree-8 Taylor polynomial on [-0.5, 0), exp(x) - 1 below. */
  @inline static expm1Neg(x: v128): v128 {
    let p = f32x4.splat(<f32>(1.0 / 40320.0));
    p = f32x4.add(f32x4.mul(p, x), f32x4.splat(<f32>(1.0 / 5040.0)));
    p = f32x4.add(f32x4.mul(p, x), f32x4.splat(<f32>(1.0 / 720.0)));
    p = f32x4.add(f32x4.mul(p, x), f32x4.splat(<f32>(1.0 / 120.0)));
    p = f32x4.add(f32x4.mul(p, x), f32x4.splat(<f32>(1.0 / 24.0)));
    p = f32x4.add(f32x4.mul(p, x), f32x4.splat(<f32>(1.0 / 6.0)));
    p = f32x4.add(f32x4.mul(p, x), f32x4.splat(0.5));
    const small = f32x4.add(x, f32x4.mul(f32x4.mul(x, x), p));
    const big = f32x4.sub(V.exp(x), f32x4.splat(1.0));
    return v128.bitselect(small, big, f32x4.ge(x, f32x4.splat(-0.5)));
  }

  /** tanh: Cephes' odd polynomial for |x| < 0.625, `1 - 2 / (e^{2|x|} + 1)` above; computed on |x|, sign of x. */
  @inline static tanh(x: v128): v128 {
    const ax = f32x4.abs(x);
    const z = f32x4.mul(x, x);
    let p = f32x4.add(f32x4.mul(f32x4.splat(-5.70498872745e-3), z), f32x4.splat(2.06390887954e-2));
    p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-5.37397155531e-2));
    p = f32x4.add(f32x4.mul(p, z), f32x4.splat(1.33314422036e-1));
    p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-3.33332819422e-1));
    const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), ax), ax);
    const e = V.exp(f32x4.add(ax, ax));
    const big = f32x4.sub(f32x4.splat(1.0), f32x4.div(f32x4.splat(2.0), f32x4.add(e, f32x4.splat(1.0))));
    const r = v128.bitselect(big, small, f32x4.gt(ax, f32x4.splat(0.625)));
    return v128.or(r, v128.and(x, f32x4.splat(-0.0)));
  }

  /** `1 / (1 + e^-x)`: saturates to exactly 0 or 1 without producing NaN. */
  @inline static sigmoid(x: v128): v128 {
    return f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), V.exp(f32x4.neg(x))));
  }

  /** `x * s` computed in float64 and rounded once to float32 (what `Float32Array` element `*= s` does in JS). */
  @inline static scaleF64(x: v128, s: v128): v128 {
    const lo = f64x2.mul(f64x2.promote_low_f32x4(x), s);
    const hi = f64x2.mul(f64x2.promote_low_f32x4(v128.shuffle<f32>(x, x, 2, 3, 0, 1)), s);
    return v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
  }

  /** `g * (a * (1 - a))` in float64, rounded once: the JavaScript expression of the sigmoid derivative. */
  @inline static sigmoidGrad(g: v128, y: v128): v128 {
    const one = f64x2.splat(1.0);
    const ylo = f64x2.promote_low_f32x4(y);
    const yhi = f64x2.promote_low_f32x4(v128.shuffle<f32>(y, y, 2, 3, 0, 1));
    const glo = f64x2.promote_low_f32x4(g);
    const ghi = f64x2.promote_low_f32x4(v128.shuffle<f32>(g, g, 2, 3, 0, 1));
    const lo = f64x2.mul(glo, f64x2.mul(ylo, f64x2.sub(one, ylo)));
    const hi = f64x2.mul(ghi, f64x2.mul(yhi, f64x2.sub(one, yhi)));
    return v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
  }

  /** `g * (1 - a * a)` in float64, rounded once (tanh derivative). */
  @inline static tanhGrad(g: v128, y: v128): v128 {
    const one = f64x2.splat(1.0);
    const ylo = f64x2.promote_low_f32x4(y);
    const yhi = f64x2.promote_low_f32x4(v128.shuffle<f32>(y, y, 2, 3, 0, 1));
    const glo = f64x2.promote_low_f32x4(g);
    const ghi = f64x2.promote_low_f32x4(v128.shuffle<f32>(g, g, 2, 3, 0, 1));
    const lo = f64x2.mul(glo, f64x2.sub(one, f64x2.mul(ylo, ylo)));
    const hi = f64x2.mul(ghi, f64x2.sub(one, f64x2.mul(yhi, yhi)));
    return v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
  }

  /** Where `a <= 0`: `g * (a + 1)` in float64, rounded once (elu derivative, alpha 1); else g. */
  @inline static eluGrad(g: v128, y: v128): v128 {
    const one = f64x2.splat(1.0);
    const ylo = f64x2.promote_low_f32x4(y);
    const yhi = f64x2.promote_low_f32x4(v128.shuffle<f32>(y, y, 2, 3, 0, 1));
    const glo = f64x2.promote_low_f32x4(g);
    const ghi = f64x2.promote_low_f32x4(v128.shuffle<f32>(g, g, 2, 3, 0, 1));
    const lo = f64x2.mul(glo, f64x2.add(ylo, one));
    const hi = f64x2.mul(ghi, f64x2.add(yhi, one));
    const r = v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
    return v128.bitselect(r, g, f32x4.le(y, f32x4.splat(0)));
  }
}

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

// ---------------------------------------------------------------------------------------------------------------
// Activations. Codes follow ACTIVATIONS in src/model/activation-names.ts.

const ACT_SIGMOID: i32 = 0;
const ACT_TANH: i32 = 1;
const ACT_RELU: i32 = 2;
const ACT_LEAKY_RELU: i32 = 3;
const ACT_ELU: i32 = 4;
const ACT_SOFTMAX: i32 = 5;
const ACT_LINEAR: i32 = 6;

/** leakyRelu's negative slope (tf.leakyRelu's 0.2), applied in float64 like the TypeScript kernel. */
const LEAKY_ALPHA: f64 = 0.2;

/** One vector of an elementwise activation. */
function actVec(act: i32, x: v128): v128 {
  switch (act) {
    case ACT_SIGMOID:
      return V.sigmoid(x);
    case ACT_TANH:
      return V.tanh(x);
    case ACT_RELU:
      return v128.bitselect(f32x4.splat(0), x, f32x4.lt(x, f32x4.splat(0)));
    case ACT_LEAKY_RELU:
      return v128.bitselect(V.scaleF64(x, f64x2.splat(LEAKY_ALPHA)), x, f32x4.lt(x, f32x4.splat(0)));
    case ACT_ELU:
      return v128.bitselect(V.expm1Neg(x), x, f32x4.lt(x, f32x4.splat(0)));
    default:
      return x;
  }
}

/** Applies an elementwise activation to `count` floats at `z`; the tail goes through the same vector code. */
function elementwise(act: i32, z: usize, count: i32): void {
  const end = z + ((<usize>count) << 2);
  let p = z;
  // The switch sits outside the loops so each loop is straight-line vector code.
  switch (act) {
    case ACT_SIGMOID:
      for (; p + 16 <= end; p += 16) v128.store(p, V.sigmoid(v128.load(p)));
      break;
    case ACT_TANH:
      for (; p + 16 <= end; p += 16) v128.store(p, V.tanh(v128.load(p)));
      break;
    case ACT_ELU:
      for (; p + 16 <= end; p += 16) {
        const x = v128.load(p);
        v128.store(p, v128.bitselect(V.expm1Neg(x), x, f32x4.lt(x, f32x4.splat(0))));
      }
      break;
    default:
      for (; p + 16 <= end; p += 16) v128.store(p, actVec(act, v128.load(p)));
  }
  if (p < end) {
    const t = <i32>((end - p) >> 2);
    V.store3(p, actVec(act, V.load3(p, t)), t);
  }
}

/** Row-wise softmax over `rows x cols` floats at `z`: max, e^(z - max), sum in float64, scale by 1 / sum. */
function softmaxRows(z: usize, rows: i32, cols: i32): void {
  const c4 = (<usize>cols & ~3) << 2;
  const t = cols & 3;
  const ldz = (<usize>cols) << 2;
  for (let r = 0; r < rows; r++) {
    const o = z + <usize>r * ldz;
    let max = load<f32>(o);
    for (let j = 1; j < cols; j++) {
      const v = load<f32>(o + ((<usize>j) << 2));
      if (v > max) max = v;
    }
    const mv = f64x2.splat(<f64>max);
    let sum: f64 = 0;
    for (let off: usize = 0; off < c4; off += 16) {
      const e = V.expDiff(v128.load(o + off), mv);
      v128.store(o + off, e);
      sum += <f64>f32x4.extract_lane(e, 0);
      sum += <f64>f32x4.extract_lane(e, 1);
      sum += <f64>f32x4.extract_lane(e, 2);
      sum += <f64>f32x4.extract_lane(e, 3);
    }
    if (t > 0) {
      const e = V.expDiff(V.load3(o + c4, t), mv);
      V.store3(o + c4, e, t);
      sum += <f64>f32x4.extract_lane(e, 0);
      if (t > 1) sum += <f64>f32x4.extract_lane(e, 1);
      if (t > 2) sum += <f64>f32x4.extract_lane(e, 2);
    }
    const inv = f64x2.splat(1.0 / sum);
    for (let off: usize = 0; off < c4; off += 16) v128.store(o + off, V.scaleF64(v128.load(o + off), inv));
    if (t > 0) V.store3(o + c4, V.scaleF64(V.load3(o + c4, t), inv), t);
  }
}

/** `z <- act(z)` in place over `rows x cols` floats (the same contract as the TypeScript activationForward). */
export function activationForward(act: i32, z: usize, rows: i32, cols: i32): void {
  if (rows <= 0 || cols <= 0 || act === ACT_LINEAR) return;
  if (act === ACT_SOFTMAX) softmaxRows(z, rows, cols);
  else elementwise(act, z, rows * cols);
}

/** One vector of an elementwise activation's backward pass: dL/dz from g = dL/da and the outputs y. */
function gradVec(act: i32, g: v128, y: v128): v128 {
  switch (act) {
    case ACT_SIGMOID:
      return V.sigmoidGrad(g, y);
    case ACT_TANH:
      return V.tanhGrad(g, y);
    case ACT_RELU:
      return v128.bitselect(f32x4.splat(0), g, f32x4.le(y, f32x4.splat(0)));
    case ACT_LEAKY_RELU:
      return v128.bitselect(V.scaleF64(g, f64x2.splat(LEAKY_ALPHA)), g, f32x4.le(y, f32x4.splat(0)));
    case ACT_ELU:
      return V.eluGrad(g, y);
    default:
      return g;
  }
}

/**
 * `g <- dL/dz` in place from `g = dL/da` and the activation outputs `a` (`rows x cols` floats each). The
 * elementwise derivatives are evaluated in float64 and rounded once, exactly as the TypeScript kernel does, so
 * they match it bit for bit; softmax's row dot products too (sequential float64 sums).
 */
export function activationBackward(act: i32, g: usize, a: usize, rows: i32, cols: i32): void {
  if (rows <= 0 || cols <= 0 || act === ACT_LINEAR) return;
  if (act === ACT_SOFTMAX) {
    const ld = (<usize>cols) << 2;
    for (let r = 0; r < rows; r++) {
      const go = g + <usize>r * ld;
      const ao = a + <usize>r * ld;
      let dot: f64 = 0;
      for (let off: usize = 0; off < ld; off += 4) dot += <f64>load<f32>(go + off) * <f64>load<f32>(ao + off);
      for (let off: usize = 0; off < ld; off += 4) {
        const y = <f64>load<f32>(ao + off);
        store<f32>(go + off, <f32>(y * (<f64>load<f32>(go + off) - dot)));
      }
    }
    return;
  }
  const count = rows * cols;
  const end = (<usize>count) << 2;
  let off: usize = 0;
  switch (act) {
    case ACT_SIGMOID:
      for (; off + 16 <= end; off += 16) v128.store(g + off, V.sigmoidGrad(v128.load(g + off), v128.load(a + off)));
      break;
    case ACT_TANH:
      for (; off + 16 <= end; off += 16) v128.store(g + off, V.tanhGrad(v128.load(g + off), v128.load(a + off)));
      break;
    default:
      for (; off + 16 <= end; off += 16) v128.store(g + off, gradVec(act, v128.load(g + off), v128.load(a + off)));
  }
  if (off < end) {
    const t = <i32>((end - off) >> 2);
    V.store3(g + off, gradVec(act, V.load3(g + off, t), V.load3(a + off, t)), t);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Slot reduction (the float32 path of reduceSlots in @shardprop/worker-pool, bit for bit).

/**
 * For i in [from, to): `out[i] = (((s0[i] + s1[i]) + s2[i]) + ...) * scale`, the sums in float32 in slot order,
 * the product in float64 rounded once to float32. Slot s starts at `slots + s * slotLength * 4`. `out` is indexed
 * like a slot and may be slot 0 itself. The arithmetic of each element is independent of from/to.
 */
export function reduceSlots(
  slots: usize,
  slotCount: i32,
  slotLength: i32,
  out: usize,
  from: i32,
  to: i32,
  scale: f64,
): void {
  if (to <= from || slotCount <= 0) return;
  const stride = (<usize>slotLength) << 2;
  const sv = f64x2.splat(scale);
  const unit = scale === 1.0;
  let i = (<usize>from) << 2;
  const end = (<usize>to) << 2;
  for (; i + 64 <= end; i += 64) {
    let p = slots + i;
    let c0 = v128.load(p);
    let c1 = v128.load(p, 16);
    let c2 = v128.load(p, 32);
    let c3 = v128.load(p, 48);
    for (let s = 1; s < slotCount; s++) {
      p += stride;
      c0 = f32x4.add(c0, v128.load(p));
      c1 = f32x4.add(c1, v128.load(p, 16));
      c2 = f32x4.add(c2, v128.load(p, 32));
      c3 = f32x4.add(c3, v128.load(p, 48));
    }
    if (!unit) {
      c0 = V.scaleF64(c0, sv);
      c1 = V.scaleF64(c1, sv);
      c2 = V.scaleF64(c2, sv);
      c3 = V.scaleF64(c3, sv);
    }
    v128.store(out + i, c0);
    v128.store(out + i, c1, 16);
    v128.store(out + i, c2, 32);
    v128.store(out + i, c3, 48);
  }
  for (; i + 16 <= end; i += 16) {
    let p = slots + i;
    let c0 = v128.load(p);
    for (let s = 1; s < slotCount; s++) {
      p += stride;
      c0 = f32x4.add(c0, v128.load(p));
    }
    v128.store(out + i, unit ? c0 : V.scaleF64(c0, sv));
  }
  for (; i < end; i += 4) {
    let p = slots + i;
    let acc = load<f32>(p);
    for (let s = 1; s < slotCount; s++) {
      p += stride;
      acc += load<f32>(p);
    }
    store<f32>(out + i, <f32>(<f64>acc * scale));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Optimizer updates: the formulas of src/optim/*.ts, elementwise over [from, to), in float32.
//
// The TypeScript optimizers evaluate each formula in float64 and round once on store; these round after every
// operation (as tfjs's float32 tensor ops do), so the two differ by a few float32 ulps. Each element's arithmetic
// is the same whether it falls in a whole vector or in the partial vector at the end of the range (lane-wise IEEE
// operations, no FMA, no sums across elements), so any partition of [0, P) into ranges gives the same bits.
// Pointers are the slot bases (element 0 of the slot); `from`/`to` are element indices.

// biome-ignore lint/complexity/noStaticOnlyClass: AssemblyScript's @inline is only TypeScript-valid on methods.
class Opt {
  /** `p <- p + (-lr) g` on `t` (1..4) lanes at byte offset `o`. */
  @inline static sgd(p: usize, g: usize, o: usize, t: i32, c: v128): void {
    V.storeN(p + o, f32x4.add(f32x4.mul(c, V.loadN(g + o, t)), V.loadN(p + o, t)), t);
  }

  /** `acc <- mu acc + g`, then `p <- p + (-lr) acc` or, Nesterov, `p <- p + (-lr) (g + mu acc)`. */
  @inline static momentum(p: usize, g: usize, acc: usize, o: usize, t: i32, c: v128, mu: v128, nesterov: bool): void {
    const gv = V.loadN(g + o, t);
    const a = f32x4.add(f32x4.mul(mu, V.loadN(acc + o, t)), gv);
    V.storeN(acc + o, a, t);
    const d = nesterov ? f32x4.add(gv, f32x4.mul(a, mu)) : a;
    V.storeN(p + o, f32x4.add(f32x4.mul(c, d), V.loadN(p + o, t)), t);
  }

  /**
   * `m <- b1 m + (1 - b1) g`, `v <- b2 v + (1 - b2) g^2`, `p <- (p - decay p) - stepSize m / (sqrt(v ic2) + eps)`
   * with the bias corrections folded into stepSize = lr / (1 - b1^t) and ic2 = 1 / (1 - b2^t). `decay` is AdamW's
   * lr * weightDecay; with 0, `p - 0 p` is p exactly (finite p), so Adam needs no separate loop.
   */
  @inline static adam(
    p: usize,
    g: usize,
    m: usize,
    v: usize,
    o: usize,
    t: i32,
    b1: v128,
    omb1: v128,
    b2: v128,
    omb2: v128,
    stepSize: v128,
    ic2: v128,
    eps: v128,
    decay: v128,
  ): void {
    const gv = V.loadN(g + o, t);
    const mv = f32x4.add(f32x4.mul(b1, V.loadN(m + o, t)), f32x4.mul(omb1, gv));
    const vv = f32x4.add(f32x4.mul(b2, V.loadN(v + o, t)), f32x4.mul(omb2, f32x4.mul(gv, gv)));
    V.storeN(m + o, mv, t);
    V.storeN(v + o, vv, t);
    const pv = V.loadN(p + o, t);
    const step = f32x4.div(f32x4.mul(stepSize, mv), f32x4.add(f32x4.sqrt(f32x4.mul(vv, ic2)), eps));
    V.storeN(p + o, f32x4.sub(f32x4.sub(pv, f32x4.mul(decay, pv)), step), t);
  }

  /**
   * RMSprop as rmsprop.ts: `ms <- rho ms + (1 - rho) g^2`; centered, `mg <- rho mg + (1 - rho) g` and the
   * denominator `sqrt(max(ms - mg^2, 0) + eps)`, else `sqrt(ms + eps)`; `d = g lr / denominator`; with momentum,
   * `mom <- mu mom + d` and `p <- p - mom`, else `p <- p - d`. f32x4.max propagates NaN, as Math.max does.
   */
  @inline static rmsprop(
    p: usize,
    g: usize,
    ms: usize,
    mom: usize,
    mg: usize,
    o: usize,
    t: i32,
    hasMom: bool,
    centered: bool,
    lr: v128,
    rho: v128,
    omr: v128,
    mu: v128,
    eps: v128,
  ): void {
    const gv = V.loadN(g + o, t);
    const msv = f32x4.add(f32x4.mul(rho, V.loadN(ms + o, t)), f32x4.mul(omr, f32x4.mul(gv, gv)));
    V.storeN(ms + o, msv, t);
    let den: v128;
    if (centered) {
      const mgv = f32x4.add(f32x4.mul(rho, V.loadN(mg + o, t)), f32x4.mul(omr, gv));
      V.storeN(mg + o, mgv, t);
      const variance = f32x4.sub(msv, f32x4.mul(mgv, mgv));
      den = f32x4.sqrt(f32x4.add(f32x4.max(variance, f32x4.splat(0)), eps));
    } else {
      den = f32x4.sqrt(f32x4.add(msv, eps));
    }
    let d = f32x4.div(f32x4.mul(gv, lr), den);
    if (hasMom) {
      d = f32x4.add(f32x4.mul(mu, V.loadN(mom + o, t)), d);
      V.storeN(mom + o, d, t);
    }
    V.storeN(p + o, f32x4.sub(V.loadN(p + o, t), d), t);
  }

  /** The rmsprop range loop; inlined with constant flags, so each variant is straight-line vector code. */
  @inline static rmspropRange(
    p: usize,
    g: usize,
    ms: usize,
    mom: usize,
    mg: usize,
    from: i32,
    to: i32,
    hasMom: bool,
    centered: bool,
    lr: v128,
    rho: v128,
    omr: v128,
    mu: v128,
    eps: v128,
  ): void {
    let o = (<usize>from) << 2;
    const end = (<usize>to) << 2;
    for (; o + 16 <= end; o += 16) Opt.rmsprop(p, g, ms, mom, mg, o, 4, hasMom, centered, lr, rho, omr, mu, eps);
    if (o < end) Opt.rmsprop(p, g, ms, mom, mg, o, <i32>((end - o) >> 2), hasMom, centered, lr, rho, omr, mu, eps);
  }
}

/** SGD (sgd.ts): `p <- p + (-lr) g` for elements [from, to). */
export function sgdUpdate(params: usize, grads: usize, from: i32, to: i32, lr: f32): void {
  const c = f32x4.splat(-lr);
  let o = (<usize>from) << 2;
  const end = (<usize>to) << 2;
  for (; o + 16 <= end; o += 16) Opt.sgd(params, grads, o, 4, c);
  if (o < end) Opt.sgd(params, grads, o, <i32>((end - o) >> 2), c);
}

/** Momentum SGD (momentum.ts), classic or Nesterov; `accum` is the state's one slot. */
export function momentumUpdate(
  params: usize,
  grads: usize,
  accum: usize,
  from: i32,
  to: i32,
  lr: f32,
  momentum: f32,
  nesterov: bool,
): void {
  const c = f32x4.splat(-lr);
  const mu = f32x4.splat(momentum);
  let o = (<usize>from) << 2;
  const end = (<usize>to) << 2;
  if (nesterov) {
    for (; o + 16 <= end; o += 16) Opt.momentum(params, grads, accum, o, 4, c, mu, true);
    if (o < end) Opt.momentum(params, grads, accum, o, <i32>((end - o) >> 2), c, mu, true);
  } else {
    for (; o + 16 <= end; o += 16) Opt.momentum(params, grads, accum, o, 4, c, mu, false);
    if (o < end) Opt.momentum(params, grads, accum, o, <i32>((end - o) >> 2), c, mu, false);
  }
}

/**
 * Adam and AdamW (adam.ts): `m`, `v` are the state's two slots; `stepSize = lr / (1 - beta1^t)`,
 * `invCorrection2 = 1 / (1 - beta2^t)`, `decay = lr * weightDecay` (0: Adam). The caller computes these and
 * `1 - beta` in float64 and rounds each once (as tfjs makes its scalars): `1 - beta1` in float32 would be off by
 * ulps of 0.1.
 */
export function adamUpdate(
  params: usize,
  grads: usize,
  m: usize,
  v: usize,
  from: i32,
  to: i32,
  beta1: f32,
  oneMinusBeta1: f32,
  beta2: f32,
  oneMinusBeta2: f32,
  epsilon: f32,
  stepSize: f32,
  invCorrection2: f32,
  decay: f32,
): void {
  const b1 = f32x4.splat(beta1);
  const omb1 = f32x4.splat(oneMinusBeta1);
  const b2 = f32x4.splat(beta2);
  const omb2 = f32x4.splat(oneMinusBeta2);
  const ss = f32x4.splat(stepSize);
  const ic2 = f32x4.splat(invCorrection2);
  const eps = f32x4.splat(epsilon);
  const dc = f32x4.splat(decay);
  let o = (<usize>from) << 2;
  const end = (<usize>to) << 2;
  for (; o + 16 <= end; o += 16) Opt.adam(params, grads, m, v, o, 4, b1, omb1, b2, omb2, ss, ic2, eps, dc);
  if (o < end) Opt.adam(params, grads, m, v, o, <i32>((end - o) >> 2), b1, omb1, b2, omb2, ss, ic2, eps, dc);
}

/**
 * RMSprop (rmsprop.ts): `ms`, `mom`, `mg` are the slots the caller found in the state (`mom` is read only when
 * momentum > 0, `mg` only when centered).
 */
export function rmspropUpdate(
  params: usize,
  grads: usize,
  ms: usize,
  mom: usize,
  mg: usize,
  from: i32,
  to: i32,
  lr: f32,
  rho: f32,
  oneMinusRho: f32,
  momentum: f32,
  epsilon: f32,
  centered: bool,
): void {
  const l = f32x4.splat(lr);
  const r = f32x4.splat(rho);
  const omr = f32x4.splat(oneMinusRho);
  const mu = f32x4.splat(momentum);
  const eps = f32x4.splat(epsilon);
  const hasMom = momentum > 0;
  if (centered) {
    if (hasMom) Opt.rmspropRange(params, grads, ms, mom, mg, from, to, true, true, l, r, omr, mu, eps);
    else Opt.rmspropRange(params, grads, ms, mom, mg, from, to, false, true, l, r, omr, mu, eps);
  } else if (hasMom) Opt.rmspropRange(params, grads, ms, mom, mg, from, to, true, false, l, r, omr, mu, eps);
  else Opt.rmspropRange(params, grads, ms, mom, mg, from, to, false, false, l, r, omr, mu, eps);
}

// ---------------------------------------------------------------------------------------------------------------
// Fused loss gradients (src/losses/loss.ts), in float64 exactly as the TypeScript loops: the same operations in the
// same order, each output rounded once to float32, so dz is bit for bit the TypeScript one and so is the loss sum.
// They run over rows x outputs values (32 for the seed network), so they are cheap either way.

/** meanSquaredError over `n` values (`cols` per row): `dz = (2 / cols)(a - y)`; returns `sum (a - y)^2 / cols`. */
export function mseGradient(a: usize, y: usize, dz: usize, n: i32, cols: i32): f64 {
  const scale = 2.0 / <f64>cols;
  const sv = f64x2.splat(scale);
  let sum: f64 = 0;
  let o: usize = 0;
  const end = (<usize>n) << 2;
  // Two values at a time: float64 lanes, each exactly the scalar operation.
  for (; o + 8 <= end; o += 8) {
    const diff = f64x2.sub(
      f64x2.promote_low_f32x4(v128.load64_zero(a + o)),
      f64x2.promote_low_f32x4(v128.load64_zero(y + o)),
    );
    const sq = f64x2.mul(diff, diff);
    sum += f64x2.extract_lane(sq, 0); // in element order, as the TypeScript loop adds
    sum += f64x2.extract_lane(sq, 1);
    v128.store64_lane(dz + o, f32x4.demote_f64x2_zero(f64x2.mul(sv, diff)), 0);
  }
  if (o < end) {
    const diff = <f64>load<f32>(a + o) - <f64>load<f32>(y + o);
    sum += diff * diff;
    store<f32>(dz + o, <f32>(scale * diff));
  }
  return sum / <f64>cols;
}

/** Keras's clip bounds, rounded to float32 as Keras and tfjs compute them (CLIP_LO / CLIP_HI in loss.ts). */
const CLIP_LO: f64 = <f64>(<f32>1e-7);
const CLIP_HI: f64 = <f64>(<f32>(1 - 1e-7));

/**
 * binaryCrossentropy over `n` values (`cols` per row), p = clip(a, 1e-7, 1 - 1e-7); returns
 * `-sum (y log p + (1 - y) log(1 - p)) / cols`. Fused with a sigmoid output (`fused`): `dz = (a - y) / cols`;
 * otherwise `dz = dL/da = (p - y) / (p (1 - p) cols)`, for the caller's activation backward pass.
 */
export function bceGradient(a: usize, y: usize, dz: usize, n: i32, cols: i32, fused: bool): f64 {
  const c = <f64>cols;
  let sum: f64 = 0;
  const end = (<usize>n) << 2;
  for (let o: usize = 0; o < end; o += 4) {
    const t = <f64>load<f32>(y + o);
    const av = <f64>load<f32>(a + o);
    const p = clipP(av);
    sum -= t * logF64(p) + (1 - t) * logF64(1 - p);
    store<f32>(dz + o, <f32>(fused ? (av - t) / c : (p - t) / (p * (1 - p) * c)));
  }
  return sum / c;
}

/**
 * Natural logarithm, fdlibm's `__ieee754_log` (the algorithm of V8's Math.log, base/ieee754.cc) transcribed
 * operation for operation: float64, correctly rounded in nearly all cases, no tables (the module has no data).
 */
function logF64(xIn: f64): f64 {
  // fdlibm's constants, each written as the shortest decimal of the same double.
  const ln2Hi: f64 = 0.6931471803691238; // 0x3fe62e42fee00000
  const ln2Lo: f64 = 1.9082149292705877e-10; // 0x3dea39ef35793c76
  const two54: f64 = 18014398509481984; // 2^54
  const third: f64 = 0.3333333333333333; // fdlibm's 0.33333333333333333
  const Lg1: f64 = 0.6666666666666735;
  const Lg2: f64 = 0.3999999999940942;
  const Lg3: f64 = 0.2857142874366239;
  const Lg4: f64 = 0.22222198432149784;
  const Lg5: f64 = 0.1818357216161805;
  const Lg6: f64 = 0.15313837699209373;
  const Lg7: f64 = 0.14798198605116586;
  let x = xIn;
  let bits = reinterpret<u64>(x);
  let hx = <i32>(bits >> 32);
  const lx = <u32>bits;
  let k: i32 = 0;
  if (hx < 0x00100000) {
    if (((hx & 0x7fffffff) | lx) === 0) return -Infinity; // log(+-0)
    if (hx < 0) return NaN; // log(negative)
    k -= 54; // subnormal: scale up
    x *= two54;
    bits = reinterpret<u64>(x);
    hx = <i32>(bits >> 32);
  }
  if (hx >= 0x7ff00000) return x + x; // Infinity or NaN
  k += (hx >> 20) - 1023;
  hx &= 0x000fffff;
  const i0 = (hx + 0x95f64) & 0x100000;
  // Normalise x into [sqrt(2)/2, sqrt(2)): the high word becomes hx | (i0 ^ 0x3ff00000).
  x = reinterpret<f64>(((<u64>(<u32>(hx | (i0 ^ 0x3ff00000)))) << 32) | (bits & 0xffffffff));
  k += i0 >> 20;
  const f = x - 1.0;
  const dk = <f64>k;
  if ((0x000fffff & (2 + hx)) < 3) {
    // |f| < 2^-20
    if (f === 0) return k === 0 ? 0 : dk * ln2Hi + dk * ln2Lo;
    const r = f * f * (0.5 - third * f);
    return k === 0 ? f - r : dk * ln2Hi - (r - dk * ln2Lo - f);
  }
  const s = f / (2.0 + f);
  const z = s * s;
  const w = z * z;
  const i = (hx - 0x6147a) | (0x6b851 - hx);
  const t1 = w * (Lg2 + w * (Lg4 + w * Lg6));
  const t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
  const r = t2 + t1;
  if (i > 0) {
    const hfsq = 0.5 * f * f;
    return k === 0 ? f - (hfsq - s * (hfsq + r)) : dk * ln2Hi - (hfsq - (s * (hfsq + r) + dk * ln2Lo) - f);
  }
  return k === 0 ? f - s * (f - r) : dk * ln2Hi - (s * (f - r) - dk * ln2Lo - f);
}

/**
 * categoricalCrossentropy over `rows` rows of `cols` classes (targets one-hot or soft), or with `sparse` its
 * sparse form (`y` holds one class index per row, checked by the caller). As loss.ts: the output is normalised by
 * its row sum before clipping; fused with softmax (`fused`), `dz = p sum(t) - t`, otherwise `dz = dL/da`. Returns
 * the summed loss.
 */
export function cceGradient(a: usize, y: usize, dz: usize, rows: i32, cols: i32, fused: bool, sparse: bool): f64 {
  const ld = (<usize>cols) << 2;
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const ao = a + <usize>r * ld;
    const go = dz + <usize>r * ld;
    let aSum: f64 = 0;
    for (let o: usize = 0; o < ld; o += 4) aSum += <f64>load<f32>(ao + o);
    if (sparse) {
      const label = <i32>load<f32>(y + ((<usize>r) << 2));
      total -= logF64(clipP(<f64>load<f32>(ao + ((<usize>label) << 2)) / aSum));
      for (let j = 0; j < cols; j++) {
        const o = (<usize>j) << 2;
        const av = <f64>load<f32>(ao + o);
        const t: f64 = j === label ? 1 : 0;
        store<f32>(go + o, <f32>(fused ? av - t : 1 / aSum - t / av));
      }
    } else {
      const yo = y + <usize>r * ld;
      let ySum: f64 = 0;
      for (let o: usize = 0; o < ld; o += 4) ySum += <f64>load<f32>(yo + o);
      for (let o: usize = 0; o < ld; o += 4) {
        const av = <f64>load<f32>(ao + o);
        const t = <f64>load<f32>(yo + o);
        if (t !== 0) total -= t * logF64(clipP(av / aSum));
        store<f32>(go + o, <f32>(fused ? av * ySum - t : ySum / aSum - t / av));
      }
    }
  }
  return total;
}

/** `min(max(p, 1e-7), 1 - 1e-7)` with float32 bounds, NaN propagating (clipP in loss.ts). */
function clipP(p: f64): f64 {
  return min(max(p, CLIP_LO), CLIP_HI);
}
