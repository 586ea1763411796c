/**
 * Progress while reading, as a user sees it on a terminal: `script` gives the CLI a pseudo-terminal, and the bar
 * over the file's bytes appears for a CSV, a Parquet and an Arrow file of a few MB (and is cleared before the run
 * goes on). Skipped where util-linux's `script` is absent.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { BIN, lcg, tempDir } from './helpers.js';

const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

/** The CLI's terminal output (stdout and stderr together, as the terminal shows them) under a pseudo-terminal. */
function onTerminal(args: string[]): { code: number | null; screen: string } {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const r = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, screen: r.stdout };
}

describe.skipIf(!hasScript)('read progress on a terminal', () => {
  it('shows a bar over the bytes read for CSV, Parquet and Arrow files', () => {
    const dir = tempDir();
    const rows = 60_000;
    const next = lcg(7);
    const columns = { a: new Float64Array(rows), b: new Float64Array(rows), y: new Float64Array(rows) };
    for (let r = 0; r < rows; r++) {
      columns.a[r] = next();
      columns.b[r] = next();
      columns.y[r] = columns.a[r] + columns.b[r];
    }
    const csv = join(dir, 'big.csv');
    const lines = Array.from({ length: rows }, (_, r) => `${columns.a[r]},${columns.b[r]},${columns.y[r]}`);
    writeFileSync(csv, `a,b,y\n${lines.join('\n')}\n`);
    const parquet = join(dir, 'big.parquet');
    const columnData = Object.entries(columns).map(([name, data]) => ({ name, data, type: 'DOUBLE' as const }));
    writeFileSync(parquet, Buffer.from(parquetWriteBuffer({ columnData })));
    const arrow = join(dir, 'big.arrow');
    writeFileSync(arrow, tableToIPC(tableFromArrays(columns), 'file'));
    for (const file of [csv, parquet, arrow]) {
      const { code, screen } = onTerminal([
        'train',
        '--data',
        file,
        '--epochs',
        '1',
        '--threads',
        '1',
        '--out',
        join(dir, 'm'),
      ]);
      expect(code, screen).toBe(0);
      const name = file.split('/').at(-1);
      expect(screen).toMatch(new RegExp(`reading \\S*${name} .*100% \\| [\\d.]+/[\\d.]+ MB \\| [\\d,]+ rows/s`));
      expect(screen).toMatch(/data: .*60,000 rows/);
    }
  }, 180_000);
});
