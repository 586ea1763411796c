/**
 * SIMD helpers shared by every kernel module: partial-vector loads and stores, horizontal sums, and the vector
 * exp/tanh/sigmoid approximations and activation derivatives. All are `@inline`, so they cost no calls.
 */

// ---------------------------------------------------------------------------------------------------------------
// Small helpers. AssemblyScript only accepts `@inline` on functions, which is not TypeScript syntax that Biome
// parses; on static methods it is both.

// biome-ignore lint/complexity/noStaticOnlyClass: AssemblyScript's @inline is only TypeScript-valid on methods.
export class V {
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
