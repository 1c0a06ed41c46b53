/**
 * The web experiment's charts (`vamos bench web` writes them beside web.json): for each profile
 * and IOMMU mode, requests per virtual second and exits per request by page-cache size, one bar
 * for the baseline and one per transport of the hypervisor placement, each VAMOS bar labelled
 * with its improvement; and one self-contained HTML page with all of them and the table. Built
 * with the report module's SVG helpers, so they look like `vamos report`'s and `bench paper`'s.
 */
import { baseY, esc, legend, noData, PLOT, plotW, SERIES_COLORS, shortNum, svgDocument, xAxisLine, yAxis, type Chart } from '../../../vmm/report/svg.js';
import type { WebPointResult } from './point.js';
import { webSweepTable, type WebComparedPoint, type WebSweepConfig } from './sweep.js';

const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;

const SERIES_LABEL: Record<string, string> = {
  baseline: 'baseline (file layer in the guest)',
  vmcall: 'VAMOS-vmcall',
  virtio: 'VAMOS-virtio',
};

/** The points of one cache size: one per transport, each carrying the same baseline run. */
interface CacheGroup { cachePages: number; cacheOverSite: number; points: WebComparedPoint[] }

export interface WebChartGroup { profile: string; iommu: string; caches: CacheGroup[] }

/** The points by profile and IOMMU mode (a pair of charts each), then by cache size, in sweep order. */
export function webChartGroups(points: readonly WebComparedPoint[]): WebChartGroup[] {
  const out: WebChartGroup[] = [];
  for (const p of points) {
    let g = out.find((x) => x.profile === p.profile && x.iommu === p.iommu);
    if (g === undefined) out.push((g = { profile: p.profile, iommu: p.iommu, caches: [] }));
    let c = g.caches.find((x) => x.cachePages === p.cachePages);
    if (c === undefined) g.caches.push((c = { cachePages: p.cachePages, cacheOverSite: p.cacheOverSite, points: [] }));
    c.points.push(p);
  }
  return out;
}

function barChart(kind: 'throughput' | 'exits', title: string, sub: string, yLabel: string, caches: CacheGroup[], value: (r: WebPointResult) => number): Chart {
  if (caches.length === 0) return { kind, title, subtitle: sub, body: noData('no points') };
  const series = ['baseline', ...caches[0]!.points.map((p) => p.transport)];
  const values = (c: CacheGroup): number[] => [value(c.points[0]!.baseline), ...c.points.map((p) => value(p.vamos))];
  const max = Math.max(...caches.flatMap(values));
  const { svg: axis, y } = yAxis(max > 0 ? max : 1, yLabel);
  const slot = plotW / caches.length;
  const barW = Math.min(40, (slot * 0.75) / series.length);
  let body = axis + '<g class="bars">\n';
  caches.forEach((c, i) => {
    const cx = PLOT.left + slot * (i + 0.5);
    values(c).forEach((v, k) => {
      const x = cx - (barW * series.length) / 2 + k * barW;
      const top = y(v);
      const label = `${series[k]}, cache ${c.cachePages} pages: ${shortNum(v)}${k > 0 ? ` (${pct(c.points[k - 1]!.improvement)} requests/s)` : ''}`;
      body += `<rect class="bar" x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(baseY - top).toFixed(1)}" fill="${SERIES_COLORS[k % SERIES_COLORS.length]}"><title>${esc(label)}</title></rect>\n`;
      if (kind === 'throughput' && k > 0) {
        body += `<text class="improvement" x="${(x + barW / 2).toFixed(1)}" y="${(top - 6).toFixed(1)}" text-anchor="middle" font-size="10" fill="#333333">${esc(pct(c.points[k - 1]!.improvement))}</text>\n`;
      }
    });
    body += `<text x="${cx.toFixed(1)}" y="${baseY + 16}" text-anchor="middle">${c.cachePages}</text>` +
      `<text x="${cx.toFixed(1)}" y="${baseY + 30}" text-anchor="middle" fill="#555555">${(c.cacheOverSite * 100).toFixed(0)}% of the site</text>\n`;
  });
  body += '</g>\n' + xAxisLine('page cache (4 KiB pages); smaller misses more') +
    legend(series.map((s, k) => ({ label: SERIES_LABEL[s] ?? s, color: SERIES_COLORS[k % SERIES_COLORS.length]! })));
  return { kind, title, subtitle: sub, body };
}

export interface WebCharts { profile: string; iommu: string; throughput: string; exits: string }

export function webCharts(points: readonly WebComparedPoint[], standalone: boolean): WebCharts[] {
  return webChartGroups(points).map(({ profile, iommu, caches }) => {
    const sub = `web server, ${profile}, iommu=${iommu}`;
    return {
      profile, iommu,
      throughput: svgDocument(barChart('throughput', 'Requests per second', sub, 'requests per virtual second', caches, (r) => r.workload.requestsPerSecond), standalone),
      exits: svgDocument(barChart('exits', 'VM exits per request', sub, 'exits per request', caches, (r) => r.exitsPerRequest), standalone),
    };
  });
}

/** The chart files `vamos bench web` writes, by name (throughput-PROFILE-IOMMU.svg, exits-...). */
export function webChartFiles(points: readonly WebComparedPoint[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const c of webCharts(points, true)) {
    files.set(`throughput-${c.profile}-${c.iommu}.svg`, c.throughput);
    files.set(`exits-${c.profile}-${c.iommu}.svg`, c.exits);
  }
  return files;
}

export function webSweepHtml(cfg: WebSweepConfig, points: readonly WebComparedPoint[]): string {
  const charts = webCharts(points, false).map((c) => `<figure>\n${c.throughput}</figure>\n<figure>\n${c.exits}</figure>`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>vamos web server: the file layer in the guest against the file layer at the hypervisor level</title>
<style>body { font-family: sans-serif; margin: 24px; color: #222; max-width: 1600px; } .charts { display: flex; flex-wrap: wrap; gap: 16px; } figure { margin: 0; border: 1px solid #ddd; } pre { font-size: 12px; }</style>
</head>
<body>
<h1>The web server: the file layer in the guest against the file layer at the hypervisor level</h1>
<p>${esc(`Transports: ${cfg.transports.join(', ')} (vmcall: one synchronous hypercall per operation; virtio: the module channel, one chain per operation). A generated site of ${cfg.files} files, ${cfg.clients} keep-alive clients asking by Zipf popularity, ${cfg.warmup} warm-up and ${cfg.requests} measured requests per run, seed ${cfg.seed}. Virtual time: the numbers are the model's, reproducible bit for bit (docs/web.md).`)}</p>
<div class="charts">
${charts}
</div>
<pre>${esc(webSweepTable(points))}</pre>
</body>
</html>
`;
}
