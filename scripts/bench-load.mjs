#!/usr/bin/env node
/**
 * Loading benchmark: how fast `shardprop` reads a numeric CSV into typed columns, on worker threads ("parallel",
 * the CLI's default from 4 cores) and on one thread ("fast"), beside csv-parse alone (the reader before the byte-level fast
 * path, still the path for quoted files) and pandas' read_csv (skipped where pandas is absent). Each measurement
 * runs in a fresh process, readers interleaved, and reports wall time, MB/s, rows/s and the process's peak RSS;
 * the table shows the median and the range. With --train, it also times `shardprop train --epochs 1 --batch-size
 * 256` end to end on the files of --train-rows (default: the 1M-row one) and reports the time spent outside the
 * epoch (start-up, loading, encoding, metrics, checkpoint) and the run's peak RSS.
 *
 *   node scripts/bench-load.mjs [--rows 100000,1000000,3000000] [--cols 40] [--repeats 3] [--dir bench-data]
 *                               [--readers parallel,fast,csv-parse,pandas] [--train] [--train-rows 1000000] [--json]
 *
 * The files are generated on first use into --dir (git-ignored; 1M x 40 is about 380 MB) and reused after.
 * Needs a build first (`npx --yes pnpm@10.34.9 run build`).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: flags } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000,1000000,3000000' },
    cols: { type: 'string', default: '40' },
    repeats: { type: 'string', default: '3' },
    dir: { type: 'string', default: join(root, 'bench-data') },
    readers: { type: 'string', default: 'parallel,fast,csv-parse,pandas' },
    train: { type: 'boolean', default: false },
    'train-rows': { type: 'string', default: '1000000' },
    json: { type: 'boolean', default: false },
    // Internal: run one reader on one file in this process and print its measurement.
    measure: { type: 'string' },
    file: { type: 'string' },
  },
});

/** Reads `file` with `reader` in this process and prints { seconds, rows, maxRssBytes } as JSON. */
async function measure(reader, file) {
  const cli = await import(join(root, 'packages/cli/dist/index.js'));
  const read = reader === 'csv-parse' ? cli.readCsvParse : cli.readCsv;
  const start = process.hrtime.bigint();
  // "parallel" forces worker threads (one per core, at most 4, at least 2) even where the CLI's default reads on
  // one thread (below 4 cores), so that both are measured on any machine.
  const threads =
    reader === 'fast' ? 1 : reader === 'parallel' ? Math.max(2, Math.min(availableParallelism(), 4)) : undefined;
  const table = await read(file, { select: (header) => header, ...(threads !== undefined ? { threads } : {}) });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  process.stdout.write(
    JSON.stringify({ seconds, rows: table.rows, maxRssBytes: process.resourceUsage().maxRSS * 1024 }),
  );
}

const PANDAS = `
import json, resource, sys, time
import pandas
t = time.perf_counter()
df = pandas.read_csv(sys.argv[1])
s = time.perf_counter() - t
print(json.dumps({"seconds": s, "rows": len(df), "maxRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
`;

/** A python3 with pandas: the first on PATH, or Debian's (python3-pandas) when PATH has another python first. */
function pandasPython() {
  return ['python3', '/usr/bin/python3'].find(
    (python) => spawnSync(python, ['-c', 'import pandas'], { stdio: 'ignore' }).status === 0,
  );
}

