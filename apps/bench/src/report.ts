/**
 * The benchmark's outputs: the JSON record, a Markdown report (tables, ratios, targets, thread scaling) and an
 * SVG chart (rows/s per runner per workload on a log scale, and a thread-scaling panel).
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BenchResult, ResultRow, WorkloadInfo } from './bench.js';

/** `<YYYY-MM-DD>-<host>`, with the host reduced to file-name-safe characters. */
export function reportBaseName(result: Pick<BenchResult, 'date' | 'host'>): string {
  const host = result.host.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'host';
  return `${result.date}-${host}`;
}

export function toJson(result: BenchResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------------------
// Formatting helpers

export function formatMs(ms: number): string {
  if (ms >= 1000) return ms.toFixed(0);
  if (ms >= 100) return ms.toFixed(1);
  if (ms >= 10) return ms.toFixed(2);
  return ms.toFixed(3);
}

export function formatCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 1 : 2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(n >= 1e4 ? 0 : 1)}k`;
  return n.toFixed(0);
}

/** Losses with 6 decimals; a missing one (e.g. a merged run without reference data) as a dash. */
export function formatLoss(x: number | null | undefined): string {
  return typeof x === 'number' && Number.isFinite(x) ? x.toFixed(6) : '–';
}

function formatRatio(r: number): string {
  if (!Number.isFinite(r)) return '–';
  return r >= 10 ? `${r.toFixed(0)}x` : `${r.toFixed(1)}x`;
}

function formatFlops(flops: number): string {
  return flops >= 1e9 ? `${(flops / 1e9).toFixed(2)} GFLOP` : `${(flops / 1e6).toFixed(1)} MFLOP`;
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

function rowsFor(result: BenchResult, workload: string): ResultRow[] {
  return result.results.filter((r) => r.workload === workload);
}

function find(result: BenchResult, workload: string, runner: string): ResultRow | undefined {
  return result.results.find((r) => r.workload === workload && r.runner === runner);
}

/** The fastest shardprop result of a workload (lowest median). */
export function bestShardprop(result: BenchResult, workload: string): ResultRow | undefined {
  return rowsFor(result, workload)
    .filter((r) => r.family === 'shardprop')
    .sort((a, b) => a.msPerEpoch.median - b.msPerEpoch.median)[0];
}

// ---------------------------------------------------------------------------------------------------------
// Targets (issue 7): measured, not asserted.

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean;
}

export function targetChecks(result: BenchResult): TargetCheck[] {
  const cores = result.machine.cores;
  const all = `shardprop-par-wasm-t${cores}`;
  const checks: TargetCheck[] = [];
  const ms = (w: string, r: string) => find(result, w, r)?.msPerEpoch.median;
  const a32 = ms('A-b32', all);
  if (a32 !== undefined) {
    checks.push({
      target: `A batch 32, all ${cores} cores: <= 40 ms per epoch`,
      measured: `${formatMs(a32)} ms`,
      met: a32 <= 40,
    });
    const peers: [string, string, string, number][] = [
      ['tfjs cpu (batch 32)', 'A-b32', 'tfjs-cpu', 19],
      ['tfjs wasm (batch 32)', 'A-b32', 'tfjs-wasm', 10],
      ['the naive loop (per sample)', 'A-b1', 'naive', 5],
    ];
    for (const [name, w, r, want] of peers) {
      const peer = ms(w, r);
      if (peer === undefined) continue;
      const ratio = peer / a32;
      checks.push({
        target: `A batch 32, all cores: >= ${want}x ${name}`,
        measured: formatRatio(ratio),
        met: ratio >= want,
      });
    }
  }
  const a256 = ms('A-b256', all);
  if (a256 !== undefined) {
    checks.push({
      target: `A batch 256, all ${cores} cores: <= 15 ms per epoch`,
      measured: `${formatMs(a256)} ms`,
      met: a256 <= 15,
    });
  }
  const a1 = ms('A-b1', 'shardprop-wasm');
  const naive = ms('A-b1', 'naive');
  if (a1 !== undefined && naive !== undefined) {
    checks.push({
      target: 'A batch 1, one thread: >= 2x the naive loop',
      measured: formatRatio(naive / a1),
      met: naive / a1 >= 2,
    });
  }
  const b2 = find(result, 'B-b256', 'shardprop-par-wasm-t2');
  const bWasm = find(result, 'B-b256', 'tfjs-wasm');
  if (b2 && bWasm) {
    checks.push({
      target: 'B on 2 threads: more GFLOP/s than tfjs wasm',
      measured: `${b2.gflops.toFixed(2)} vs ${bWasm.gflops.toFixed(2)} GFLOP/s (${formatRatio(b2.gflops / bWasm.gflops)})`,
      met: b2.gflops > bWasm.gflops,
    });
  }
  return checks;
}

// ---------------------------------------------------------------------------------------------------------
// Thread scaling

export interface ScalingPoint {
  workload: string;
  threads: number;
  ms: number;
  rowsPerSec: number;
  /** Speed relative to the same trainer on 1 worker. */
  speedup: number;
}

/** shardprop fitParallel (wasm kernels) at every measured thread count. */
export function scalingPoints(result: BenchResult): ScalingPoint[] {
  const points: ScalingPoint[] = [];
  for (const w of result.workloads) {
    const rows = rowsFor(result, w.id)
      .filter((r) => /^shardprop-par-wasm-t\d+$/.test(r.runner))
      .sort((a, b) => a.threads - b.threads);
    const one = rows.find((r) => r.threads === 1);
    for (const r of rows) {
      points.push({
        workload: w.id,
        threads: r.threads,
        ms: r.msPerEpoch.median,
        rowsPerSec: r.rowsPerSec,
        speedup: one ? one.msPerEpoch.median / r.msPerEpoch.median : Number.NaN,
      });
    }
  }
  return points;
}

// ---------------------------------------------------------------------------------------------------------
// Markdown

function machineLine(result: BenchResult): string {
  const m = result.machine;
  return (
    `${m.cpuModel}, ${m.cores} cores${m.virtualized ? ' (virtual machine)' : ''}, ${m.memoryGiB} GiB; ` +
    `SIMD: ${m.simdFlags.join(' ') || 'none reported'}; WebAssembly SIMD: ${m.wasmSimd ? 'yes' : 'no'}; ` +
    `${m.os} ${m.arch}; Node ${m.node} (V8 ${m.v8})`
  );
}

function softwareLine(result: BenchResult): string {
  const sw = result.software!;
  const git = sw.git ? `git ${sw.git.commit}${sw.git.dirty ? ' with uncommitted changes' : ''}; ` : '';
  const versions = Object.entries(sw.versions)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return `Code: ${git}${versions}.`;
}

function peerNotes(result: BenchResult): string[] {
  const notes: string[] = [];
  for (const r of result.runners) {
    const d = r.details;
    if (r.id === 'tfjs-wasm' && 'simd' in d) {
      notes.push(
        `tfjs wasm${d.version ? ` ${String(d.version)}` : ''}: SIMD ${d.simd ? 'on' : 'off'}, threads ${d.multithread ? `on (${String(d.threadsCount)})` : 'off'}.`,
      );
    }
    if (r.id === 'tfjs-cpu')
      notes.push(`tfjs cpu${d.version ? ` ${String(d.version)}` : ''}: plain JavaScript kernels, one thread.`);
    if (r.family === 'pytorch' && d.torch) notes.push(`PyTorch ${String(d.torch)}, ${r.threads} thread(s).`);
  }
  return notes;
}

/** Other processes' load (cores) from which a run is flagged as sharing the machine. */
export const BUSY_CORES = 0.25;

export function workloadTable(result: BenchResult, w: WorkloadInfo): string[] {
  const rows = rowsFor(result, w.id).sort((a, b) => a.msPerEpoch.median - b.msPerEpoch.median);
  const tfjsCpu = find(result, w.id, 'tfjs-cpu');
  const lines = [
    `### ${w.title}`,
    '',
    `${w.layers.join('-')}, ${w.params.toLocaleString('en-US')} parameters, learning rate ${w.learningRate}, ` +
      `${w.rows.toLocaleString('en-US')} rows per epoch, ${formatFlops(w.flopsPerEpoch)} per epoch.`,
    '',
    '| runner | threads | ms/epoch, median (min–max) | rows/s | GFLOP/s | vs tfjs cpu | loss, epoch 1 | shardprop ref | rows timed |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const r of rows) {
    const ratio = tfjsCpu ? formatRatio(tfjsCpu.msPerEpoch.median / r.msPerEpoch.median) : '–';
    const timed = r.scaled ? `${r.rowsTimed.toLocaleString('en-US')} (scaled)` : r.rowsTimed.toLocaleString('en-US');
    lines.push(
      `| ${cell(r.label)} | ${r.threads} | ${formatMs(r.msPerEpoch.median)} (${formatMs(r.msPerEpoch.min)}–${formatMs(r.msPerEpoch.max)}) | ` +
        `${formatCount(r.rowsPerSec)} | ${r.gflops.toFixed(2)} | ${ratio} | ${formatLoss(r.loss)} | ${formatLoss(r.refLoss)} | ${timed} |`,
    );
  }
  const skipped = result.skipped.filter((s) => s.workload === w.id);
  const failed = result.failures.filter((f) => f.workload === w.id);
  const busy = rows.filter((r) => (r.otherLoad?.max ?? 0) >= BUSY_CORES);
  const redone = rows.filter((r) => r.redos);
  if (skipped.length || failed.length || busy.length || redone.length) lines.push('');
  if (redone.length) {
    lines.push(
      `- run again because other processes were busy: ${redone.map((r) => `${r.label} (${r.redos}x)`).join(', ')}`,
    );
  }
  if (busy.length) {
    lines.push(
      `- still shared the machine: ${busy.map((r) => `${r.label} (other processes up to ${r.otherLoad!.max.toFixed(1)} cores)`).join(', ')}`,
    );
  }
  for (const s of skipped) lines.push(`- not run: ${s.runner}: ${s.reason}`);
  for (const f of failed) lines.push(`- failed: ${f.runner}: ${f.error}`);
  return lines;
}

