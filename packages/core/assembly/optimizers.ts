import { V } from './simd';

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
