/**
 * What the conclusion depends on (`vamos bench sensitivity`, docs/paper.md): the most I/O-bound
 * point of the sweep rerun with each cost figure of a profile scaled by each factor (0.5 and 2
 * by default), one figure at a time, and the improvement of each variant drawn as a tornado
 * chart. Two figures have no factor of their own: the indirect cost per exit is 0 in the
 * sourced profiles and is set to one and to ten times a light exit's direct cost (SplitX's
 * range), and an "assumed" disk figure is also run at the ends of its plausible range.
 */
import { esc } from '../../vmm/report/svg.js';
import type { CostProfile } from '../../vmm/profile.js';
import type { ExitReason } from '../../vmm/exits.js';
import type { ComparedPoint } from './sweep.js';

export interface Variant {
  /** The figure, as named in the profile. */
  figure: string;
  /** What was set, for the chart: "×0.5", "= 20,000". */
  label: string;
  /** A number, or for `virtioIo` the placement chosen. */
  value: number | string;
  profile: CostProfile;
}

const EXIT_FIGURES: ExitReason[] = ['io', 'mmio', 'hlt', 'vmcall', 'interrupt-window', 'external-interrupt'];

/** The disk figures of profiles that label them assumed: the ends of a plausible range. */
const ASSUMED_DISK: Record<string, { latencyNsPerRequest: [number, number]; nsPerByte: [number, number] }> = {
  // A page-cache read: a pread of a few KiB (1 µs, a fast syscall and a cached copy) up to a
  // contended host (20 µs); copies from 10 GB/s down to 1 GB/s.
  'nehalem-2011-pagecache': { latencyNsPerRequest: [1000, 20000], nsPerByte: [0.1, 1] },
};

function set(p: CostProfile, figure: string, value: number): CostProfile {
  const q = structuredClone(p);
  const [a, b] = figure.split('.');
  if (b === undefined) (q as unknown as Record<string, number>)[a!] = value;
  else (q as unknown as Record<string, Record<string, number>>)[a!]![b] = value;
  return q;
}

function get(p: CostProfile, figure: string): number {
  const [a, b] = figure.split('.');
  const v = b === undefined ? (p as unknown as Record<string, number>)[a!] : (p as unknown as Record<string, Record<string, number>>)[a!]![b];
  return v ?? 0;
}

/** Every variant of `p` to run, figure by figure. */
export function variants(p: CostProfile, factors: number[]): Variant[] {
  const scaled = [
    ...EXIT_FIGURES.map((r) => `exitCycles.${r}`), 'userspaceExitExtraCycles', 'interruptInjectionCycles',
    'cyclesPerInstruction', 'hypercallCycles', 'disk.latencyNsPerRequest', 'disk.nsPerByte',
  ];
  const out: Variant[] = [];
  for (const figure of scaled) {
    for (const f of factors) out.push({ figure, label: `×${f}`, value: get(p, figure) * f, profile: set(p, figure, get(p, figure) * f) });
    const range = ASSUMED_DISK[p.name]?.[figure.split('.')[1] as 'nsPerByte'];
    if (figure.startsWith('disk.') && range !== undefined) {
      for (const v of range) out.push({ figure, label: `= ${v} (assumed range)`, value: v, profile: set(p, figure, v) });
    }
  }
  const direct = p.exitCycles.hlt; // a light exit's round trip: the direct cost SplitX compares with
  for (const k of [1, 10]) {
    out.push({ figure: 'indirectExitCycles', label: `= ${k}× a light exit (${direct * k})`, value: direct * k, profile: set(p, 'indirectExitCycles', direct * k) });
  }
  // The placement of virtio-blk's and the channel's work (docs/virtio.md): the other choice.
  const io = p.virtioIo === 'iothread' ? 'vcpu' : 'iothread';
  out.push({ figure: 'virtioIo', label: `= ${io}`, value: io, profile: { ...structuredClone(p), virtioIo: io } });
  return out;
}

export interface SensitivityRow {
  figure: string;
  base: number | string;
  variants: { label: string; value: number | string; improvement: number; exitReduction: number }[];
  low: number;
  high: number;
}

export interface SensitivityResult {
  profile: string;
  /** How VAMOS reached the engine in these runs (vmcall or virtio: the module channel). */
  transport: string;
  iommu: string;
  poolPages: number;
  pageReadsPerOp: number;
  improvement: number;
  rows: SensitivityRow[];
}

/** Groups the variants' points by figure, widest spread first (the tornado's order). */
export function summarize(p: CostProfile, base: ComparedPoint, vs: Variant[], points: ComparedPoint[]): SensitivityResult {
  const rows = new Map<string, SensitivityRow>();
  vs.forEach((v, k) => {
    const pt = points[k]!;
    const row = rows.get(v.figure) ?? { figure: v.figure, base: v.figure === 'virtioIo' ? p.virtioIo ?? 'vcpu' : get(p, v.figure), variants: [], low: base.improvement, high: base.improvement };
    row.variants.push({ label: v.label, value: v.value, improvement: pt.improvement, exitReduction: pt.exitReduction });
    row.low = Math.min(row.low, pt.improvement);
    row.high = Math.max(row.high, pt.improvement);
    rows.set(v.figure, row);
  });
  return {
    profile: p.name, transport: base.transport ?? 'vmcall', iommu: base.iommu, poolPages: base.poolPages, pageReadsPerOp: base.baseline.volume.pageReadsPerOp,
    improvement: base.improvement, rows: [...rows.values()].sort((a, b) => (b.high - b.low) - (a.high - a.low)),
  };
}

