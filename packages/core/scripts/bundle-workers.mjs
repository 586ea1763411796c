// Bundles each worker thread's entry (dist/parallel/worker.js for fitParallel, dist/parallel/tune-worker.js for
// tune) with its imports into one file, dist/parallel/<name>.bundle.js (with a source map), after `tsc -b`.
//
// Why: a worker loads its code itself, in a fresh isolate. Loading the ~140 compiled modules one by one took
// about 45 ms of each worker's start, on top of Node's own 50 ms; one file loads in about 10 ms (measured:
// tune's worker ready in 95-102 ms unbundled, 60-62 ms bundled). A data-parallel run starts its workers on every
// call, and a process's first search its own, so this is paid by every short run. The modules stay as they are
// for the main thread.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const dist = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'dist', 'parallel');

for (const name of ['worker', 'tune-worker']) {
  const input = join(dist, `${name}.js`);
  if (!existsSync(input)) throw new Error(`bundle-workers: ${input} is missing (run tsc -b first)`);
  await build({
    input,
    platform: 'node',
    logLevel: 'warn',
    output: { file: join(dist, `${name}.bundle.js`), format: 'esm', sourcemap: true },
  });
}
