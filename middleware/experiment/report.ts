/**
 * What `vamos bench paper` prints and writes: the comparison table, the sweep as JSON, and
 * charts (standalone SVG and one self-contained HTML page, built with the report module's SVG
 * helpers so they look like `vamos report`'s).
 */
import { columns } from '../../vmm/report/columns.js';
import { esc, legend, noData, PLOT, plotW, RUN_COLORS, shortNum, svgDocument, xAxisLine, yAxis, baseY, type Chart } from '../../vmm/report/svg.js';
import type { ComparedPoint, SweepConfig } from './sweep.js';
import { EXIT_REASONS, type ExitReason } from '../../vmm/exits.js';

const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
const fixed = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : 'inf');

/** The I/O intensity of a point: 4 KiB volume reads per operation (the baseline's; VAMOS's engine is the same code). */
export function readsPerOp(p: ComparedPoint): number {
  return p.baseline.volume.pageReadsPerOp;
}

export function sweepTable(points: ComparedPoint[]): string {
  const header = ['profile', 'iommu', 'pool', 'reads/op', 'base ops/s', 'vamos ops/s', 'improvement', 'exits/op base', 'exits/op vamos', 'reduction', 'same replies'];
  const rows = points.map((p) => [
    p.profile, p.iommu, String(p.poolPages), readsPerOp(p).toFixed(2),
    fixed(p.baseline.workload.opsPerSecond, 0), fixed(p.vamos.workload.opsPerSecond, 0), pct(p.improvement),
    fixed(p.baseline.exitsPerOp, 2), fixed(p.vamos.exitsPerOp, 2), `${fixed(p.exitReduction, 1)}x`, p.sameReplies ? 'yes' : 'no',
  ]);
  return columns(header, rows, [0, 1]);
}

/** Exits per operation summed over devices, by reason, in a fixed order (EXIT_REASONS). */
export function byReason(rows: readonly { reason: ExitReason; count: number }[], ops: number): Partial<Record<ExitReason, number>> {
  const out: Partial<Record<ExitReason, number>> = {};
  for (const r of EXIT_REASONS) {
    const count = rows.filter((x) => x.reason === r).reduce((s, x) => s + x.count, 0);
    if (count > 0) out[r] = count / ops;
  }
  return out;
}

export function sweepJson(cfg: SweepConfig, points: ComparedPoint[]): Record<string, unknown> {
  return {
    config: cfg,
    points: points.map((p) => ({
      // The module channel; item 3 of issue 17 adds 'virtio' beside today's synchronous hypercall.
      transport: 'vmcall', profile: p.profile, iommu: p.iommu, poolPages: p.poolPages, pageReadsPerOp: readsPerOp(p), baselineVolume: p.baseline.volume, vamosVolume: p.vamos.volume,
      baselineOpsPerSecond: p.baseline.workload.opsPerSecond, vamosOpsPerSecond: p.vamos.workload.opsPerSecond,
      improvement: p.improvement, exitReduction: p.exitReduction,
      baselineExitsPerOp: p.baseline.exitsPerOp, vamosExitsPerOp: p.vamos.exitsPerOp,
      baselineExitsPerOpByReason: byReason(p.baseline.exits, cfg.operations), vamosExitsPerOpByReason: byReason(p.vamos.exits, cfg.operations),
      baselineExits: p.baseline.exits, vamosExits: p.vamos.exits,
      baselineLatencyUs: p.baseline.workload.latencyUs, vamosLatencyUs: p.vamos.workload.latencyUs,
      hypercallsPerOp: p.vamos.hypercallsPerOp, sameReplies: p.sameReplies,
      checksums: [p.baseline.workload.checksum, p.vamos.workload.checksum],
    })),
  };
}