/** shardprop's best against each peer, per workload. */
export function ratioLines(result: BenchResult): string[] {
  const lines: string[] = [];
  for (const w of result.workloads) {
    const best = bestShardprop(result, w.id);
    if (!best) continue;
    const peers = rowsFor(result, w.id).filter((r) => r.family !== 'shardprop');
    const naive = w.id.startsWith('A-') && w.id !== 'A-b1' ? find(result, 'A-b1', 'naive') : undefined;
    const parts = [...peers, ...(naive ? [naive] : [])].map(
      (p) =>
        `${formatRatio(p.msPerEpoch.median / best.msPerEpoch.median)} ${p.label}${p.workload !== w.id ? ' (per sample)' : ''}`,
    );
    if (parts.length === 0) continue;
    lines.push(`- ${w.id}: ${best.label} (${formatMs(best.msPerEpoch.median)} ms) vs ${parts.join(', ')}`);
  }
  return lines;
}

export function scalingTable(result: BenchResult): string[] {
  const points = scalingPoints(result);
  if (points.length === 0) return [];
  const lines = ['| workload | workers | ms/epoch | rows/s | speed-up vs 1 worker |', '|---|--:|--:|--:|--:|'];
  for (const p of points) {
    lines.push(
      `| ${p.workload} | ${p.threads} | ${formatMs(p.ms)} | ${formatCount(p.rowsPerSec)} | ${Number.isFinite(p.speedup) ? `${p.speedup.toFixed(2)}x` : '–'} |`,
    );
  }
  return lines;
}

