/**
 * What `vamos bench paper` prints and writes: the comparison table, the sweep as JSON, and
 * charts (standalone SVG and one self-contained HTML page, built with the report module's SVG
 * helpers so they look like `vamos report`'s).
 */
import { columns } from '../../vmm/report/columns.js';
import { esc, legend, noData, PLOT, plotW, RUN_COLORS, shortNum, svgDocument, xAxisLine, yAxis, baseY, type Chart } from '../../vmm/report/svg.js';
import type { ComparedPoint, SweepConfig } from './sweep.js';
import type { PointResult } from './point.js';
import { EXIT_REASONS, type ExitReason } from '../../vmm/exits.js';

const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
const fixed = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : 'inf');

/** The I/O intensity of a point: 4 KiB volume reads per operation (the baseline's; VAMOS's engine is the same code). */
export function readsPerOp(p: ComparedPoint): number {
  return p.baseline.volume.pageReadsPerOp;
}

/** Baseline, then VAMOS over each transport: one row per compared point. */
export function sweepTable(points: ComparedPoint[]): string {
  const header = ['profile', 'iommu', 'pool', 'transport', 'reads/op', 'base ops/s', 'vamos ops/s', 'improvement', 'exits/op base', 'exits/op vamos', 'reduction', 'p99 us base', 'p99 us vamos', 'same replies'];
  const rows = points.map((p) => [
    p.profile, p.iommu, String(p.poolPages), p.transport, readsPerOp(p).toFixed(2),
    fixed(p.baseline.workload.opsPerSecond, 0), fixed(p.vamos.workload.opsPerSecond, 0), pct(p.improvement),
    fixed(p.baseline.exitsPerOp, 2), fixed(p.vamos.exitsPerOp, 2), `${fixed(p.exitReduction, 1)}x`,
    fixed(p.baseline.workload.latencyUs.p99, 0), fixed(p.vamos.workload.latencyUs.p99, 0), p.sameReplies ? 'yes' : 'no',
  ]);
  return columns(header, rows, [0, 1, 3]);
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
      // 'vmcall': one synchronous hypercall per operation; 'virtio': the module channel (Virtio-SQL).
      transport: p.transport, profile: p.profile, iommu: p.iommu, poolPages: p.poolPages, pageReadsPerOp: readsPerOp(p), baselineVolume: p.baseline.volume, vamosVolume: p.vamos.volume,
      baselineOpsPerSecond: p.baseline.workload.opsPerSecond, vamosOpsPerSecond: p.vamos.workload.opsPerSecond,
      improvement: p.improvement, exitReduction: p.exitReduction,
      baselineExitsPerOp: p.baseline.exitsPerOp, vamosExitsPerOp: p.vamos.exitsPerOp,
      baselineExitsPerOpByReason: byReason(p.baseline.exits, cfg.operations), vamosExitsPerOpByReason: byReason(p.vamos.exits, cfg.operations),
      baselineExits: p.baseline.exits, vamosExits: p.vamos.exits,
      baselineLatencyUs: p.baseline.workload.latencyUs, vamosLatencyUs: p.vamos.workload.latencyUs,
      hypercallsPerOp: p.vamos.hypercallsPerOp, sameReplies: p.sameReplies,
      ...(p.vamos.channel ? { channel: p.vamos.channel } : {}),
      checksums: [p.baseline.workload.checksum, p.vamos.workload.checksum],
    })),
  };
}

/** One group of bars per pool size: the baseline, then VAMOS over each transport. */
interface PoolGroup {
  poolPages: number;
  /** The points of this pool, one per transport (each carries the same baseline). */
  points: ComparedPoint[];
}

/** Short enough that three fit the legend's row (vmm/report/svg.ts lays them out in one line). */
const SERIES_LABEL: Record<string, string> = {
  baseline: 'baseline (engine in the guest)',
  vmcall: 'VAMOS-vmcall',
  virtio: 'VAMOS-virtio (Virtio-SQL)',
};

