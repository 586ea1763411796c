#!/usr/bin/env node
// Writes the bundled default data set, data/seed.csv at the repository root (or the path given): the seed-sized
// problem of @shardprop/core's deterministic seedProblem (10,000 rows, 39 numeric features x1..x39, target y
// in (0, 1)), every value printed with 6 significant digits. `shardprop train` without --data trains on exactly
// these numbers, generated in memory. Needs the CLI built (pnpm build).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { seedCsv } from '../dist/seed.js';

const out = process.argv[2] ?? fileURLToPath(new URL('../../../data/seed.csv', import.meta.url));
const text = seedCsv();
writeFileSync(out, text);
console.log(`wrote ${out}: ${text.split('\n').length - 2} rows, ${(text.length / 1e6).toFixed(1)} MB`);