export function toMarkdown(result: BenchResult, svgName?: string): string {
  const lines: string[] = [
    `# shardprop against its peers: ${result.date}, ${result.host}`,
    '',
    `Machine: ${machineLine(result)}.`,
    '',
    `${result.reps} repetitions after ${result.warmupRounds} warm-up round${result.quick ? ' (QUICK run: fewer rows, not for comparison)' : ''}; ` +
      `times are the median (min–max) of the timed epoch, scaled to ${result.workloads[0]?.rows.toLocaleString('en-US') ?? ''} rows where fewer were timed.`,
    ...(result.command ? ['', `Command: \`${result.command}\``] : []),
    ...(result.software ? ['', softwareLine(result)] : []),
    ...(peerNotes(result).length ? ['', ...peerNotes(result)] : []),
    '',
  ];
  if (svgName) lines.push(`![rows per second per runner, and thread scaling](${svgName})`, '');
  lines.push('## Results', '');
  for (const w of result.workloads) lines.push(...workloadTable(result, w), '');
  const ratios = ratioLines(result);
  if (ratios.length) lines.push("## Ratios (shardprop's fastest vs each peer, same workload)", '', ...ratios, '');
  const scaling = scalingTable(result);
  if (scaling.length) lines.push('## Thread scaling (shardprop fitParallel, wasm kernels)', '', ...scaling, '');
  const targets = targetChecks(result);
  if (targets.length) {
    lines.push('## Targets (issue 7; measured, not asserted)', '', '| target | measured | met |', '|---|--:|:-:|');
    for (const t of targets) lines.push(`| ${cell(t.target)} | ${cell(t.measured)} | ${t.met ? 'yes' : 'no'} |`);
    lines.push('');
  }
  const general = result.failures.filter((f) => !f.workload);
  if (general.length) {
    lines.push('## Failures', '');
    for (const f of general) lines.push(`- ${f.runner}: ${f.error}`);
    lines.push('');
  }
  lines.push('## Method', '', ...result.method.map((m) => `- ${m}`), '');
  return `${lines.join('\n')}`;
}

