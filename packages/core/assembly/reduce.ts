import { V } from './simd';

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
