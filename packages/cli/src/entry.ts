#!/usr/bin/env node
// The shardprop command. The build bundles it with its third-party modules into dist/bin.js (scripts/bundle-bin.mjs),
// the file package.json's `bin` names.
import { main } from './main.js';

// A closed pipe (e.g. `shardprop predict ... | head`) ends the output quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    // The terminal went away (SIGHUP): keep running without it, so that training still checkpoints and exits.
    if (error.code === 'EIO') return;
    throw error;
  });
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`shardprop: error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