/** A seeded numeric CSV: a header c1..cN, values with 6 decimals in [-1, 1) (about 9.5 bytes per value). */
async function generate(file, rows, cols) {
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.tmp`;
  const out = createWriteStream(temp);
  let state = 12345;
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 4294967296;
  };
  const write = (text) => (out.write(text) ? undefined : new Promise((r) => out.once('drain', r)));
  await write(`${Array.from({ length: cols }, (_, j) => `c${j + 1}`).join(',')}\n`);
  const lines = [];
  for (let r = 0; r < rows; r++) {
    const cells = new Array(cols);
    for (let j = 0; j < cols; j++) cells[j] = (next() * 2 - 1).toFixed(6);
    lines.push(cells.join(','));
    if (lines.length === 4096 || r === rows - 1) {
      await write(`${lines.join('\n')}\n`);
      lines.length = 0;
    }
  }
  await new Promise((r) => out.end(r));
  renameSync(temp, file);
}

/** `shardprop train --epochs 1` on `file`: wall seconds, the epoch's seconds, and the peak RSS (GNU time). */
function timeTrain(file) {
  const out = join(flags.dir, 'train-run');
  const bin = join(root, 'packages/cli/dist/bin.js');
  const args = ['train', '--data', file, '--epochs', '1', '--batch-size', '256', '--out', out, '--json'];
  const start = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, bin, ...args], { encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) throw new Error(`train on ${file} failed: ${r.stderr}`);
  const doc = JSON.parse(r.stdout);
  const epochSeconds = doc.history[0].msPerEpoch / 1000;
  const maxRssBytes = Number(r.stderr.trim().split('\n').at(-1)) * 1024;
  return { seconds, epochSeconds, outsideSeconds: seconds - epochSeconds, maxRssBytes };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main() {
  if (flags.measure) return measure(flags.measure, flags.file);
  const rowCounts = flags.rows.split(',').map(Number);
  const trainRows = flags['train-rows'].split(',').map(Number);
  const cols = Number(flags.cols);
  const repeats = Number(flags.repeats);
  let readers = flags.readers.split(',');
  const python = pandasPython();
  if (readers.includes('pandas') && !python) {
    console.error('pandas: not installed (python3 -c "import pandas" failed); skipped');
    readers = readers.filter((r) => r !== 'pandas');
  }
  const results = [];
  for (const rows of rowCounts) {
    const file = join(flags.dir, `numeric-${rows}x${cols}.csv`);
    if (!existsSync(file)) {
      console.error(`generating ${file} ...`);
      await generate(file, rows, cols);
    }
    const bytes = statSync(file).size;
    const runs = Object.fromEntries(readers.map((r) => [r, []]));
    for (let k = 0; k < repeats; k++) {
      for (const reader of readers) {
        const output =
          reader === 'pandas'
            ? execFileSync(python, ['-c', PANDAS, file], { encoding: 'utf8', maxBuffer: 1 << 20 })
            : execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--measure', reader, '--file', file], {
                encoding: 'utf8',
              });
        const m = JSON.parse(output);
        if (m.rows !== rows) throw new Error(`${reader} read ${m.rows} rows of ${file}, expected ${rows}`);
        runs[reader].push(m);
      }
    }
    if (flags.train && trainRows.includes(rows)) {
      const trains = Array.from({ length: repeats }, () => timeTrain(file));
      const outside = trains.map((t) => t.outsideSeconds);
      results.push({
        rows,
        cols,
        mb: bytes / 1e6,
        reader: 'train --epochs 1',
        seconds: { median: median(trains.map((t) => t.seconds)), min: 0, max: 0 },
        outsideEpochSeconds: { median: median(outside), min: Math.min(...outside), max: Math.max(...outside) },
        epochSeconds: median(trains.map((t) => t.epochSeconds)),
        peakRssMb: { median: median(trains.map((t) => t.maxRssBytes)) / 1e6 },
      });
    }
    for (const reader of readers) {
      const seconds = runs[reader].map((m) => m.seconds);
      const rss = runs[reader].map((m) => m.maxRssBytes);
      results.push({
        rows,
        cols,
        mb: bytes / 1e6,
        reader,
        seconds: { median: median(seconds), min: Math.min(...seconds), max: Math.max(...seconds) },
        mbPerSec: bytes / 1e6 / median(seconds),
        rowsPerSec: rows / median(seconds),
        peakRssMb: { median: median(rss) / 1e6, max: Math.max(...rss) / 1e6 },
        float32Mb: (rows * cols * 4) / 1e6,
      });
    }
  }
  if (flags.json) {
    console.log(JSON.stringify({ repeats, results }, null, 2));
    return;
  }
  console.log(`| rows x cols | MB | reader | s (median, range) | MB/s | rows/s | peak RSS MB | float32 MB |`);
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    if (r.outsideEpochSeconds) continue;
    console.log(
      `| ${r.rows} x ${r.cols} | ${r.mb.toFixed(0)} | ${r.reader} | ${r.seconds.median.toFixed(2)} (${r.seconds.min.toFixed(2)}-${r.seconds.max.toFixed(2)}) | ${r.mbPerSec.toFixed(0)} | ${Math.round(r.rowsPerSec)} | ${r.peakRssMb.median.toFixed(0)} | ${r.float32Mb.toFixed(0)} |`,
    );
  }
  console.log(`\n${repeats} runs each, interleaved, a fresh process per run (median, range).`);
  const trains = results.filter((r) => r.outsideEpochSeconds);
  if (trains.length > 0) {
    console.log(
      '\n| rows x cols | `train --epochs 1` s | epoch s | outside the epoch s (median, range) | peak RSS MB |',
    );
    console.log('|---|---|---|---|---|');
    for (const r of trains) {
      const o = r.outsideEpochSeconds;
      console.log(
        `| ${r.rows} x ${r.cols} | ${r.seconds.median.toFixed(2)} | ${r.epochSeconds.toFixed(2)} | ${o.median.toFixed(2)} (${o.min.toFixed(2)}-${o.max.toFixed(2)}) | ${r.peakRssMb.median.toFixed(0)} |`,
      );
    }
  }
}

await main();
