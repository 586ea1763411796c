// Before/after of whole `shardprop` processes between built checkouts, in turns:
//   node scripts/ab-cli.mjs ROUNDS DIR [DIR ...]
// Each round runs, from each checkout in turn, `shardprop --version` and bench:tune's search through
// `shardprop tune` (hidden layers 16 or 39,39, learning rate 0.1 or 0.5, batch 32, 3 folds, 20 epochs, on the
// built-in seed problem) with --threads 1 and 2, and prints the median and range of the wall times.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const [roundsArg, ...dirs] = process.argv.slice(2);
const rounds = Number(roundsArg);
if (!(Number.isInteger(rounds) && rounds >= 1) || dirs.length === 0) {
  console.error('usage: node scripts/ab-cli.mjs ROUNDS DIR [DIR ...]');
  process.exit(2);
}
const search = ['tune', '--layers', '16,1|39,39,1', '--lr', '0.1|0.5', '--batch-size', '32', '--folds', '3'];
const commands = {
  '--version': ['--version'],
  'tune, 1 thread': [...search, '--epochs', '20', '--threads', '1', '--json'],
  'tune, 2 threads': [...search, '--epochs', '20', '--threads', '2', '--json'],
};
const times = new Map();
for (let round = 0; round < rounds; round++) {
  for (const [name, args] of Object.entries(commands)) {
    for (const dir of dirs) {
      const out = mkdtempSync(join(tmpdir(), 'ab-cli-'));
      const argv = args[0] === 'tune' ? [...args, '--out', join(out, 'model')] : args;
      const started = performance.now();
      const run = spawnSync(process.execPath, [resolve(dir, 'packages/cli/dist/bin.js'), ...argv], {
        encoding: 'utf8',
      });
      const ms = performance.now() - started;
      rmSync(out, { recursive: true, force: true });
      if (run.status !== 0) throw new Error(`${dir}: shardprop ${name} failed: ${run.stderr}`);
      const key = `${name.padEnd(16)} ${dir}`;
      times.set(key, [...(times.get(key) ?? []), ms]);
    }
  }
}
console.log(`${rounds} rounds, in turns; wall ms of the whole process`);
for (const [key, v] of times) {
  v.sort((a, b) => a - b);
  console.log(
    `${key.padEnd(44)} median ${v[v.length >> 1].toFixed(0).padStart(5)}  range ${v[0].toFixed(0)}-${v.at(-1).toFixed(0)}`,
  );
}
