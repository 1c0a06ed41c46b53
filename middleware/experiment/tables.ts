/**
 * docs/paper.md's tables, generated from a paper.json (`vamos bench tables`), so the document
 * says what the committed results say: a compiler or cost-model change that moves a figure
 * regenerates the tables instead of leaving hand-typed numbers behind. Each table sits between
 * a begin and an end marker naming it; `--check` is what tests/vamos/paper-tables.test.ts runs.
 */
import { EXIT_REASONS, type ExitReason } from '../../vmm/exits.js';

interface ExitRowJson { reason: ExitReason; device: string; count: number; perOp: number }
interface PointJson {
  /** Absent in results from before the module channel: 'vmcall'. */
  transport?: string;
  profile: string; iommu: string; poolPages: number; pageReadsPerOp: number;
  baselineOpsPerSecond: number; vamosOpsPerSecond: number; improvement: number; exitReduction: number | null;
  baselineExitsPerOp: number; vamosExitsPerOp: number; baselineExits: ExitRowJson[]; vamosExits: ExitRowJson[];
  baselineLatencyUs: LatencyJson; vamosLatencyUs: LatencyJson;
}
interface LatencyJson { p50: number; p99: number }
export interface PaperJson { config: { pools: number[]; operations: number }; points: PointJson[] }

const grouped = (n: number, d = 0): string => {
  const [i, f] = n.toFixed(d).split('.');
  return i!.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (f === undefined ? '' : `.${f}`);
};
const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
const row = (cells: string[]): string => `| ${cells.join(' | ')} |`;

function ioBound(j: PaperJson): PointJson[] {
  const pool = Math.min(...j.config.pools);
  return j.points.filter((p) => p.poolPages === pool);
}

const transportOf = (p: PointJson): string => p.transport ?? 'vmcall';

/** The transports in the results, in order; a single one (older results) adds no column. */
function transports(j: PaperJson): string[] {
  return [...new Set(j.points.map(transportOf))];
}

/** The most I/O-bound point of every profile and IOMMU mode (and transport, when there are several). */
function ioBoundTable(j: PaperJson): string {
  const multi = transports(j).length > 1;
  const lines = [
    row(['profile', 'IOMMU', ...(multi ? ['transport'] : []), 'reads/op', 'baseline ops/s', 'VAMOS ops/s', 'improvement', 'exits/op baseline', 'exits/op VAMOS', 'exit reduction']),
    `|---|---|${multi ? '---|' : ''}---:|---:|---:|---:|---:|---:|---:|`,
  ];
  for (const p of ioBound(j)) {
    lines.push(row([p.profile, p.iommu, ...(multi ? [transportOf(p)] : []), p.pageReadsPerOp.toFixed(2), grouped(p.baselineOpsPerSecond), grouped(p.vamosOpsPerSecond), pct(p.improvement),
      p.baselineExitsPerOp.toFixed(2), p.vamosExitsPerOp.toFixed(2), p.exitReduction === null ? 'inf' : `${p.exitReduction.toFixed(1)}×`]));
  }
  return lines.join('\n');
}

/** The improvement along the sweep, one row per profile and mode, with the reads per operation. */
function sweepTable(j: PaperJson): string {
  const pools = j.config.pools;
  const multi = transports(j).length > 1;
  const lines = [
    row(['profile', 'IOMMU', ...(multi ? ['transport'] : []), ...pools.map((n) => `pool ${grouped(n)}`)]),
    `|---|---|${multi ? '---|' : ''}${pools.map(() => '---:').join('|')}|`,
  ];
  const keyOf = (p: PointJson): string => `${p.profile}\0${p.iommu}\0${transportOf(p)}`;
  const keys = [...new Set(j.points.map(keyOf))];
  const first = keys[0];
  for (const k of keys) {
    const ps = pools.map((n) => j.points.find((p) => keyOf(p) === k && p.poolPages === n));
    const [profile, iommu, transport] = k.split('\0');
    lines.push(row([profile!, iommu!, ...(multi ? [transport!] : []), ...ps.map((p) => (p === undefined ? '' : pct(p.improvement)))]));
    if (k === first) lines.push(row(['(page reads/op)', '', ...(multi ? [''] : []), ...ps.map((p) => (p === undefined ? '' : p.pageReadsPerOp.toFixed(2)))]));
  }
  return lines.join('\n');
}