/** Grouped bars: one group per pool size, baseline and VAMOS side by side. */
function pairChart(kind: string, title: string, sub: string, yLabel: string, points: ComparedPoint[], value: (p: ComparedPoint, side: 'baseline' | 'vamos') => number): Chart {
  if (points.length === 0) return { kind, title, subtitle: sub, body: noData('no points') };
  const max = Math.max(...points.flatMap((p) => [value(p, 'baseline'), value(p, 'vamos')]));
  const { svg: axis, y } = yAxis(max > 0 ? max : 1, yLabel);
  const slot = plotW / points.length;
  const barW = Math.min(48, slot * 0.35);
  let body = axis + '<g class="bars">\n';
  points.forEach((p, i) => {
    const cx = PLOT.left + slot * (i + 0.5);
    (['baseline', 'vamos'] as const).forEach((side, k) => {
      const v = value(p, side);
      const x = cx - barW + k * barW;
      const top = y(v);
      body += `<rect class="bar" x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(baseY - top).toFixed(1)}" fill="${RUN_COLORS[k]}"><title>${esc(`${side}, pool ${p.poolPages}: ${shortNum(v)}`)}</title></rect>\n`;
    });
    body += `<text x="${cx.toFixed(1)}" y="${baseY + 16}" text-anchor="middle">${p.poolPages}</text>\n`;
    if (kind === 'throughput') {
      body += `<text x="${cx.toFixed(1)}" y="${(y(Math.max(value(p, 'baseline'), value(p, 'vamos'))) - 6).toFixed(1)}" text-anchor="middle" fill="#333333">${esc(pct(p.improvement))}</text>\n`;
    }
  });
  body += '</g>\n' + xAxisLine('buffer pool (4 KiB pages); smaller is more I/O-bound') +
    legend([{ label: 'baseline (engine in the guest)', color: RUN_COLORS[0] }, { label: 'VAMOS (engine in the hypervisor)', color: RUN_COLORS[1] }]);
  return { kind, title, subtitle: sub, body };
}

export function sweepCharts(points: ComparedPoint[], standalone: boolean): { throughput: string; exits: string }[] {
  const groups = new Map<string, ComparedPoint[]>();
  for (const p of points) {
    const k = `${p.profile}, iommu=${p.iommu}`;
    groups.set(k, [...(groups.get(k) ?? []), p]);
  }
  return [...groups.entries()].map(([k, ps]) => ({
    throughput: svgDocument(pairChart('throughput', 'Throughput', k, 'operations per virtual second', ps, (p, s) => p[s].workload.opsPerSecond), standalone),
    exits: svgDocument(pairChart('exits', 'VM exits per operation', k, 'exits per operation', ps, (p, s) => p[s].exitsPerOp), standalone),
  }));
}

export function sweepHtml(cfg: SweepConfig, points: ComparedPoint[], extra: { diffHref?: string } = {}): string {
  const charts = sweepCharts(points, false).map((c) => `<figure>\n${c.throughput}</figure>\n<figure>\n${c.exits}</figure>`).join('\n');
  const table = `<pre>${esc(sweepTable(points))}</pre>`;
  const link = extra.diffHref ? `<p>Exit-by-exit comparison of the most I/O-bound point: <a href="${esc(extra.diffHref)}">${esc(extra.diffHref)}</a> (vamos report --diff).</p>` : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>VAMOS: baseline against the engine at the hypervisor level</title>
<style>body { font-family: sans-serif; margin: 24px; color: #222; max-width: 1600px; } .charts { display: flex; flex-wrap: wrap; gap: 16px; } figure { margin: 0; border: 1px solid #ddd; } pre { font-size: 12px; }</style>
</head>
<body>
<h1>VAMOS: the storage engine in the guest against the storage engine at the hypervisor level</h1>
<p>${esc(`YCSB-like mix ${cfg.mix}, ${cfg.distribution} keys, ${cfg.records} records of ${cfg.valueSize} bytes, ${cfg.operations} operations, ${cfg.concurrency} clients, seed ${cfg.seed}. Virtual time: the numbers are the model's, reproducible bit for bit (docs/paper.md).`)}</p>
<div class="charts">
${charts}
</div>
${link}
${table}
</body>
</html>
`;
}
