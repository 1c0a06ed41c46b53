/**
 * Exit accounting (design §3: every exit is counted where it is dispatched) and its rendering
 * in the layout of `perf kvm stat report`, so that vamos tables read like the real thing.
 * All times are virtual: cycles charged by the cost profile, never host time.
 */
import { EXIT_REASONS, type ExitReason } from './exits.js';

export interface ExitBucket {
  count: number;
  totalCycles: number;
  minCycles: number;
  maxCycles: number;
  /** Welford's running mean and sum of squared deviations, for perf's "( +- x% )". */
  mean: number;
  m2: number;
}

export interface DeviceRow {
  reason: ExitReason;
  device: string;
  bucket: Readonly<ExitBucket>;
}

/** The device column of exits that have none (hlt, interrupt windows, preemption...). */
export const NO_DEVICE = '(none)';

/** Stands in for the device of an io/mmio exit that hit no mapping. */
export const UNMAPPED = '(unmapped)';

/** An empty bucket, for callers that aggregate exits themselves (vmm/report). */
export function newExitBucket(): ExitBucket {
  return emptyBucket();
}

/** Adds one exit's cost, with the same running statistics as ExitStats. */
export function addToBucket(b: ExitBucket, cycles: number): void {
  add(b, cycles);
}

/** perf's "( +- x% )": the standard error of the mean, as a percentage of the mean. */
export function relativeStddevPercent(b: Readonly<ExitBucket>): number {
  return b.count < 2 || b.mean === 0 ? 0 : (100 * Math.sqrt(b.m2 / (b.count - 1) / b.count)) / b.mean;
}

function emptyBucket(): ExitBucket {
  return { count: 0, totalCycles: 0, minCycles: Infinity, maxCycles: 0, mean: 0, m2: 0 };
}

function add(b: ExitBucket, cycles: number): void {
  b.count++;
  b.totalCycles += cycles;
  if (cycles < b.minCycles) b.minCycles = cycles;
  if (cycles > b.maxCycles) b.maxCycles = cycles;
  const delta = cycles - b.mean;
  b.mean += delta / b.count;
  b.m2 += delta * (cycles - b.mean);
}

export class ExitStats {
  private readonly reasons = new Map<ExitReason, ExitBucket>();
  /** reason → device → row. Nested maps: the record path builds no strings (it runs per exit). */
  private readonly devices = new Map<ExitReason, Map<string, DeviceRow & { bucket: ExitBucket }>>();
  private count = 0;
  private cycles = 0;

  /** `device` is the bus device that served an io/mmio exit (undefined if unmapped), or any label. */
  record(reason: ExitReason, device: string | undefined, cycles: number): void {
    this.count++;
    this.cycles += cycles;
    let b = this.reasons.get(reason);
    if (b === undefined) this.reasons.set(reason, (b = emptyBucket()));
    add(b, cycles);
    const label = device ?? (reason === 'io' || reason === 'mmio' ? UNMAPPED : undefined);
    if (label === undefined) return;
    let byDevice = this.devices.get(reason);
    if (byDevice === undefined) this.devices.set(reason, (byDevice = new Map()));
    let d = byDevice.get(label);
    if (d === undefined) byDevice.set(label, (d = { reason, device: label, bucket: emptyBucket() }));
    add(d.bucket, cycles);
  }

  get totalCount(): number {
    return this.count;
  }

  get totalCycles(): number {
    return this.cycles;
  }

  reason(reason: ExitReason): Readonly<ExitBucket> | undefined {
    return this.reasons.get(reason);
  }

  countOf(reason: ExitReason, device?: string): number {
    if (device === undefined) return this.reasons.get(reason)?.count ?? 0;
    return this.devices.get(reason)?.get(device)?.bucket.count ?? 0;
  }

  /** In EXIT_REASONS order, reasons that occurred only. */
  byReason(): [ExitReason, Readonly<ExitBucket>][] {
    return EXIT_REASONS.flatMap((r) => {
      const b = this.reasons.get(r);
      return b === undefined ? [] : [[r, b] as [ExitReason, ExitBucket]];
    });
  }

