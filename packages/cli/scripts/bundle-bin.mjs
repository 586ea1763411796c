// Bundles the `shardprop` command (dist/entry.js, after `tsc -b`) with its imports into one file, dist/bin.js (with
// a source map), which package.json's `bin` names; what it loads only on demand (the ONNX writer with protobufjs,
// the Arrow and Parquet readers) goes into files of their own under dist/bin-chunks/, loaded when first used.
//
// Why: every command starts by loading its modules, and one by one they were most of its start-up: zod alone is
// about 285 ES modules, commander, csv-parse and ours about 400 more. Measured in turns on the 2-core VM,
// `shardprop --version` took 400-560 ms unbundled and 310-400 ms with the third-party modules bundled (Node itself:
// 110-150 ms then); bundling our own packages as well took it from 267 to 217 ms (medians of 8 rounds in turns,
// apps/bench/results/2026-12-03-cli-bundle-ab-vm.txt).
// Two things stay imports: Node's modules, and piscina, which starts its threads from a file of its own package
// (so the CLI depends on it directly). Core finds its worker files in the installed @shardprop/core
// (core/src/parallel/worker-files.ts).
import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const dist = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'dist');

rmSync(join(dist, 'bin-chunks'), { recursive: true, force: true });
await build({
  input: join(dist, 'entry.js'),
  platform: 'node',
  logLevel: 'warn',
  external: [/^node:/, 'piscina'],
  output: {
    dir: dist,
    entryFileNames: 'bin.js',
    chunkFileNames: 'bin-chunks/[name]-[hash].js',
    format: 'esm',
    sourcemap: true,
  },
});
