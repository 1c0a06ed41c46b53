/** Histogram of per-exit virtual cost, on a log scale: five bins per decade of µs. */
import { cyclesToUs } from './analyze.js';
import { esc, legend, noData, PLOT, plotW, RUN_COLORS, shortNum, svgDocument, xAxisLine, yAxis, baseY, type Chart } from './svg.js';
import { subtitle, type Series } from './series.js';

export const BINS_PER_DECADE = 5;

export interface CostBins {
  /** log10 of the lowest edge, in µs. */
  lo: number;
  bins: number;
  counts: number[][];
}

export function costBins(series: Series[]): CostBins | null {
  const costs = series.map((s) => s.an.exits.map((e) => cyclesToUs(e.cost, s.an.run.trailer.cpuHz)));
  const positive = costs.flat().filter((c) => c > 0);
  if (positive.length === 0) return null;
  let min = Infinity, max = 0;
  for (const c of positive) { if (c < min) min = c; if (c > max) max = c; }
  const lo = Math.floor(Math.log10(min));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(max) + 1e-12));
  const bins = (hi - lo) * BINS_PER_DECADE;
  const counts = costs.map((cs) => {
    const row = new Array<number>(bins).fill(0);
    // A free exit (cost 0) has no place on a log axis: it is counted in the lowest bin.
    for (const c of cs) row[c > 0 ? Math.min(bins - 1, Math.max(0, Math.floor((Math.log10(c) - lo) * BINS_PER_DECADE))) : 0]++;
    return row;
  });
  return { lo, bins, counts };
}

function usLabel(us: number): string {
  return us >= 1000 ? `${shortNum(us / 1000)}ms` : `${shortNum(us)}us`;
}

export function costChart(series: Series[]): Chart {
  const title = 'Per-exit virtual cost (log scale)';
  const data = costBins(series);
  if (data === null) return { kind: 'cost', title, subtitle: subtitle(series), body: noData('no exits with a cost in this trace or window') };
  const { lo, bins, counts } = data;
  const { svg: axis, y } = yAxis(Math.max(...counts.flat()), 'exits');
  const binW = plotW / bins;
  const barW = (binW - 2) / series.length;
  let body = axis + '<g class="bars">\n';
  for (let b = 0; b < bins; b++) {
    const from = 10 ** (lo + b / BINS_PER_DECADE), to = 10 ** (lo + (b + 1) / BINS_PER_DECADE);
    series.forEach((s, si) => {
      const n = counts[si][b];
      if (n === 0) return;
      const h = Math.max(1, baseY - y(n));
      const x = PLOT.left + b * binW + 1 + si * barW;
      body += `<rect class="bar" data-run="${esc(s.name)}" data-count="${n}" data-from-us="${Number(from.toPrecision(4))}" ` +
        `x="${x.toFixed(1)}" y="${(baseY - h).toFixed(1)}" width="${Math.max(1, barW).toFixed(1)}" height="${h.toFixed(1)}" fill="${RUN_COLORS[si]}">` +
        `<title>${esc(`${s.name}: ${n} exits costing ${usLabel(from)} to ${usLabel(to)}`)}</title></rect>\n`;
    });
  }
  body += '</g>\n<g class="ticks">\n';
  for (let d = 0; d <= bins / BINS_PER_DECADE; d++) {
    const x = (PLOT.left + d * BINS_PER_DECADE * binW).toFixed(1);
    body += `<line x1="${x}" y1="${baseY}" x2="${x}" y2="${baseY + 5}" stroke="#333333"/>` +
      `<text x="${x}" y="${baseY + 18}" text-anchor="middle">${usLabel(10 ** (lo + d))}</text>\n`;
  }
  body += '</g>\n' + xAxisLine('virtual cost of one exit (log scale, 5 bins per decade)');
  if (series.length > 1) body += legend(series.map((s, k) => ({ label: s.name, color: RUN_COLORS[k] })));
  return { kind: 'cost', title, subtitle: subtitle(series), body };
}

export function costSvg(series: Series[], standalone = true): string {
  return svgDocument(costChart(series), standalone);
}