/** The exits of one operation at the I/O-bound end of the first profile and mode, by reason. */
function exitsTable(j: PaperJson): string {
  const first = ioBound(j)[0]!;
  // The same profile, mode and pool over each transport: baseline, then VAMOS per transport.
  const ps = ioBound(j).filter((p) => p.profile === first.profile && p.iommu === first.iommu);
  const multi = ps.length > 1;
  const per = (rows: ExitRowJson[], r: ExitReason): number => rows.filter((x) => x.reason === r).reduce((s, x) => s + x.count, 0) / j.config.operations;
  const heads = multi ? ps.map((p) => `VAMOS-${transportOf(p)} per op`) : ['VAMOS per op'];
  const lines = [`Exits of one operation at pool ${first.poolPages}, \`${first.profile}\`, IOMMU ${first.iommu}:`, '', row(['exit', 'baseline per op', ...heads]), `|---|---:|${ps.map(() => '---:').join('|')}|`];
  for (const r of EXIT_REASONS) {
    const b = per(first.baselineExits, r), vs = ps.map((p) => per(p.vamosExits, r));
    if (b > 0 || vs.some((v) => v > 0)) lines.push(row([r, b.toFixed(2), ...vs.map((v) => v.toFixed(2))]));
  }
  lines.push(row(['all', first.baselineExitsPerOp.toFixed(2), ...ps.map((p) => p.vamosExitsPerOp.toFixed(2))]));
  return lines.join('\n');
}

/**
 * The three placements side by side at the I/O-bound end (baseline, then VAMOS over each
 * transport): operations' latency, p50 and p99, in µs of virtual time.
 */
function latencyTable(j: PaperJson): string {
  const ts = transports(j);
  const heads = ['baseline', ...ts.map((t) => `VAMOS-${t}`)];
  const lines = [
    row(['profile', 'IOMMU', ...heads.map((h) => `p50 ${h}`), ...heads.map((h) => `p99 ${h}`)]),
    `|---|---|${heads.map(() => '---:|---:').join('|')}|`,
  ];
  const us = (x: number | undefined): string => (x === undefined ? '' : grouped(x));
  const keys = [...new Set(ioBound(j).map((p) => `${p.profile}\0${p.iommu}`))];
  for (const k of keys) {
    const ps = ts.map((t) => ioBound(j).find((p) => `${p.profile}\0${p.iommu}` === k && transportOf(p) === t));
    const base = ps.find((p) => p !== undefined)!;
    const [profile, iommu] = k.split('\0');
    lines.push(row([profile!, iommu!, us(base.baselineLatencyUs.p50), ...ps.map((p) => us(p?.vamosLatencyUs.p50)),
      us(base.baselineLatencyUs.p99), ...ps.map((p) => us(p?.vamosLatencyUs.p99))]));
  }
  return lines.join('\n');
}

export const TABLES: Record<string, (j: PaperJson) => string> = { 'io-bound': ioBoundTable, sweep: sweepTable, exits: exitsTable, latency: latencyTable };

const begin = (name: string): string => `<!-- begin table ${name}: generated by \`vamos bench tables --write docs/paper.md\` from bench/results/paper.json -->`;
const END = '<!-- end table -->';

/** All tables, each between its markers. */
export function renderTables(j: PaperJson): Record<string, string> {
  return Object.fromEntries(Object.entries(TABLES).map(([name, f]) => [name, `${begin(name)}\n${f(j)}\n${END}`]));
}

/** The document with every marked table replaced; throws if a table's markers are missing. */
export function updateDoc(doc: string, j: PaperJson): string {
  let out = doc;
  for (const [name, block] of Object.entries(renderTables(j))) {
    const a = out.indexOf(begin(name).slice(0, begin(name).indexOf(':')));
    const b = a < 0 ? -1 : out.indexOf(END, a);
    if (a < 0 || b < 0) throw new Error(`no markers for table '${name}' (<!-- begin table ${name}: ... --> ... ${END})`);
    out = out.slice(0, a) + block + out.slice(b + END.length);
  }
  return out;
}
