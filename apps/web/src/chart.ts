/**
 * The live loss chart, drawn by hand on a canvas: training and validation loss per epoch, plus the running loss
 * of the epoch in progress.
 *
 * The layout is computed apart from the drawing (`chartLayout`, a pure function of the data, the size and a text
 * measure), so its rules can be checked without a browser:
 * - the loss axis is always logarithmic: losses fall by orders of magnitude, and one scale for the whole run
 *   keeps the picture from jumping when the values first span a factor of 10;
 * - the epoch axis spans the epochs planned while training, and the epochs run once a run ends early;
 * - every tick label of an axis uses one notation (all plain decimals, or all powers of ten);
 * - the legend sits in its own strip above the plot, so it never covers a curve;
 * - epoch labels are spaced by their measured width, so they never collide on a narrow screen.
 */

export interface ChartData {
  /** Mean training loss of each completed epoch. */
  loss: number[];
  /** Validation loss of each completed epoch (empty without validation data). */
  valLoss: number[];
  /** Running loss of the epoch in progress and how far it is (0..1), if one is running. */
  current?: { loss: number; fraction: number };
  /** Epochs the x axis spans: the planned epochs while training, the epochs run once training has ended. */
  epochs: number;
  /** What the empty chart says (default: that the loss appears here while training). */
  note?: string;
}

/** A text label placed on the chart; `x` is its centre, `left`/`right` its horizontal extent. */
export interface PlacedLabel {
  value: number;
  label: string;
  x: number;
  y: number;
  left: number;
  right: number;
}

export interface ChartLayout {
  scale: 'log';
  /** The plot area, inside the axes. */
  plot: { left: number; top: number; width: number; height: number };
  /** Loss range of the y axis. */
  yMin: number;
  yMax: number;
  yTicks: PlacedLabel[];
  /** Epoch range of the x axis (from 0). */
  xMax: number;
  xTicks: PlacedLabel[];
  /** Legend entries (swatch and text), in the strip above the plot. */
  legend: { label: string; color: string; left: number; right: number; top: number; bottom: number }[];
}

export const CHART_COLORS = {
  loss: '#2563eb',
  valLoss: '#c2410c',
  axis: '#6b7280',
  grid: '#e5e7eb',
  text: '#1f2937',
} as const;

const FONT_PX = 12;
const LEGEND_STRIP = 22;
const SWATCH = 14;

/** The 1-2-5 values of each decade that fall in [min, max]. */
function logTicks(min: number, max: number, mantissas: readonly number[]): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    for (const m of mantissas) {
      const v = Number((m * 10 ** e).toPrecision(12));
      if (v >= min * 0.999 && v <= max * 1.001) ticks.push(v);
    }
  }
  return ticks;
}

/**
 * Labels for the ticks of one axis, in one notation: plain decimals ("0.0005", "0.001", "0.02") when every value
 * reads well that way, otherwise powers of ten for all of them ("5e-5", "1e-4", "2e-4").
 */
export function formatTicks(values: readonly number[]): string[] {
  const plain = values.every((v) => v === 0 || (Math.abs(v) >= 1e-4 && Math.abs(v) < 1e5));
  return values.map((v) => {
    if (v === 0) return '0';
    if (plain) return String(Number(v.toPrecision(3)));
    const [mantissa, exponent] = v.toExponential().split('e');
    return `${Number(Number(mantissa).toPrecision(3))}e${Number(exponent)}`;
  });
}

/** Epoch tick step: the smallest 1-2-5 multiple whose labels, `minGap` pixels apart at least, do not collide. */
function epochStep(epochs: number, pxPerEpoch: number, minGap: number): number {
  for (let mag = 1; ; mag *= 10) {
    for (const m of [1, 2, 5]) {
      const step = m * mag;
      if (step * pxPerEpoch >= minGap || step >= epochs) return step;
    }
  }
}

