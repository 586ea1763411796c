// Bundles the `shardprop` command (dist/entry.js, after `tsc -b`) with its third-party imports into one file,
// dist/bin.js (with a source map), which package.json's `bin` names.
//
// Why: every command starts by loading its modules, and one by one they were most of its start-up: zod alone is
// about 285 ES modules, commander, csv-parse and ours about 400 more. Measured in turns on the 2-core VM,
// `shardprop --version` took 400-560 ms unbundled and 310-400 ms bundled (Node itself: 110-150 ms then).
// The @shardprop packages stay imports (they find their WebAssembly and worker files next to their own modules),
// and so does everything the CLI loads lazily (the ONNX writer, with protobufjs).
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const dist = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'dist');

await build({
  input: join(dist, 'entry.js'),
  platform: 'node',
  logLevel: 'warn',
  external: [/^@shardprop\//, /^node:/],
  output: { file: join(dist, 'bin.js'), format: 'esm', sourcemap: true },
});
