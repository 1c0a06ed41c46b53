/** Bar chart of exits per group (reason by default), with the runs' bars side by side. */
import { esc, legend, noData, PLOT, plotW, RUN_COLORS, shortNum, svgDocument, xAxisLine, yAxis, baseY, type Chart } from './svg.js';
import { subtitle, type Series } from './series.js';
import type { GroupBy } from './analyze.js';

/** More categories than this would make unreadable bars: the rest are summed into one. */
export const MAX_CATEGORIES = 16;
export const OTHER = '(other)';

const BY_TITLE: Record<GroupBy, string> = {
  reason: 'reason', device: 'device', function: 'guest function', 'reason-function': 'guest function and reason',
};

/** Categories in order (most exits over all runs first) and each run's count per category. */
export function barData(series: Series[]): { categories: string[]; counts: number[][] } {
  const totals = new Map<string, number>();
  for (const s of series) for (const g of s.an.groups) totals.set(g.key, (totals.get(g.key) ?? 0) + g.bucket.count);
  let categories = [...totals.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([k]) => k);
  const folded = categories.length > MAX_CATEGORIES ? new Set(categories.slice(MAX_CATEGORIES - 1)) : new Set<string>();
  if (folded.size > 0) categories = [...categories.slice(0, MAX_CATEGORIES - 1), OTHER];
  const counts = series.map((s) => {
    const row = categories.map(() => 0);
    for (const g of s.an.groups) row[folded.has(g.key) ? categories.length - 1 : categories.indexOf(g.key)] += g.bucket.count;
    return row;
  });
  return { categories, counts };
}

export function barsChart(series: Series[]): Chart {
  const by = series[0].an.by;
  const { categories, counts } = barData(series);
  const title = `Exits by ${BY_TITLE[by]}`;
  if (categories.length === 0) return { kind: 'bars', title, subtitle: subtitle(series), body: noData('no exits in this trace or window') };
  const max = Math.max(...counts.flat());
  const { svg: axis, y } = yAxis(max, 'exits');
  const slot = plotW / categories.length;
  const barW = Math.min(48, (slot * 0.8) / series.length);
  const rotate = categories.some((c) => c.length * 6.5 > slot);
  let body = axis + '<g class="bars">\n';
  categories.forEach((cat, ci) => {
    const x0 = PLOT.left + ci * slot + (slot - barW * series.length) / 2;
    series.forEach((s, si) => {
      const n = counts[si][ci];
      if (n === 0) return;
      const x = x0 + si * barW;
      // At least one pixel, so that a rare exit is still visible next to a common one.
      const h = Math.max(1, baseY - y(n));
      body += `<rect class="bar" data-key="${esc(cat)}" data-run="${esc(s.name)}" data-count="${n}" ` +
        `x="${x.toFixed(1)}" y="${(baseY - h).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${RUN_COLORS[si]}">` +
        `<title>${esc(`${s.name}: ${cat}: ${n} exits`)}</title></rect>\n` +
        `<text x="${(x + barW / 2 - 1).toFixed(1)}" y="${(baseY - h - 3).toFixed(1)}" text-anchor="middle" font-size="10">${shortNum(n)}</text>\n`;
    });
    const cx = PLOT.left + ci * slot + slot / 2;
    body += rotate
      ? `<text x="${cx.toFixed(1)}" y="${baseY + 12}" text-anchor="end" transform="rotate(-35 ${cx.toFixed(1)} ${baseY + 12})">${esc(cat)}</text>\n`
      : `<text x="${cx.toFixed(1)}" y="${baseY + 16}" text-anchor="middle">${esc(cat)}</text>\n`;
  });
  body += '</g>\n' + xAxisLine(rotate ? '' : BY_TITLE[by]);
  if (series.length > 1) body += legend(series.map((s, k) => ({ label: s.name, color: RUN_COLORS[k] })));
  return { kind: 'bars', title, subtitle: subtitle(series), body };
}

export function barsSvg(series: Series[], standalone = true): string {
  return svgDocument(barsChart(series), standalone);
}