  /**
   * Every exit in exactly one row: the device rows, plus a NO_DEVICE row per reason for exits
   * that carry no device (hlt, interrupt windows, preemption...). Counts and cycles only.
   */
  allRows(): { reason: ExitReason; device: string; count: number; totalCycles: number }[] {
    const rows: { reason: ExitReason; device: string; count: number; totalCycles: number }[] = [];
    for (const [reason, b] of this.byReason()) {
      let count = b.count, cycles = b.totalCycles;
      for (const d of this.devices.get(reason)?.values() ?? []) {
        rows.push({ reason, device: d.device, count: d.bucket.count, totalCycles: d.bucket.totalCycles });
        count -= d.bucket.count;
        cycles -= d.bucket.totalCycles;
      }
      if (count > 0) rows.push({ reason, device: NO_DEVICE, count, totalCycles: cycles });
    }
    return rows;
  }

  byDevice(): DeviceRow[] {
    return [...this.devices.values()].flatMap((m) => [...m.values()]);
  }

  reset(): void {
    this.reasons.clear();
    this.devices.clear();
    this.count = 0;
    this.cycles = 0;
  }
}

/** KVM's VMX names for the same exits, for readers who compare with a real `perf kvm stat`. */
export const VMX_EXIT_NAMES: Record<ExitReason, string> = {
  io: 'IO_INSTRUCTION',
  mmio: 'EPT_VIOLATION',
  hlt: 'HLT',
  vmcall: 'VMCALL',
  cpuid: 'CPUID',
  'external-interrupt': 'EXTERNAL_INTERRUPT',
  'interrupt-window': 'PENDING_INTERRUPT',
  preemption: 'PREEMPTION_TIMER',
  shutdown: 'TRIPLE_FAULT',
};

export interface PerfFormatOptions {
  /** Label rows with VMX exit names instead of vamos reasons. */
  vmxNames?: boolean;
  /** Leave out the device table. */
  reasonsOnly?: boolean;
}

export interface PerfTableRow {
  key: string;
  bucket: Readonly<ExitBucket>;
}

type Row = PerfTableRow;

/** One table in the layout of `perf kvm stat report`, with `title` heading the name column. */
export function formatPerfTable(title: string, rows: PerfTableRow[], cpuHz: number): string {
  return table(title, rows, cpuHz);
}

/**
 * The tables of `perf kvm stat report`: by exit reason, then by device for the exits that
 * carried one, each with perf's header, columns, sort (samples, descending) and total line.
 */
export function formatPerfKvmStat(stats: ExitStats, cpuHz: number, opts: PerfFormatOptions = {}): string {
  const reasonRows = stats.byReason().map(([r, bucket]) => ({
    key: opts.vmxNames ? VMX_EXIT_NAMES[r] : r,
    bucket,
  }));
  let out = table('VM-EXIT', reasonRows, cpuHz);
  const deviceRows = stats.byDevice().map((d) => ({ key: `${d.device}:${d.reason}`, bucket: d.bucket }));
  if (!opts.reasonsOnly && deviceRows.length > 0) out += table('Device Access', deviceRows, cpuHz);
  return out;
}

function table(title: string, rows: Row[], cpuHz: number): string {
  const us = (cycles: number): number => (cycles * 1e6) / cpuHz;
  const f2 = (x: number): string => x.toFixed(2);
  const count = rows.reduce((s, r) => s + r.bucket.count, 0);
  const time = rows.reduce((s, r) => s + r.bucket.totalCycles, 0);
  const pct = (part: number, whole: number): string => f2(whole === 0 ? 0 : (part / whole) * 100).padStart(8) + '%';
  // perf prints names right-aligned in 20 columns; widen rather than truncate long device names.
  const w = Math.max(20, ...rows.map((r) => r.key.length));
  const sorted = [...rows].sort((a, b) => b.bucket.count - a.bucket.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

  const lines = [
    '',
    'Analyze events for all VMs, all VCPUs:',
    '',
    `${title.padStart(w)} ${'Samples'.padStart(10)} ${'Samples%'.padStart(9)} ${'Time%'.padStart(9)} ` +
      `${'Min Time'.padStart(11)} ${'Max Time'.padStart(11)} ${'Avg time'.padStart(16)} `,
    '',
  ];
  for (const { key, bucket: b } of sorted) {
    const relStddev = relativeStddevPercent(b);
    lines.push(
      `${key.padStart(w)} ${String(b.count).padStart(10)} ${pct(b.count, count)} ${pct(b.totalCycles, time)} ` +
        `${f2(us(b.minCycles)).padStart(9)}us ${f2(us(b.maxCycles)).padStart(9)}us ` +
        `${f2(us(b.totalCycles / b.count)).padStart(9)}us ( +-${f2(relStddev).padStart(7)}% )`,
    );
  }
  lines.push('', `Total Samples:${count}, Total events handled time:${f2(us(time))}us.`, '');
  return lines.join('\n') + '\n';
}
