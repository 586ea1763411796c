/**
 * The live loss chart, drawn by hand on a canvas: training and validation loss per epoch, plus the running loss
 * of the epoch in progress. A logarithmic loss axis when the values span more than a factor of 10.
 */

export interface ChartData {
  /** Mean training loss of each completed epoch. */
  loss: number[];
  /** Validation loss of each completed epoch (empty without validation data). */
  valLoss: number[];
  /** Running loss of the epoch in progress and how far it is (0..1), if one is running. */
  current?: { loss: number; fraction: number };
  /** Epochs planned, to size the x axis. */
  epochs: number;
}

const COLORS = { loss: '#2563eb', valLoss: '#ea580c', axis: '#6b7280', grid: '#e5e7eb', text: '#1f2937' };

function niceLinearTicks(min: number, max: number, count: number): number[] {
  const span = max - min || Math.abs(max) || 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => span / s <= count) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function logTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= min * 0.999 && v <= max * 1.001) ticks.push(Number(v.toPrecision(12)));
    }
  }
  return ticks;
}

function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(0) : String(Number(v.toPrecision(3)));
}

/** Draws `data` on `canvas`, sized to its CSS box and the device pixel ratio. */
export function drawChart(canvas: HTMLCanvasElement, data: ChartData): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const dpr = globalThis.devicePixelRatio || 1;
  const cssWidth = canvas.clientWidth || 600;
  const cssHeight = canvas.clientHeight || 280;
  if (canvas.width !== Math.round(cssWidth * dpr) || canvas.height !== Math.round(cssHeight * dpr)) {
    canvas.width = Math.round(cssWidth * dpr);
    canvas.height = Math.round(cssHeight * dpr);
  }
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cssWidth, cssHeight);
  ctx.font = '12px system-ui, sans-serif';

  const pad = { left: 66, right: 16, top: 14, bottom: 38 };
  const w = cssWidth - pad.left - pad.right;
  const h = cssHeight - pad.top - pad.bottom;
  const values = [...data.loss, ...data.valLoss, ...(data.current ? [data.current.loss] : [])].filter(
    (v) => Number.isFinite(v) && v >= 0,
  );
  const epochs = Math.max(1, data.epochs, data.loss.length);

  // Axes.
  ctx.strokeStyle = COLORS.axis;
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(pad.left, pad.top);
  ctx.lineTo(pad.left, pad.top + h);
  ctx.lineTo(pad.left + w, pad.top + h);
  ctx.stroke();
  ctx.fillStyle = COLORS.text;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  ctx.fillText('epoch', pad.left + w / 2, pad.top + h + 20);

  if (values.length === 0) {
    ctx.textBaseline = 'middle';
    ctx.fillStyle = COLORS.axis;
    ctx.fillText('The loss appears here while training.', pad.left + w / 2, pad.top + h / 2);
    return;
  }

  let lo = Math.min(...values);
  let hi = Math.max(...values);
  const log = lo > 0 && hi / lo > 10;
  if (log) {
    // Widen to the 1-2-5 ticks around the data, so both ends carry a label.
    const ticks = logTicks(lo / 10, hi * 10);
    lo = ticks.filter((t) => t <= lo).at(-1) ?? lo;
    hi = ticks.find((t) => t >= hi) ?? hi;
  } else {
    lo = Math.min(0, lo);
    if (hi === lo) hi = lo + 1;
  }
  const yOf = log
    ? (v: number) => pad.top + h - ((Math.log(v) - Math.log(lo)) / (Math.log(hi) - Math.log(lo))) * h
    : (v: number) => pad.top + h - ((v - lo) / (hi - lo)) * h;
  // Epoch e (0-based) ends at x of e + 1.
  const xOf = (epochEnd: number) => pad.left + (epochEnd / epochs) * w;

  // Grid and tick labels.
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const t of log ? logTicks(lo, hi) : niceLinearTicks(lo, hi, 5)) {
    const y = yOf(t);
    ctx.strokeStyle = COLORS.grid;
    ctx.beginPath();
    ctx.moveTo(pad.left + 1, y);
    ctx.lineTo(pad.left + w, y);
    ctx.stroke();
    ctx.fillStyle = COLORS.text;
    ctx.fillText(formatTick(t), pad.left - 6, y);
  }
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const t of niceLinearTicks(0, epochs, Math.min(10, epochs))) {
    if (!Number.isInteger(t)) continue;
    ctx.fillText(String(t), xOf(t), pad.top + h + 4);
  }
  ctx.save();
  ctx.translate(12, pad.top + h / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText(log ? 'loss (log scale)' : 'loss', 0, 0);
  ctx.restore();

  const series = (points: number[], color: string, extra?: { x: number; y: number }) => {
    if (points.length === 0 && !extra) return;
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    points.forEach((v, i) => {
      const x = xOf(i + 1);
      const y = yOf(v);
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    });
    ctx.stroke();
    for (let i = 0; i < points.length; i++) {
      ctx.beginPath();
      ctx.arc(xOf(i + 1), yOf(points[i]), 2.5, 0, 2 * Math.PI);
      ctx.fill();
    }
    if (extra) {
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      if (points.length > 0) ctx.moveTo(xOf(points.length), yOf(points[points.length - 1]));
      else ctx.moveTo(extra.x, extra.y);
      ctx.lineTo(extra.x, extra.y);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.beginPath();
      ctx.arc(extra.x, extra.y, 3.5, 0, 2 * Math.PI);
      ctx.stroke();
    }
  };
  const current =
    data.current && Number.isFinite(data.current.loss) && data.current.loss > 0
      ? { x: xOf(data.loss.length + data.current.fraction), y: yOf(data.current.loss) }
      : undefined;
  series(data.valLoss, COLORS.valLoss);
  series(data.loss, COLORS.loss, current);

  // Legend.
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  const legend: [string, string][] = [['training', COLORS.loss]];
  if (data.valLoss.length > 0) legend.push(['validation', COLORS.valLoss]);
  let lx = pad.left + w - 190;
  for (const [label, color] of legend) {
    ctx.fillStyle = color;
    ctx.fillRect(lx, pad.top + 6, 14, 3);
    ctx.fillStyle = COLORS.text;
    ctx.fillText(label, lx + 18, pad.top + 8);
    lx += 95;
  }
}

/** A one-sentence description of the chart for screen readers. */
export function describeChart(data: ChartData): string {
  if (data.loss.length === 0) return 'Loss chart: no epochs trained yet.';
  const f = (v: number) => v.toPrecision(4);
  const n = data.loss.length;
  let text = `Loss chart over ${n} epoch${n === 1 ? '' : 's'}: training loss from ${f(data.loss[0])} to ${f(data.loss[n - 1])}`;
  if (data.valLoss.length > 0) {
    text += `, validation loss from ${f(data.valLoss[0])} to ${f(data.valLoss[data.valLoss.length - 1])}`;
  }
  return `${text}.`;
}