/**
 * Where everything goes on a `width` x `height` chart (CSS pixels). `measure` gives a text's width at the chart's
 * 12 px font.
 */
export function chartLayout(
  data: ChartData,
  width: number,
  height: number,
  measure: (text: string) => number,
): ChartLayout {
  const values = [...data.loss, ...data.valLoss, ...(data.current ? [data.current.loss] : [])].filter(
    (v) => Number.isFinite(v) && v > 0,
  );
  // The loss range, widened to the 1-2-5 values around the data so that both ends carry a label, with a little
  // room (5%) between the curves and the ends of the axis.
  let yMin = 0.01;
  let yMax = 1;
  if (values.length > 0) {
    const lo = Math.min(...values) / 1.05;
    const hi = Math.max(...values) * 1.05;
    const around = logTicks(lo / 10, hi * 10, [1, 2, 5]);
    yMin = around.filter((t) => t <= lo).at(-1) ?? lo;
    yMax = around.find((t) => t >= hi) ?? hi;
  }

  const top = LEGEND_STRIP + 6;
  const bottom = 40;
  const plotHeight = Math.max(20, height - top - bottom);
  // Fewer y labels when the plot is short: only powers of ten, then every other one.
  let yValues = logTicks(yMin, yMax, [1, 2, 5]);
  if (yValues.length * (FONT_PX + 8) > plotHeight) yValues = logTicks(yMin, yMax, [1]);
  while (yValues.length > 2 && yValues.length * (FONT_PX + 8) > plotHeight) {
    yValues = yValues.filter((_, i) => i % 2 === 0);
  }
  const yLabels = formatTicks(yValues);
  const labelWidth = Math.max(0, ...yLabels.map(measure));
  const left = 20 + labelWidth + 8;
  const right = 16;
  const plot = { left, top, width: Math.max(20, width - left - right), height: plotHeight };
  const yOf = (v: number) =>
    plot.top + plot.height - ((Math.log(v) - Math.log(yMin)) / (Math.log(yMax) - Math.log(yMin))) * plot.height;
  const yTicks = yValues.map((value, i) => {
    const w = measure(yLabels[i]);
    return { value, label: yLabels[i], x: left - 6 - w / 2, y: yOf(value), left: left - 6 - w, right: left - 6 };
  });

  const xMax = Math.max(1, data.epochs, data.loss.length);
  const pxPerEpoch = plot.width / xMax;
  const widest = measure(String(xMax));
  const step = epochStep(xMax, pxPerEpoch, widest + 16);
  const xTicks: PlacedLabel[] = [];
  for (let e = 0; e <= xMax; e += step) {
    const label = String(e);
    const w = measure(label);
    const x = plot.left + e * pxPerEpoch;
    xTicks.push({ value: e, label, x, y: plot.top + plot.height + 4, left: x - w / 2, right: x + w / 2 });
  }

  const entries: [string, string][] = [['training', CHART_COLORS.loss]];
  if (data.valLoss.length > 0) entries.push(['validation', CHART_COLORS.valLoss]);
  const legend: ChartLayout['legend'] = [];
  let lx = plot.left + plot.width;
  for (const [label, color] of entries.reverse()) {
    const w = SWATCH + 4 + measure(label);
    lx -= w;
    legend.unshift({ label, color, left: lx, right: lx + w, top: 4, bottom: 4 + FONT_PX + 4 });
    lx -= 16;
  }
  return { scale: 'log', plot, yMin, yMax, yTicks, xMax, xTicks, legend };
}

