// The slot tree: two "threads" (here, turns of one loop) each pre-sum the slots they wrote, then the mean is read
// from the partial sums, with the same bits as one thread summing every slot.
import { presumSlotRun, reduceSlotTree, slotRun, slotTreeScratchLength } from '@shardprop/worker-pool';

const slotCount = 8;
const slotLength = 1000;
const threads = 2;
const slots = new Float32Array(slotCount * slotLength).map((_, i) => Math.sin(i) * 10 ** (i % 5));
const scratch = new Float32Array(slotTreeScratchLength(slotCount)); // one per thread in a real run

// One thread, nothing pre-summed (runs = slotCount).
const once = new Float32Array(slotLength);
reduceSlotTree(slots, slotCount, slotLength, slotCount, once, 0, slotLength, 1 / slotCount, scratch);

// Each thread pre-sums its own run of slots, where they lie; after a barrier, each reduces its range of elements.
for (let t = 0; t < threads; t++) {
  const run = slotRun(slotCount, threads, t);
  presumSlotRun(slots, slotCount, slotLength, run.from, run.to, scratch);
}
const mean = new Float32Array(slotLength);
reduceSlotTree(slots, slotCount, slotLength, threads, mean, 0, 500, 1 / slotCount, scratch);
reduceSlotTree(slots, slotCount, slotLength, threads, mean, 500, slotLength, 1 / slotCount, scratch);

const same = mean.every((v, i) => Object.is(v, once[i]));
console.log(`same bits as one thread: ${same}`);