// ---------------------------------------------------------------------------------------------------------
// SVG

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const FAMILY_COLOURS: Record<string, string> = {
  shardprop: '#1b7837',
  tfjs: '#e08214',
  brain: '#762a83',
  naive: '#7f7f7f',
  pytorch: '#c51b7d',
};

function barColour(r: ResultRow): string {
  if (r.family === 'shardprop') {
    if (r.kernels === 'js') return '#a6dba0';
    return r.runner.startsWith('shardprop-par') ? '#1b7837' : '#5aae61';
  }
  if (r.runner === 'tfjs-cpu') return '#fdb863';
  return FAMILY_COLOURS[r.family] ?? '#444';
}

const SCALING_COLOURS = ['#2166ac', '#b2182b', '#1b7837', '#762a83', '#e08214'];

export function toSvg(result: BenchResult): string {
  const width = 960;
  const labelW = 250;
  const barX = labelW + 10;
  const barW = width - barX - 110;
  const barH = 14;
  const gap = 4;
  const parts: string[] = [];
  let y = 30;

  parts.push(
    `<text x="${width / 2}" y="${y}" text-anchor="middle" font-size="16" font-weight="bold">` +
      `${escapeXml(`shardprop vs peers: training rows per second (log scale), ${result.date}, ${result.machine.cpuModel}, ${result.machine.cores} cores`)}</text>`,
  );
  y += 18;
  parts.push(
    `<text x="${width / 2}" y="${y}" text-anchor="middle" font-size="11" fill="#555">` +
      `${escapeXml(`median of ${result.reps} repetitions, whiskers min–max; one epoch = 10,000 rows; longer bar = faster`)}</text>`,
  );
  y += 14;

  const all = result.results;
  const rates = all.flatMap((r) => [rateAt(r, r.msPerEpoch.max), rateAt(r, r.msPerEpoch.min)]);
  const lo = 10 ** Math.floor(Math.log10(Math.max(1, Math.min(...rates, 1e9))));
  // Room right of the longest bar for its value label.
  const hi = Math.max(...rates, 10) * 2.5;
  const xOf = (v: number) =>
    barX + (barW * (Math.log10(Math.max(v, lo)) - Math.log10(lo))) / (Math.log10(hi) - Math.log10(lo));

  const panelTop = y + 10;
  for (const w of result.workloads) {
    const rows = all.filter((r) => r.workload === w.id).sort((a, b) => b.rowsPerSec - a.rowsPerSec);
    if (rows.length === 0) continue;
    y += 24;
    parts.push(`<text x="10" y="${y}" font-size="13" font-weight="bold">${escapeXml(w.title)}</text>`);
    y += 6;
    for (const r of rows) {
      const x1 = xOf(r.rowsPerSec);
      const top = y;
      parts.push(
        `<rect class="bar" x="${barX}" y="${top}" width="${Math.max(1, x1 - barX).toFixed(1)}" height="${barH}" fill="${barColour(r)}"/>`,
      );
      const minRate = rateAt(r, r.msPerEpoch.max);
      const maxRate = rateAt(r, r.msPerEpoch.min);
      const cy = top + barH / 2;
      parts.push(
        `<line x1="${xOf(minRate).toFixed(1)}" y1="${cy}" x2="${xOf(maxRate).toFixed(1)}" y2="${cy}" stroke="#000" stroke-width="1"/>`,
      );
      parts.push(
        `<text x="${barX - 6}" y="${top + barH - 3}" text-anchor="end" font-size="11">${escapeXml(r.label)}${r.scaled ? '*' : ''}</text>`,
      );
      parts.push(
        `<text x="${(Math.max(x1, xOf(maxRate)) + 5).toFixed(1)}" y="${top + barH - 3}" font-size="10" fill="#333">` +
          `${escapeXml(`${formatCount(r.rowsPerSec)}/s · ${formatMs(r.msPerEpoch.median)} ms`)}</text>`,
      );
      y += barH + gap;
    }
  }
  const panelBottom = y + 4;
  // Decade grid lines and labels.
  for (let v = lo; v <= hi; v *= 10) {
    const x = xOf(v).toFixed(1);
    parts.unshift(`<line x1="${x}" y1="${panelTop}" x2="${x}" y2="${panelBottom}" stroke="#ddd" stroke-width="1"/>`);
    parts.push(
      `<text x="${x}" y="${panelBottom + 14}" text-anchor="middle" font-size="10" fill="#555">${decadeLabel(v)}</text>`,
    );
  }
  y = panelBottom + 30;
  parts.push(
    `<text x="${barX}" y="${y}" font-size="10" fill="#555">rows/s (log scale). * timed on fewer rows and scaled to the epoch.</text>`,
  );

  // Thread-scaling panel.
  y += 30;
  parts.push(
    `<text x="10" y="${y}" font-size="14" font-weight="bold">Thread scaling: shardprop fitParallel (wasm kernels), speed-up vs 1 worker</text>`,
  );
  const points = scalingPoints(result).filter((p) => Number.isFinite(p.speedup));
  const threads = [...new Set(points.map((p) => p.threads))].sort((a, b) => a - b);
  const plotTop = y + 20;
  const plotH = 220;
  const plotX = 80;
  const plotW = 420;
  if (threads.length < 2) {
    parts.push(
      `<text x="${plotX}" y="${plotTop + 20}" font-size="11" fill="#555">(one thread count measured: no curve)</text>`,
    );
    y = plotTop + 40;
  } else {
    const tMax = Math.max(...threads);
    const sMax = Math.max(tMax, ...points.map((p) => p.speedup)) * 1.05;
    const px = (t: number) => plotX + (plotW * (t - 1)) / Math.max(1, tMax - 1);
    const py = (s: number) => plotTop + plotH - (plotH * s) / sMax;
    parts.push(
      `<rect x="${plotX}" y="${plotTop}" width="${plotW}" height="${plotH}" fill="none" stroke="#999" stroke-width="1"/>`,
    );
    for (const t of threads) {
      parts.push(
        `<text x="${px(t).toFixed(1)}" y="${plotTop + plotH + 14}" text-anchor="middle" font-size="10">${t}</text>`,
      );
    }
    for (let s = 0; s <= sMax; s += sMax > 8 ? 2 : sMax > 3 ? 1 : 0.5) {
      parts.push(
        `<line x1="${plotX}" y1="${py(s).toFixed(1)}" x2="${plotX + plotW}" y2="${py(s).toFixed(1)}" stroke="#eee" stroke-width="1"/>`,
      );
      parts.push(
        `<text x="${plotX - 6}" y="${(py(s) + 3).toFixed(1)}" text-anchor="end" font-size="10">${s.toFixed(1)}x</text>`,
      );
    }
    parts.push(
      `<line x1="${px(1)}" y1="${py(1).toFixed(1)}" x2="${px(tMax).toFixed(1)}" y2="${py(tMax).toFixed(1)}" stroke="#999" stroke-dasharray="4 3"/>`,
    );
    parts.push(
      `<text x="${plotX + plotW / 2}" y="${plotTop + plotH + 30}" text-anchor="middle" font-size="11">worker threads</text>`,
    );
    const workloads = [...new Set(points.map((p) => p.workload))];
    workloads.forEach((wid, i) => {
      const colour = SCALING_COLOURS[i % SCALING_COLOURS.length];
      const ps = points.filter((p) => p.workload === wid);
      const d = ps.map((p, k) => `${k ? 'L' : 'M'}${px(p.threads).toFixed(1)},${py(p.speedup).toFixed(1)}`).join(' ');
      parts.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="2"/>`);
      for (const p of ps) {
        parts.push(
          `<circle cx="${px(p.threads).toFixed(1)}" cy="${py(p.speedup).toFixed(1)}" r="3" fill="${colour}"/>`,
        );
      }
      const ly = plotTop + 16 + i * 18;
      const last = ps[ps.length - 1];
      parts.push(
        `<line x1="${plotX + plotW + 20}" y1="${ly - 4}" x2="${plotX + plotW + 40}" y2="${ly - 4}" stroke="${colour}" stroke-width="2"/>`,
      );
      parts.push(
        `<text x="${plotX + plotW + 46}" y="${ly}" font-size="11">${escapeXml(`${wid}: ${last.speedup.toFixed(2)}x at ${last.threads} (${formatMs(last.ms)} ms/epoch)`)}</text>`,
      );
    });
    const ly = plotTop + 16 + workloads.length * 18;
    parts.push(
      `<line x1="${plotX + plotW + 20}" y1="${ly - 4}" x2="${plotX + plotW + 40}" y2="${ly - 4}" stroke="#999" stroke-dasharray="4 3"/>`,
    );
    parts.push(`<text x="${plotX + plotW + 46}" y="${ly}" font-size="11">ideal (linear)</text>`);
    y = plotTop + plotH + 40;
  }

  const height = Math.ceil(y + 10);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="Helvetica, Arial, sans-serif">\n<rect width="100%" height="100%" fill="#fff"/>\n${parts.join('\n')}\n</svg>\n`
  );
}

function decadeLabel(v: number): string {
  if (v >= 1e6) return `${v / 1e6}M`;
  if (v >= 1e3) return `${v / 1e3}k`;
  return String(v);
}

function rateAt(r: ResultRow, ms: number): number {
  return (r.rowsPerSec * r.msPerEpoch.median) / ms;
}

// ---------------------------------------------------------------------------------------------------------
// Files

export interface WrittenReport {
  json: string;
  markdown: string;
  svg: string;
}

/** Writes `text` to `file` through a temporary name and a rename. */
export function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** Writes `<dir>/<date>-<host>.{json,md,svg}` and returns their paths. */
export function writeReport(result: BenchResult, dir: string): WrittenReport {
  mkdirSync(dir, { recursive: true });
  const base = path.join(dir, reportBaseName(result));
  const files = { json: `${base}.json`, markdown: `${base}.md`, svg: `${base}.svg` };
  writeAtomic(files.json, toJson(result));
  writeAtomic(files.svg, toSvg(result));
  writeAtomic(files.markdown, toMarkdown(result, path.basename(files.svg)));
  return files;
}
