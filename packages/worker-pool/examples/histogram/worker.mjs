import { Barrier, partitionRange, reduceSlots, SharedArena } from '@shardprop/worker-pool';

export default function ({ arena, index, threads, bins }) {
  const { data, slots, hist, control } = SharedArena.fromDescription(arena).views;
  const mine = slots.subarray(index * bins, (index + 1) * bins);
  const rows = partitionRange(data.length, threads, index);
  for (let i = rows.from; i < rows.to; i++) mine[Math.floor(data[i] * bins)]++;
  new Barrier(control, { participants: threads }).wait(); // every partial histogram is complete
  const cols = partitionRange(bins, threads, index); // each worker sums its own share of the bins
  reduceSlots(slots, threads, bins, hist, cols.from, cols.to);
}
