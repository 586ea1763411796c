/**
 * Loss curves: drawn in the terminal with asciichart, and as a standalone SVG file (hand-made, no dependencies)
 * written beside the model.
 */
import asciichart from 'asciichart';

export interface Curves {
  loss: number[];
  valLoss?: number[];
  /** Epoch number (1-based) of the first point. */
  firstEpoch: number;
}

/** The terminal chart (training loss; validation loss in a second colour when present). */
export function terminalChart(curves: Curves, color: boolean, height = 10): string {
  const series = [resample(curves.loss, 60)];
  if (curves.valLoss && curves.valLoss.length === curves.loss.length) series.push(resample(curves.valLoss, 60));
  if (series[0].length < 2) return '';
  const chart = asciichart.plot(series, {
    height,
    colors: color ? [asciichart.blue, asciichart.yellow] : undefined,
    format: (x: number) => formatTick(x).padStart(10),
  });
  const legend =
    series.length > 1
      ? `${color ? asciichart.blue : ''}loss${color ? asciichart.reset : ''} and ${color ? asciichart.yellow : ''}val_loss${color ? asciichart.reset : ''}`
      : 'loss';
  return `${legend} per epoch (${curves.firstEpoch} to ${curves.firstEpoch + curves.loss.length - 1})\n${chart}`;
}

/** Linear resampling to at most `width` points so long runs fit the terminal. */
function resample(values: number[], width: number): number[] {
  if (values.length <= width) return values;
  const out: number[] = [];
  for (let i = 0; i < width; i++) {
    const t = (i * (values.length - 1)) / (width - 1);
    const lo = Math.floor(t);
    const hi = Math.min(values.length - 1, lo + 1);
    out.push(values[lo] + (values[hi] - values[lo]) * (t - lo));
  }
  return out;
}

function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e-3 && a < 1e5 ? String(Number(v.toPrecision(4))) : v.toExponential(2);
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] as string);
}

/** Tick values: about `count` round numbers covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) {
    const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) as number;
  const ticks: number[] = [];
  for (let v = Math.floor(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1] < hi) ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)));
  return ticks;
}

/** A self-contained SVG of training (and validation) loss per epoch. */
export function lossSvg(curves: Curves, title: string): string {
  const W = 720;
  const H = 420;
  const m = { left: 80, right: 24, top: 48, bottom: 56 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const all = [...curves.loss, ...(curves.valLoss ?? [])].filter(Number.isFinite);
  const yTicks = niceTicks(Math.min(0, ...all), Math.max(...all, 0));
  const y0 = yTicks[0];
  const y1 = yTicks[yTicks.length - 1];
  const n = curves.loss.length;
  const e0 = curves.firstEpoch;
  const e1 = curves.firstEpoch + Math.max(1, n - 1);
  const sx = (e: number) => m.left + ((e - e0) / (e1 - e0)) * pw;
  const sy = (v: number) => m.top + ph - ((v - y0) / (y1 - y0)) * ph;
  const xTicks = niceTicks(e0, e1, Math.min(10, Math.max(1, n - 1))).filter(
    (t) => t >= e0 && t <= e1 && Number.isInteger(t),
  );
  const line = (values: number[]) => values.map((v, i) => `${sx(e0 + i).toFixed(1)},${sy(v).toFixed(1)}`).join(' ');
  const dots = (values: number[], color: string) =>
    n <= 60
      ? values
          .map((v, i) => `<circle cx="${sx(e0 + i).toFixed(1)}" cy="${sy(v).toFixed(1)}" r="2.5" fill="${color}"/>`)
          .join('')
      : '';
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`,
  );
  for (const t of yTicks) {
    const y = sy(t).toFixed(1);
    parts.push(
      `<line x1="${m.left}" y1="${y}" x2="${W - m.right}" y2="${y}" stroke="#e5e5e5"/>`,
      `<text x="${m.left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle">${formatTick(t)}</text>`,
    );
  }
  for (const t of xTicks) {
    const x = sx(t).toFixed(1);
    parts.push(
      `<line x1="${x}" y1="${m.top + ph}" x2="${x}" y2="${m.top + ph + 5}" stroke="#333"/>`,
      `<text x="${x}" y="${m.top + ph + 20}" text-anchor="middle">${t}</text>`,
    );
  }
  parts.push(
    `<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${m.top + ph}" stroke="#333"/>`,
    `<line x1="${m.left}" y1="${m.top + ph}" x2="${W - m.right}" y2="${m.top + ph}" stroke="#333"/>`,
    `<text x="${m.left + pw / 2}" y="${H - 14}" text-anchor="middle">epoch</text>`,
    `<text transform="translate(20 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">loss</text>`,
    `<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="${line(curves.loss)}"/>`,
    dots(curves.loss, '#1f77b4'),
  );
  const legend = [['#1f77b4', 'training loss']];
  if (curves.valLoss && curves.valLoss.length === n) {
    parts.push(
      `<polyline fill="none" stroke="#ff7f0e" stroke-width="2" stroke-dasharray="6 3" points="${line(curves.valLoss)}"/>`,
      dots(curves.valLoss, '#ff7f0e'),
    );
    legend.push(['#ff7f0e', 'validation loss']);
  }
  legend.forEach(([color, label], i) => {
    const x = W - m.right - 150;
    const y = m.top + 12 + i * 18;
    parts.push(
      `<line x1="${x}" y1="${y}" x2="${x + 24}" y2="${y}" stroke="${color}" stroke-width="2"/>`,
      `<text x="${x + 30}" y="${y}" dominant-baseline="middle">${label}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
