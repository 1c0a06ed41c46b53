/**
 * Exits over virtual time, binned: one line per exit reason for one run, one line per run
 * (all exits) for two.
 */
import { cyclesToUs, reasonOrder } from './analyze.js';
import { esc, legend, niceTicks, noData, PLOT, plotW, RUN_COLORS, SERIES_COLORS, shortNum, svgDocument, xAxisLine, yAxis, baseY, type Chart } from './svg.js';
import { subtitle, type Series } from './series.js';
import { EXIT_REASONS } from '../exits.js';

export const TIME_BINS = 60;

interface Line { label: string; color: string; counts: number[] }

export function timelineData(series: Series[]): { startUs: number; endUs: number; binUs: number; lines: Line[] } | null {
  const times = series.map((s) => s.an.exits.map((e) => cyclesToUs(e.at, s.an.run.trailer.cpuHz)));
  if (times.every((t) => t.length === 0)) return null;
  const first = series[0].an;
  // The VM starts at virtual time 0; an axis from there shows how long the run took to get going.
  const startUs = first.fromUs ?? 0;
  let endUs = first.toUs ?? Math.max(...times.map((t) => (t.length ? t[t.length - 1] : -Infinity)));
  if (!(endUs > startUs)) endUs = startUs + 1;
  const binUs = (endUs - startUs) / TIME_BINS;
  const bin = (t: number): number => Math.min(TIME_BINS - 1, Math.max(0, Math.floor((t - startUs) / binUs)));
  const lines: Line[] = [];
  if (series.length === 1) {
    const { exits } = series[0].an;
    for (const r of reasonOrder(exits.map((e) => e.reason))) {
      const counts = new Array<number>(TIME_BINS).fill(0);
      exits.forEach((e, k) => { if (e.reason === r) counts[bin(times[0][k])]++; });
      lines.push({ label: r, color: SERIES_COLORS[EXIT_REASONS.indexOf(r) % SERIES_COLORS.length], counts });
    }
  } else {
    series.forEach((s, si) => {
      const counts = new Array<number>(TIME_BINS).fill(0);
      for (const t of times[si]) counts[bin(t)]++;
      lines.push({ label: `${s.name}: all exits`, color: RUN_COLORS[si], counts });
    });
  }
  return { startUs, endUs, binUs, lines };
}

export function timelineChart(series: Series[]): Chart {
  const title = 'Exits over virtual time';
  const data = timelineData(series);
  if (data === null) return { kind: 'timeline', title, subtitle: subtitle(series), body: noData('no exits in this trace or window') };
  const { startUs, endUs, binUs, lines } = data;
  const ms = endUs - startUs >= 2000;
  const unit = ms ? 'ms' : 'us';
  const scale = ms ? 1e-3 : 1;
  const { svg: axis, y } = yAxis(Math.max(...lines.flatMap((l) => l.counts)), `exits per ${shortNum(binUs * scale)}${unit}`);
  const x = (us: number): number => PLOT.left + ((us - startUs) / (endUs - startUs)) * plotW;
  let body = axis + '<g class="lines">\n';
  for (const l of lines) {
    const pts = l.counts.map((c, k) => `${x(startUs + (k + 0.5) * binUs).toFixed(1)},${y(c).toFixed(1)}`).join(' ');
    body += `<polyline class="series" data-label="${esc(l.label)}" points="${pts}" fill="none" stroke="${l.color}" stroke-width="2">` +
      `<title>${esc(l.label)}</title></polyline>\n`;
  }
  body += '</g>\n<g class="ticks">\n';
  for (const t of niceTicks((endUs - startUs) * scale, 6)) {
    const us = startUs + t / scale;
    if (us > endUs + 1e-9) break;
    const tx = x(us).toFixed(1);
    body += `<line x1="${tx}" y1="${baseY}" x2="${tx}" y2="${baseY + 5}" stroke="#333333"/>` +
      `<text x="${tx}" y="${baseY + 18}" text-anchor="middle">${shortNum(us * scale)}</text>\n`;
  }
  body += '</g>\n' + xAxisLine(`virtual time (${unit})`);
  body += legend(lines.map((l) => ({ label: l.label, color: l.color })));
  return { kind: 'timeline', title, subtitle: subtitle(series), body };
}

export function timelineSvg(series: Series[], standalone = true): string {
  return svgDocument(timelineChart(series), standalone);
}
