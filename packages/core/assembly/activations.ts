import { V } from './simd';

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
