/**
 * Hand-written SVG, shared by the three charts: escaping, the document frame with a title,
 * axes with round ticks, a legend. No dependencies and no external fonts, so a chart renders
 * the same in a browser with no network.
 */
export const WIDTH = 760;
export const HEIGHT = 400;
export const PLOT = { left: 70, right: 20, top: 70, bottom: 86 };

/** Colour per series (run) and per exit reason: fixed, so two reports are comparable. */
export const RUN_COLORS = ['#4e79a7', '#f28e2b'];
export const SERIES_COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Numbers short enough for an axis: 1200 → 1.2k. */
export function shortNum(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e9) return trim(n / 1e9) + 'G';
  if (a >= 1e6) return trim(n / 1e6) + 'M';
  if (a >= 1e3) return trim(n / 1e3) + 'k';
  return trim(n);
}

function trim(n: number): string {
  return String(Number(n.toPrecision(3)));
}

/** Round tick values from 0 to at least max. */
export function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = 0; v < max + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1] < max) ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)));
  return ticks;
}

export interface Chart {
  /** Which chart, for the root element's class (tests and the HTML page look for it). */
  kind: string;
  title: string;
  subtitle: string;
  body: string;
}

export function svgDocument(c: Chart, standalone: boolean): string {
  const head = standalone ? '<?xml version="1.0" encoding="UTF-8"?>\n' : '';
  return head +
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-${c.kind}" width="${WIDTH}" height="${HEIGHT}" ` +
    `viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12" role="img">\n` +
    `<title>${esc(`${c.title}: ${c.subtitle}`)}</title>\n` +
    `<rect x="0" y="0" width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>\n` +
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(c.title)}</text>\n` +
    `<text x="${WIDTH / 2}" y="40" text-anchor="middle" fill="#555555">${esc(c.subtitle)}</text>\n` +
    c.body + '</svg>\n';
}

export const plotW = WIDTH - PLOT.left - PLOT.right;
export const plotH = HEIGHT - PLOT.top - PLOT.bottom;
export const baseY = PLOT.top + plotH;

/** The y axis (linear from 0) with grid lines and its label; returns the value → y mapping. */
export function yAxis(max: number, label: string): { svg: string; y: (v: number) => number } {
  const ticks = niceTicks(max);
  const top = ticks[ticks.length - 1];
  const y = (v: number): number => baseY - (v / top) * plotH;
  let svg = '<g class="axis y-axis">\n';
  for (const t of ticks) {
    const ty = y(t).toFixed(1);
    svg += `<line x1="${PLOT.left}" y1="${ty}" x2="${PLOT.left + plotW}" y2="${ty}" stroke="#e0e0e0"/>` +
      `<text x="${PLOT.left - 6}" y="${ty}" text-anchor="end" dominant-baseline="middle">${shortNum(t)}</text>\n`;
  }
  svg += `<line x1="${PLOT.left}" y1="${PLOT.top}" x2="${PLOT.left}" y2="${baseY}" stroke="#333333"/>\n`;
  svg += `<text transform="translate(16 ${PLOT.top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(label)}</text>\n</g>\n`;
  return { svg, y };
}

export function xAxisLine(label: string): string {
  return `<g class="axis x-axis"><line x1="${PLOT.left}" y1="${baseY}" x2="${PLOT.left + plotW}" y2="${baseY}" stroke="#333333"/>` +
    `<text x="${PLOT.left + plotW / 2}" y="${HEIGHT - 10}" text-anchor="middle">${esc(label)}</text></g>\n`;
}

/** A one-line legend along the top right of the plot. */
export function legend(items: { label: string; color: string }[]): string {
  if (items.length === 0) return '';
  let x = PLOT.left + plotW;
  let svg = '<g class="legend">\n';
  // Laid out right to left so the legend ends at the plot's right edge.
  for (const it of [...items].reverse()) {
    const w = 18 + it.label.length * 6.5;
    x -= w + 10;
    svg += `<rect x="${x.toFixed(1)}" y="${PLOT.top - 20}" width="12" height="12" fill="${it.color}"/>` +
      `<text x="${(x + 16).toFixed(1)}" y="${PLOT.top - 10}">${esc(it.label)}</text>\n`;
  }
  return svg + '</g>\n';
}

export function noData(message: string): string {
  return `<text class="no-data" x="${PLOT.left + plotW / 2}" y="${PLOT.top + plotH / 2}" text-anchor="middle" fill="#777777">${esc(message)}</text>\n`;
}
