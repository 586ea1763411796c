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
