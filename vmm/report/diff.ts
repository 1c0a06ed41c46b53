/**
 * Two runs side by side (baseline against VAMOS, strict against deferred): the same grouping
 * and window applied to both, one row per group either run has, and the change from A to B.
 */
import type { ExitBucket } from '../stats.js';
import { analyze, cyclesToUs, type Analysis, type AnalyzeOptions } from './analyze.js';
import type { Run } from './load.js';

export interface DiffRow {
  key: string;
  a: ExitBucket | undefined;
  b: ExitBucket | undefined;
}

export interface Diff {
  a: Analysis;
  b: Analysis;
  rows: DiffRow[];
  /** Operations each run did, for per-operation rates. */
  ops: [number, number] | null;
}

/** One side's figures for a row (or the total). */
export interface Side {
  samples: number;
  timeUs: number;
  avgUs: number;
  samplesPerOp: number | null;
  timeUsPerOp: number | null;
}

export function diffRuns(a: Run, b: Run, opts: AnalyzeOptions = {}, ops: [number, number] | null = null): Diff {
  const aa = analyze(a, opts);
  const bb = analyze(b, opts);
  const rows = new Map<string, DiffRow>();
  for (const g of aa.groups) rows.set(g.key, { key: g.key, a: g.bucket, b: undefined });
  for (const g of bb.groups) {
    const r = rows.get(g.key);
    if (r) r.b = g.bucket;
    else rows.set(g.key, { key: g.key, a: undefined, b: g.bucket });
  }
  const total = (r: DiffRow): number => (r.a?.count ?? 0) + (r.b?.count ?? 0);
  const sorted = [...rows.values()].sort((x, y) => total(y) - total(x) || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  return { a: aa, b: bb, rows: sorted, ops };
}

export function side(bucket: { count: number; totalCycles: number } | undefined, cpuHz: number, ops: number | null): Side {
  const samples = bucket?.count ?? 0;
  const timeUs = cyclesToUs(bucket?.totalCycles ?? 0, cpuHz);
  return {
    samples, timeUs,
    avgUs: samples === 0 ? 0 : timeUs / samples,
    samplesPerOp: ops ? samples / ops : null,
    timeUsPerOp: ops ? timeUs / ops : null,
  };
}

/** The change from a to b in percent of a; null when a is 0 and b is not (a new row). */
export function changePct(a: number, b: number): number | null {
  if (a === 0) return b === 0 ? 0 : null;
  return (100 * (b - a)) / a;
}

export interface DiffLine {
  key: string;
  a: Side;
  b: Side;
}

/** The rows and then the total, as every renderer of a diff prints them. */
export function diffLines(d: Diff): { rows: DiffLine[]; total: DiffLine } {
  const hzA = d.a.run.trailer.cpuHz, hzB = d.b.run.trailer.cpuHz;
  const opsA = d.ops?.[0] ?? null, opsB = d.ops?.[1] ?? null;
  const rows = d.rows.map((r) => ({ key: r.key, a: side(r.a, hzA, opsA), b: side(r.b, hzB, opsB) }));
  const total = {
    key: 'Total',
    a: side({ count: d.a.exits.length, totalCycles: d.a.cycles }, hzA, opsA),
    b: side({ count: d.b.exits.length, totalCycles: d.b.cycles }, hzB, opsB),
  };
  return { rows, total };
}
