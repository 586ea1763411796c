/** How the page prints numbers: one style per kind of value, so columns and status fields read alike. */

/** A loss: 4 significant digits, or a dash when there is none. */
export function formatLoss(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '–' : v.toPrecision(4);
}

/** A count with thousands separators: 12,345. */
export function formatInt(v: number): string {
  return Math.round(v).toLocaleString('en-US');
}

/** A duration: milliseconds below a second ("38.2 ms", "234 ms"), seconds above ("1.2 s", "73.5 s"). */
export function formatDuration(ms: number): string {
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${formatInt(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

/** A probability: always 4 decimals (0.0312, 1.0000), never an exponent. */
export function formatProbability(p: number): string {
  return Number.isFinite(p) ? Math.min(1, Math.max(0, p)).toFixed(4) : String(p);
}

/** A regression output: 4 significant digits, trailing zeros kept (0.5730), plain decimals where they stay short. */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a === 0) return '0.000';
  if (a < 1e-4 || a >= 1e6) return v.toExponential(3);
  return v.toFixed(Math.max(0, 3 - Math.floor(Math.log10(a))));
}

/** "1 epoch", "2 epochs". */
export function plural(n: number, word: string): string {
  return `${formatInt(n)} ${word}${n === 1 ? '' : 's'}`;
}
