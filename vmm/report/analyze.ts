/**
 * The report's numbers: exits grouped by reason, device, guest function or reason × function,
 * each group with perf kvm stat's count, share, time share and min/max/avg cost with spread;
 * the busiest exit sites; all within an optional window of virtual time.
 */
import { EXIT_REASONS, type ExitReason } from '../exits.js';
import { addToBucket, newExitBucket, relativeStddevPercent, type ExitBucket } from '../stats.js';
import type { Exit, Run } from './load.js';

export const GROUPINGS = ['reason', 'device', 'function', 'reason-function'] as const;
export type GroupBy = (typeof GROUPINGS)[number];

export interface AnalyzeOptions {
  by?: GroupBy;
  /** Window of virtual time in µs since the VM started: [from, to). */
  fromUs?: number;
  toUs?: number;
  /** How many exit sites to list. */
  top?: number;
}

export interface Group {
  key: string;
  reason?: ExitReason;
  device?: string;
  fn?: string;
  bucket: ExitBucket;
}

export interface Site {
  eip: number;
  fn: string;
  offset: number;
  reason: ExitReason;
  device: string;
  bucket: ExitBucket;
}

export interface Analysis {
  run: Run;
  by: GroupBy;
  fromUs: number | null;
  toUs: number | null;
  /** The exits inside the window, in time order. */
  exits: Exit[];
  cycles: number;
  /** Most samples first, then by key. */
  groups: Group[];
  sites: Site[];
}

export function cyclesToUs(cycles: number, cpuHz: number): number {
  return (cycles * 1e6) / cpuHz;
}

export function groupKey(e: Exit, by: GroupBy): string {
  switch (by) {
    case 'reason': return e.reason;
    case 'device': return e.device;
    case 'function': return e.fn;
    case 'reason-function': return `${e.fn}:${e.reason}`;
  }
}

function groupOf(e: Exit, by: GroupBy, key: string): Group {
  const g: Group = { key, bucket: newExitBucket() };
  if (by === 'reason' || by === 'reason-function') g.reason = e.reason;
  if (by === 'device') g.device = e.device;
  if (by === 'function' || by === 'reason-function') g.fn = e.fn;
  return g;
}

export function byCount<T extends { bucket: ExitBucket }>(key: (x: T) => string): (a: T, b: T) => number {
  return (a, b) => b.bucket.count - a.bucket.count || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
}

export function windowed(run: Run, fromUs?: number, toUs?: number): Exit[] {
  if (fromUs === undefined && toUs === undefined) return run.exits;
  const hz = run.trailer.cpuHz;
  const from = fromUs === undefined ? -Infinity : (fromUs * hz) / 1e6;
  const to = toUs === undefined ? Infinity : (toUs * hz) / 1e6;
  return run.exits.filter((e) => e.at >= from && e.at < to);
}

export function analyze(run: Run, opts: AnalyzeOptions = {}): Analysis {
  const by = opts.by ?? 'reason';
  const exits = windowed(run, opts.fromUs, opts.toUs);
  const groups = new Map<string, Group>();
  const sites = new Map<string, Site>();
  let cycles = 0;
  for (const e of exits) {
    cycles += e.cost;
    const key = groupKey(e, by);
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = groupOf(e, by, key)));
    addToBucket(g.bucket, e.cost);
    const sk = `${e.eip}|${e.reason}|${e.device}`;
    let s = sites.get(sk);
    if (s === undefined) sites.set(sk, (s = { eip: e.eip, fn: e.fn, offset: e.offset, reason: e.reason, device: e.device, bucket: newExitBucket() }));
    addToBucket(s.bucket, e.cost);
  }
  const siteKey = (s: Site): string => s.eip.toString(16).padStart(8, '0') + s.reason;
  return {
    run, by, exits, cycles,
    fromUs: opts.fromUs ?? null,
    toUs: opts.toUs ?? null,
    groups: [...groups.values()].sort(byCount((g) => g.key)),
    sites: [...sites.values()].sort(byCount(siteKey)).slice(0, opts.top ?? 10),
  };
}

/** One group's figures in µs, as the table, JSON and CSV print them. */
export interface GroupFigures {
  samples: number;
  samplesPct: number;
  timeUs: number;
  timePct: number;
  minUs: number;
  maxUs: number;
  avgUs: number;
  stddevPct: number;
}

export function figures(b: ExitBucket, totalCount: number, totalCycles: number, cpuHz: number): GroupFigures {
  const us = (c: number): number => cyclesToUs(c, cpuHz);
  return {
    samples: b.count,
    samplesPct: totalCount === 0 ? 0 : (100 * b.count) / totalCount,
    timeUs: us(b.totalCycles),
    timePct: totalCycles === 0 ? 0 : (100 * b.totalCycles) / totalCycles,
    minUs: b.count === 0 ? 0 : us(b.minCycles),
    maxUs: us(b.maxCycles),
    avgUs: b.count === 0 ? 0 : us(b.totalCycles / b.count),
    stddevPct: relativeStddevPercent(b),
  };
}

/** Reasons in EXIT_REASONS order, for charts whose colours should not depend on the data. */
export function reasonOrder(reasons: Iterable<ExitReason>): ExitReason[] {
  const set = new Set(reasons);
  return EXIT_REASONS.filter((r) => set.has(r));
}
