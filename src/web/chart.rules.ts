/**
 * Chart geometry for the server-rendered SVG charts: numbers in, coordinates out. The templates
 * only draw what is computed here, so the charts need no script and render without a browser.
 */

export interface Frame {
  width: number;
  height: number;
  padding: { top: number; right: number; bottom: number; left: number };
}

export const DEFAULT_FRAME: Frame = { width: 720, height: 240, padding: { top: 12, right: 28, bottom: 28, left: 44 } };

/** 1, 2 or 5 times a power of ten, at least `v` (counts: never below 1). */
export function niceStep(v: number): number {
  if (!(v > 1)) return 1;
  const pow = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * pow >= v) return m * pow;
  return 10 * pow;
}

/** The y axis for values up to `max`: about four steps of a nice size, from zero. */
export function yAxis(max: number, steps = 4): { max: number; ticks: number[] } {
  const step = niceStep(max / steps);
  const top = Math.max(step, Math.ceil(max / step) * step);
  const ticks: number[] = [];
  for (let t = 0; t <= top + step / 2; t += step) ticks.push(t);
  return { max: top, ticks };
}

const round = (n: number) => Math.round(n * 10) / 10;

export interface SeriesInput {
  name: string;
  /** a CSS class the stylesheet colours (the templates add nothing else) */
  cls: string;
  values: number[];
}

export interface LineChart {
  width: number;
  height: number;
  baseline: number;
  plotLeft: number;
  plotRight: number;
  yTicks: { y: number; label: string }[];
  xLabels: { x: number; label: string }[];
  series: { name: string; cls: string; points: string; total: number; dots: { x: number; y: number; value: number; label: string }[] }[];
}

/** One polyline per series over shared x labels (one per value); every `labelEvery`-th label is shown, counted back from the newest. */
export function lineChart(labels: string[], series: SeriesInput[], opts: { frame?: Frame; labelEvery?: number } = {}): LineChart {
  const f = opts.frame ?? DEFAULT_FRAME;
  const { top, right, bottom, left } = f.padding;
  const plotW = f.width - left - right;
  const plotH = f.height - top - bottom;
  const axis = yAxis(Math.max(0, ...series.flatMap((s) => s.values)));
  const n = labels.length;
  const x = (i: number) => round(left + (n <= 1 ? plotW / 2 : (i * plotW) / (n - 1)));
  const y = (v: number) => round(top + plotH * (1 - v / axis.max));
  const every = opts.labelEvery ?? Math.max(1, Math.ceil(n / 6));
  return {
    width: f.width,
    height: f.height,
    baseline: top + plotH,
    plotLeft: left,
    plotRight: f.width - right,
    yTicks: axis.ticks.map((t) => ({ y: y(t), label: String(t) })),
    xLabels: labels.flatMap((label, i) => ((n - 1 - i) % every === 0 ? [{ x: x(i), label }] : [])),
    series: series.map((s) => ({
      name: s.name,
      cls: s.cls,
      total: s.values.reduce((a, b) => a + b, 0),
      points: s.values.map((v, i) => `${x(i)},${y(v)}`).join(' '),
      dots: s.values.map((v, i) => ({ x: x(i), y: y(v), value: v, label: labels[i] })),
    })),
  };
}

export interface BarChart {
  width: number;
  height: number;
  baseline: number;
  plotLeft: number;
  plotRight: number;
  yTicks: { y: number; label: string }[];
  xLabels: { x: number; label: string }[];
  bars: { x: number; width: number; label: string; total: number; segments: { y: number; height: number; cls: string; name: string; value: number }[] }[];
  legend: { name: string; cls: string; total: number }[];
}

/** Stacked bars, one per label, the series stacked bottom up in the order given. */
export function stackedBarChart(labels: string[], series: SeriesInput[], opts: { frame?: Frame; labelEvery?: number } = {}): BarChart {
  const f = opts.frame ?? DEFAULT_FRAME;
  const { top, right, bottom, left } = f.padding;
  const plotW = f.width - left - right;
  const plotH = f.height - top - bottom;
  const totals = labels.map((_, i) => series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0));
  const axis = yAxis(Math.max(0, ...totals));
  const n = Math.max(1, labels.length);
  const slot = plotW / n;
  const barW = round(Math.max(1, slot * 0.7));
  const every = opts.labelEvery ?? Math.max(1, Math.ceil(n / 6));
  const scale = (v: number) => (plotH * v) / axis.max;
  return {
    width: f.width,
    height: f.height,
    baseline: top + plotH,
    plotLeft: left,
    plotRight: f.width - right,
    yTicks: axis.ticks.map((t) => ({ y: round(top + plotH - scale(t)), label: String(t) })),
    xLabels: labels.flatMap((label, i) => ((n - 1 - i) % every === 0 ? [{ x: round(left + slot * i + slot / 2), label }] : [])),
    bars: labels.map((label, i) => {
      let stacked = 0;
      const segments = series.flatMap((s) => {
        const value = s.values[i] ?? 0;
        if (value <= 0) return [];
        const seg = { y: round(top + plotH - scale(stacked + value)), height: round(scale(value)), cls: s.cls, name: s.name, value };
        stacked += value;
        return [seg];
      });
      return { x: round(left + slot * i + (slot - barW) / 2), width: barW, label, total: totals[i], segments };
    }),
    legend: series.map((s) => ({ name: s.name, cls: s.cls, total: s.values.reduce((a, b) => a + b, 0) })),
  };
}

/** The last `days` UTC days ending with `today`, oldest first, as YYYY-MM-DD. */
export function dayKeys(today: Date, days: number): string[] {
  const end = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  return Array.from({ length: days }, (_, i) => new Date(end - (days - 1 - i) * 86_400_000).toISOString().slice(0, 10));
}

/** Rows of (day, key, n) into one value per day for each key, zero where a day has no row. */
export function toSeries(days: string[], rows: { day: string; key: string; n: number }[], keys: string[]): Record<string, number[]> {
  const index = new Map(days.map((d, i) => [d, i]));
  const out: Record<string, number[]> = Object.fromEntries(keys.map((k) => [k, days.map(() => 0)]));
  for (const r of rows) {
    const i = index.get(r.day);
    if (i !== undefined && out[r.key]) out[r.key][i] += r.n;
  }
  return out;
}

/** Short axis label for a YYYY-MM-DD day: "3 Nov". */
export function shortDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  return `${d.getUTCDate()} ${d.toLocaleString('en-GB', { month: 'short', timeZone: 'UTC' })}`;
}
