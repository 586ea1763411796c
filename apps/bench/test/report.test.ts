import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  escapeXml,
  formatCount,
  formatMs,
  reportBaseName,
  scalingPoints,
  targetChecks,
  toJson,
  toMarkdown,
  toSvg,
  writeReport,
} from '../src/report.js';
import { fakeResult } from './fixtures.js';
import { checkWellFormedXml } from './xml.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('report', () => {
  it('JSON round-trips', () => {
    const result = fakeResult();
    expect(JSON.parse(toJson(result))).toEqual(result);
  });

  it('Markdown has a table per workload with a row per result, ratios, scaling and targets', () => {
    const result = fakeResult();
    const md = toMarkdown(result, 'chart.svg');
    expect(md).toContain('![rows per second per runner, and thread scaling](chart.svg)');
    for (const w of result.workloads) expect(md).toContain(`### ${w.title}`);
    const tableRows = md.split('\n').filter((l) => /^\| (shardprop|tfjs|naive)/.test(l));
    expect(tableRows).toHaveLength(result.results.length);
    // Every table row has the same number of cells as its header.
    const header = md.split('\n').find((l) => l.startsWith('| runner |'))!;
    const cells = (l: string) => l.split(/(?<!\\)\|/).length;
    for (const l of tableRows) expect(cells(l)).toBe(cells(header));
    expect(md).toContain('1,000 (scaled)');
    expect(md).toContain('- not run: brain: no softmax');
    expect(md).toContain('- imaginary: did not install');
    expect(md).toContain('tfjs wasm: SIMD on, threads off.');
    expect(md).toMatch(/A-b32: shardprop wasm, 2 workers \(12\.00 ms\) vs 58x tfjs cpu, 29x tfjs wasm, 17x naive/);
    expect(md).toContain('| A-b32 | 2 | 12.00 | 833k | 1.67x |');
    expect(md).toContain('| A batch 32, all 2 cores: <= 40 ms per epoch | 12.00 ms | yes |');
  });

  it('checks the issue targets against the measured numbers', () => {
    const checks = targetChecks(fakeResult());
    const byName = Object.fromEntries(checks.map((c) => [c.target, c]));
    expect(byName['A batch 32, all cores: >= 19x tfjs cpu (batch 32)'].met).toBe(true);
    expect(byName['A batch 256, all 2 cores: <= 15 ms per epoch'].met).toBe(false);
    expect(byName['A batch 1, one thread: >= 2x the naive loop'].measured).toBe('2.5x');
    expect(byName['B on 2 threads: more GFLOP/s than tfjs wasm'].met).toBe(true);
  });

  it('derives thread scaling from the parallel wasm runs', () => {
    const points = scalingPoints(fakeResult());
    expect(points.filter((p) => p.workload === 'A-b32').map((p) => [p.threads, p.speedup])).toEqual([
      [1, 1],
      [2, 20 / 12],
    ]);
    expect(Number.isNaN(points.find((p) => p.workload === 'B-b256')!.speedup)).toBe(true);
  });

  it('SVG is well-formed, escapes labels, and has a bar per result and a scaling curve', () => {
    const svg = toSvg(fakeResult());
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(checkWellFormedXml(svg)).toEqual([]);
    expect(svg).toContain('naive &lt;JS&gt; &amp; co');
    expect(svg.match(/<rect class="bar"/g)?.length).toBe(fakeResult().results.length);
    expect(svg).toContain('<path d="M');
    expect(svg).toContain('ideal (linear)');
    expect(checkWellFormedXml('<svg><g></svg>')).not.toEqual([]);
    expect(checkWellFormedXml('<svg>a & b</svg>')).not.toEqual([]);
  });

  it('writes <date>-<host>.json, .md and .svg', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bench-report-'));
    dirs.push(dir);
    const result = fakeResult();
    const files = writeReport(result, dir);
    expect(reportBaseName(result)).toBe('2026-01-02-test-host-1');
    expect(path.basename(files.json)).toBe('2026-01-02-test-host-1.json');
    expect(JSON.parse(readFileSync(files.json, 'utf8'))).toEqual(result);
    expect(readFileSync(files.markdown, 'utf8')).toContain('](2026-01-02-test-host-1.svg)');
    expect(checkWellFormedXml(readFileSync(files.svg, 'utf8'))).toEqual([]);
  });

  it('formats numbers compactly', () => {
    expect(formatMs(1234.5)).toBe('1235');
    expect(formatMs(12.345)).toBe('12.35');
    expect(formatMs(1.2345)).toBe('1.234');
    expect(formatCount(1_234_567)).toBe('1.23M');
    expect(formatCount(45_678)).toBe('46k');
    expect(formatCount(999)).toBe('999');
    expect(escapeXml('a<b>&"c"')).toBe('a&lt;b&gt;&amp;&quot;c&quot;');
  });
});