/** Draws `data` on `canvas`, sized to its CSS box and the device pixel ratio; returns the layout it drew. */
export function drawChart(canvas: HTMLCanvasElement, data: ChartData): ChartLayout | undefined {
  const ctx = canvas.getContext('2d');
  if (!ctx) return undefined;
  const dpr = globalThis.devicePixelRatio || 1;
  const cssWidth = canvas.clientWidth || 600;
  const cssHeight = canvas.clientHeight || 280;
  if (canvas.width !== Math.round(cssWidth * dpr) || canvas.height !== Math.round(cssHeight * dpr)) {
    canvas.width = Math.round(cssWidth * dpr);
    canvas.height = Math.round(cssHeight * dpr);
  }
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cssWidth, cssHeight);
  ctx.font = `${FONT_PX}px system-ui, sans-serif`;
  const layout = chartLayout(data, cssWidth, cssHeight, (text) => ctx.measureText(text).width);
  const { plot, yMin, yMax, xMax } = layout;
  const C = CHART_COLORS;

  // Axes and their titles.
  ctx.strokeStyle = C.axis;
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(plot.left, plot.top);
  ctx.lineTo(plot.left, plot.top + plot.height);
  ctx.lineTo(plot.left + plot.width, plot.top + plot.height);
  ctx.stroke();
  ctx.fillStyle = C.text;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  ctx.fillText('epoch', plot.left + plot.width / 2, plot.top + plot.height + 22);
  ctx.save();
  ctx.translate(10, plot.top + plot.height / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = 'middle';
  ctx.fillText('loss (log scale)', 0, 0);
  ctx.restore();

  const hasData = data.loss.length > 0 || data.current !== undefined;
  if (!hasData) {
    ctx.textBaseline = 'middle';
    ctx.fillStyle = C.axis;
    const note = data.note ?? 'The loss appears here while training.';
    ctx.fillText(note, plot.left + plot.width / 2, plot.top + plot.height / 2);
    return layout;
  }

  // Grid and tick labels.
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  for (const t of layout.yTicks) {
    ctx.strokeStyle = C.grid;
    ctx.beginPath();
    ctx.moveTo(plot.left + 1, t.y);
    ctx.lineTo(plot.left + plot.width, t.y);
    ctx.stroke();
    ctx.fillStyle = C.text;
    ctx.fillText(t.label, t.x, t.y);
  }
  ctx.textBaseline = 'top';
  for (const t of layout.xTicks) ctx.fillText(t.label, t.x, t.y);

  // Curves: epoch e (0-based) ends at x of e + 1; values outside the axis are drawn at its edge.
  const xOf = (epochEnd: number) => plot.left + (epochEnd / xMax) * plot.width;
  const yOf = (v: number) => {
    const c = Math.min(yMax, Math.max(yMin, v));
    return plot.top + plot.height - ((Math.log(c) - Math.log(yMin)) / (Math.log(yMax) - Math.log(yMin))) * plot.height;
  };
  const series = (points: number[], color: string, extra?: { x: number; y: number }) => {
    if (points.length === 0 && !extra) return;
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    points.forEach((v, i) => {
      if (i === 0) ctx.moveTo(xOf(i + 1), yOf(v));
      else ctx.lineTo(xOf(i + 1), yOf(v));
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
  series(data.valLoss, C.valLoss);
  series(data.loss, C.loss, current);

  // Legend, in its strip above the plot.
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  for (const item of layout.legend) {
    const mid = (item.top + item.bottom) / 2;
    ctx.fillStyle = item.color;
    ctx.fillRect(item.left, mid - 1.5, SWATCH, 3);
    ctx.fillStyle = C.text;
    ctx.fillText(item.label, item.left + SWATCH + 4, mid);
  }
  return layout;
}

/** A one-sentence description of the chart for screen readers. */
export function describeChart(data: ChartData): string {
  if (data.loss.length === 0) return 'Loss chart: no epochs trained yet.';
  const f = (v: number) => v.toPrecision(4);
  const n = data.loss.length;
  let text = `Loss chart (log scale) over ${n} epoch${n === 1 ? '' : 's'}: training loss from ${f(data.loss[0])} to ${f(data.loss[n - 1])}`;
  if (data.valLoss.length > 0) {
    text += `, validation loss from ${f(data.valLoss[0])} to ${f(data.valLoss[data.valLoss.length - 1])}`;
  }
  return `${text}.`;
}