const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;

export function sensitivityTable(r: SensitivityResult): string {
  const lines = [`${r.profile}, VAMOS over ${r.transport}, IOMMU ${r.iommu}, pool ${r.poolPages} (${r.pageReadsPerOp.toFixed(2)} page reads/op): improvement ${pct(r.improvement)}`];
  for (const row of r.rows) {
    lines.push(`  ${row.figure.padEnd(30)} ${pct(row.low).padStart(7)} .. ${pct(row.high).padEnd(7)}  ${row.variants.map((v) => `${v.label}: ${pct(v.improvement)}`).join(', ')}`);
  }
  return lines.join('\n');
}

/** A tornado chart: one bar per figure from its lowest to its highest improvement, the base as a line. */
export function tornadoSvg(r: SensitivityResult, standalone = true): string {
  const W = 860, left = 230, right = 60, top = 56, rowH = 26;
  const H = top + r.rows.length * rowH + 60;
  const lo0 = Math.min(...r.rows.map((x) => x.low), r.improvement), hi0 = Math.max(...r.rows.map((x) => x.high), r.improvement);
  const pad = (hi0 - lo0) * 0.08 || 0.01;
  const lo = lo0 - pad, hi = hi0 + pad, span = hi - lo;
  const x = (v: number): number => left + ((v - lo) / span) * (W - left - right);
  const bottom = top + r.rows.length * rowH;
  // Ticks at a round step (1, 2 or 5 times a power of ten, in percent), about six of them.
  const raw = (span * 100) / 6, mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag / 100;
  let body = '';
  for (let v = Math.ceil(lo / step) * step; v <= hi; v += step) {
    body += `<line x1="${x(v).toFixed(1)}" y1="${top}" x2="${x(v).toFixed(1)}" y2="${bottom}" stroke="#eee"/><text x="${x(v).toFixed(1)}" y="${bottom + 16}" text-anchor="middle" font-size="10" fill="#555">${esc(pct(v))}</text>\n`;
  }
  if (lo < 0.32 && hi > 0.32) {
    body += `<line x1="${x(0.32).toFixed(1)}" y1="${top}" x2="${x(0.32).toFixed(1)}" y2="${bottom}" stroke="#59a14f" stroke-dasharray="4,3"/><text x="${x(0.32).toFixed(1)}" y="${bottom + 30}" text-anchor="middle" font-size="10" fill="#59a14f">the paper's 32%</text>\n`;
  }
  r.rows.forEach((row, i) => {
    const y = top + i * rowH;
    const a = x(row.low), b = x(row.high);
    const tip = row.variants.map((v) => `${v.label}: ${pct(v.improvement)}`).join('; ');
    body += `<text x="${left - 8}" y="${y + 16}" text-anchor="end">${esc(row.figure)}</text>\n`;
    body += `<rect x="${a.toFixed(1)}" y="${y + 4}" width="${Math.max(1, b - a).toFixed(1)}" height="${rowH - 8}" fill="#4e79a7"><title>${esc(`${row.figure} (${row.base}): ${tip}`)}</title></rect>\n`;
    body += `<text x="${(a - 4).toFixed(1)}" y="${y + 16}" text-anchor="end" font-size="10">${esc(pct(row.low))}</text>`;
    body += `<text x="${(b + 4).toFixed(1)}" y="${y + 16}" font-size="10">${esc(pct(row.high))}</text>\n`;
  });
  const bx = x(r.improvement), zx = x(0);
  body += `<line x1="${bx.toFixed(1)}" y1="${top - 6}" x2="${bx.toFixed(1)}" y2="${bottom}" stroke="#e15759" stroke-width="2"/>\n`;
  body += `<text x="${bx.toFixed(1)}" y="${top - 10}" text-anchor="middle" fill="#e15759">as profiled: ${esc(pct(r.improvement))}</text>\n`;
  if (lo < 0 && hi > 0) body += `<line x1="${zx.toFixed(1)}" y1="${top}" x2="${zx.toFixed(1)}" y2="${bottom}" stroke="#999" stroke-dasharray="3,3"/>\n`;
  const title = `VAMOS over ${r.transport} against the baseline: ${r.profile}, IOMMU ${r.iommu}, pool ${r.poolPages}`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">
<rect width="${W}" height="${H}" fill="#ffffff"/>
<text x="12" y="22" font-size="15" font-weight="bold">${esc(title)}</text>
<text x="12" y="${H - 14}" fill="#555">each bar: one cost figure varied alone (×0.5 and ×2 by default; hover for every variant); widest first</text>
${body}</svg>
`;
  return standalone ? `<?xml version="1.0" encoding="UTF-8"?>\n${svg}` : svg;
}

export function sensitivityHtml(results: SensitivityResult[]): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>VAMOS: sensitivity of the improvement to each cost figure</title>
<style>body { font-family: sans-serif; margin: 24px; color: #222; } figure { margin: 0 0 16px; border: 1px solid #ddd; display: inline-block; } pre { font-size: 12px; }</style>
</head>
<body>
<h1>VAMOS: what the improvement at the I/O-bound end depends on</h1>
${results.map((r) => `<figure>\n${tornadoSvg(r, false)}</figure>\n<pre>${esc(sensitivityTable(r))}</pre>`).join('\n')}
</body>
</html>
`;
}