function groupChart(kind: string, title: string, sub: string, yLabel: string, groups: PoolGroup[], value: (r: PointResult) => number): Chart {
  if (groups.length === 0) return { kind, title, subtitle: sub, body: noData('no points') };
  const series = ['baseline', ...groups[0]!.points.map((p) => p.transport)];
  const values = (g: PoolGroup): number[] => [value(g.points[0]!.baseline), ...g.points.map((p) => value(p.vamos))];
  const max = Math.max(...groups.flatMap(values));
  const { svg: axis, y } = yAxis(max > 0 ? max : 1, yLabel);
  const slot = plotW / groups.length;
  const barW = Math.min(40, (slot * 0.7) / series.length);
  let body = axis + '<g class="bars">\n';
  groups.forEach((g, i) => {
    const cx = PLOT.left + slot * (i + 0.5);
    const vs = values(g);
    vs.forEach((v, k) => {
      const x = cx - (barW * series.length) / 2 + k * barW;
      const top = y(v);
      body += `<rect class="bar" x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(baseY - top).toFixed(1)}" fill="${RUN_COLORS[k % RUN_COLORS.length]}"><title>${esc(`${series[k]}, pool ${g.poolPages}: ${shortNum(v)}`)}</title></rect>\n`;
      if (kind === 'throughput' && k > 0) {
        body += `<text x="${(x + barW / 2).toFixed(1)}" y="${(top - 6).toFixed(1)}" text-anchor="middle" font-size="10" fill="#333333">${esc(pct(g.points[k - 1]!.improvement))}</text>\n`;
      }
    });
    body += `<text x="${cx.toFixed(1)}" y="${baseY + 16}" text-anchor="middle">${g.poolPages}</text>\n`;
  });
  body += '</g>\n' + xAxisLine('buffer pool (4 KiB pages); smaller is more I/O-bound') +
    legend(series.map((s, k) => ({ label: SERIES_LABEL[s] ?? s, color: RUN_COLORS[k % RUN_COLORS.length] })));
  return { kind, title, subtitle: sub, body };
}

/** The points grouped by profile and IOMMU mode (a chart each), then by pool size. */
export function chartGroups(points: ComparedPoint[]): { profile: string; iommu: string; pools: PoolGroup[] }[] {
  const out: { profile: string; iommu: string; pools: PoolGroup[] }[] = [];
  for (const p of points) {
    let g = out.find((x) => x.profile === p.profile && x.iommu === p.iommu);
    if (g === undefined) out.push((g = { profile: p.profile, iommu: p.iommu, pools: [] }));
    let pool = g.pools.find((x) => x.poolPages === p.poolPages);
    if (pool === undefined) g.pools.push((pool = { poolPages: p.poolPages, points: [] }));
    pool.points.push(p);
  }
  return out;
}

export function sweepCharts(points: ComparedPoint[], standalone: boolean): { profile: string; iommu: string; throughput: string; exits: string }[] {
  return chartGroups(points).map(({ profile, iommu, pools }) => {
    const k = `${profile}, iommu=${iommu}`;
    return {
      profile, iommu,
      throughput: svgDocument(groupChart('throughput', 'Throughput', k, 'operations per virtual second', pools, (r) => r.workload.opsPerSecond), standalone),
      exits: svgDocument(groupChart('exits', 'VM exits per operation', k, 'exits per operation', pools, (r) => r.exitsPerOp), standalone),
    };
  });
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
<title>VAMOS: baseline against the engine at the hypervisor level, over vmcall and the module channel</title>
<style>body { font-family: sans-serif; margin: 24px; color: #222; max-width: 1600px; } .charts { display: flex; flex-wrap: wrap; gap: 16px; } figure { margin: 0; border: 1px solid #ddd; } pre { font-size: 12px; }</style>
</head>
<body>
<h1>VAMOS: the storage engine in the guest against the storage engine at the hypervisor level</h1>
<p>${esc(`Transports: ${(cfg.transports ?? ['vmcall']).join(', ')} (vmcall: one synchronous hypercall per operation; virtio: the module channel, the prototype's Virtio-SQL). YCSB-like mix ${cfg.mix}, ${cfg.distribution} keys, ${cfg.records} records of ${cfg.valueSize} bytes, ${cfg.operations} operations, ${cfg.concurrency} clients, seed ${cfg.seed}. Virtual time: the numbers are the model's, reproducible bit for bit (docs/paper.md).`)}</p>
<div class="charts">
${charts}
</div>
${link}
${table}
</body>
</html>
`;
}
