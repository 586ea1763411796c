// Piscina task for bench/barrier.mjs: does nothing, so a run() measures the pool's round trip alone.
export default function () {
  return 0;
}
