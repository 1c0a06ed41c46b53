/**
 * The paper's experiment (docs/paper.md): the same workload against the database in both
 * placements, over a sweep of I/O intensity (the buffer pool shrinking against a fixed
 * dataset, from all-cached to mostly-on-disk), for each IOMMU mode and cost profile.
 *
 * The dataset is loaded once per sweep (through the guest placement) and every run starts
 * from a copy of that volume, so the measured phase is the workload alone and both placements
 * open the very same bytes (the engine and its on-disk format are the same code in both).
 */
import { MemoryBackend } from '../../devices/virtio/blk/backend.js';
import { OverlayBackend } from '../../devices/virtio/blk/overlay.js';
import { loadProfile, type CostProfile } from '../../vmm/profile.js';
import type { Placement, Transport } from '../build.js';
import type { WorkloadSpec } from '../workload/driver.js';
import { runPoint, type IommuMode, type PointResult } from './point.js';
import { bulkLoad } from './bulk-load.js';

export interface SweepConfig {
  records: number;
  operations: number;
  concurrency: number;
  mix: WorkloadSpec['mix'];
  distribution: WorkloadSpec['distribution'];
  seed: number;
  valueSize: number;
  /** Buffer-pool sizes in 4 KiB pages, largest (all cached) first. */
  pools: number[];
  iommuModes: IommuMode[];
  profiles: string[];
  /** The database volume, 512-byte sectors. */
  volumeSectors: number;
  /** How the records are loaded: through the guest (default) or by the engine on the host (bulk-load.ts). */
  load?: 'guest' | 'host';
  /**
   * How the VAMOS stub reaches the engine, one compared point per transport (default
   * ['vmcall']): 'vmcall' stops the vCPU for each operation; 'virtio' is the module channel,
   * the prototype's Virtio-SQL (docs/paper.md "Two channels").
   */
  transports?: Transport[];
}

export const FULL_SWEEP: SweepConfig = {
  records: 16000, operations: 2000, concurrency: 4, mix: 'B', distribution: 'zipfian', seed: 42, valueSize: 100,
  pools: [1024, 256, 64, 32, 16], iommuModes: ['off', 'strict', 'deferred'],
  profiles: ['nehalem-2011', 'nehalem-2011-pagecache', 'modern'],
  volumeSectors: (64 << 20) / 512, transports: ['vmcall', 'virtio'],
};

/** The demo of `npm start`: two points, one mode, one profile; a few seconds. */
export const QUICK_SWEEP: SweepConfig = {
  ...FULL_SWEEP, records: 1000, operations: 400, pools: [256, 16], iommuModes: ['strict'], profiles: ['nehalem-2011'],
  volumeSectors: (16 << 20) / 512,
};

export interface ComparedPoint {
  /** How VAMOS reached the engine in this comparison (the baseline has no stub). */
  transport: Transport;
  poolPages: number;
  iommu: IommuMode;
  profile: string;
  baseline: PointResult;
  vamos: PointResult;
  /** VAMOS throughput over the baseline's, minus one (0.32 = 32% faster). */
  improvement: number;
  /** Baseline exits per operation over VAMOS's. */
  exitReduction: number;
  /** Both placements returned the same replies (same checksum). */
  sameReplies: boolean;
}

export interface SweepProgress {
  done: number;
  total: number;
  label: string;
}

function spec(c: SweepConfig, operations: number): WorkloadSpec {
  return { mix: c.mix, distribution: c.distribution, records: c.records, operations, concurrency: c.concurrency, seed: c.seed, valueSize: c.valueSize };
}

/**
 * The volume a sweep needs: 64 MiB, or about 640 bytes per record when that is more (the
 * engine's B+tree and log take about 490 bytes per 100-byte record, measured at 16,000).
 */
export function volumeSectorsFor(records: number, atLeast = (64 << 20) / 512): number {
  return Math.max(atLeast, Math.ceil((records * 640) / (1 << 20)) * ((1 << 20) / 512));
}

/** Loads the records into a fresh volume (the guest placement, no IOMMU) and returns its bytes. */
export function loadVolume(c: SweepConfig, profile: CostProfile, onProgress?: (loaded: number) => void): Uint8Array {
  // The loader's pool is not the experiment's: a large one (4 MiB, within the module's memory) keeps inserts cached.
  if (c.load === 'host') return bulkLoad({ ...c, poolPages: Math.max(1024, ...c.pools) }, profile, onProgress);
  const volume = new MemoryBackend(c.volumeSectors);
  // A stuck guest is detected by an instruction budget; loading scales it with the records.
  const maxInstructions = Math.max(5_000_000_000, c.records * 2_000_000);
  runPoint({ placement: 'guest', iommu: 'off', profile, poolPages: Math.max(...c.pools), workload: spec(c, 0), volume, maxInstructions });
  return volume.data; // nothing else holds the volume: no copy (64 MiB)
}

export interface SweepOptions {
  onProgress?: (p: SweepProgress) => void;
  /** Trace both placements of the most I/O-bound point of the first profile and mode here. */
  traceDir?: string;
}

/** The trace files runSweep writes for the most I/O-bound point, when asked to. */
export function tracePaths(dir: string): Record<Placement, string> {
  return { guest: `${dir}/baseline.trc`, vamos: `${dir}/vamos.trc` };
}

/** One compared point of a sweep: its place in the sweep's order and what to run. */
export interface SweepTask {
  index: number;
  profile: CostProfile;
  iommu: IommuMode;
  poolPages: number;
  /** The VAMOS side's transport (default 'vmcall'). */
  transport?: Transport;
  /** Trace both placements into this folder (tracePaths). */
  traceDir?: string;
}

/** The sweep's transports, in order. */
export function transportsOf(c: SweepConfig): Transport[] {
  return c.transports ?? ['vmcall'];
}

/** The sweep's points in order (profile, then IOMMU mode, then pool, largest first, then transport). */
export function sweepTasks(c: SweepConfig, traceDir?: string): SweepTask[] {
  const profiles = c.profiles.map((name) => loadProfile(name)); // a bad name fails before any run
  const transports = transportsOf(c);
  const traced = { profile: c.profiles[0], iommu: c.iommuModes[0], pool: Math.min(...c.pools), transport: transports[0] };
  const tasks: SweepTask[] = [];
  for (const profile of profiles) {
    for (const iommu of c.iommuModes) {
      for (const poolPages of c.pools) {
        for (const transport of transports) {
          const trace = traceDir !== undefined && profile.name === traced.profile && iommu === traced.iommu && poolPages === traced.pool && transport === traced.transport;
          tasks.push({ index: tasks.length, profile, iommu, poolPages, transport, traceDir: trace ? traceDir : undefined });
        }
      }
    }
  }
  return tasks;
}

/**
 * The last baseline run, reused by the next task of the same point with another transport
 * (the sweep puts them side by side): a run is a pure function of its inputs, so reusing it
 * changes no number, only halves the baseline's share of the sweep's time on one thread.
 */
let lastBaseline: { key: string; base: Uint8Array; result: PointResult } | undefined;

/** Runs one task in both placements from a copy of the loaded volume `base`. */
export function comparePoint(c: SweepConfig, base: Uint8Array, task: SweepTask): ComparedPoint {
  const { profile, iommu, poolPages } = task;
  const transport = task.transport ?? 'vmcall';
  const run = (placement: Placement): PointResult => {
    // Copy-on-write over the loaded volume: each run writes a few hundred KiB of its 64 MiB.
    const volume = base.length === c.volumeSectors * 512 ? new OverlayBackend(base) : new MemoryBackend(c.volumeSectors, false, base);
    const trace = task.traceDir !== undefined
      ? { path: tracePaths(task.traceDir)[placement], label: `${placement === 'guest' ? 'baseline' : `VAMOS (${transport})`} pool=${poolPages} iommu=${iommu}` }
      : undefined;
    return runPoint({ placement, transport, iommu, profile, poolPages, workload: { ...spec(c, c.operations), skipLoad: true }, volume, trace });
  };
  const key = JSON.stringify([c, profile, iommu, poolPages]);
  const reuse = task.traceDir === undefined && lastBaseline !== undefined && lastBaseline.key === key && lastBaseline.base === base;
  const baseline = reuse ? lastBaseline!.result : run('guest');
  lastBaseline = { key, base, result: baseline };
  const vamos = run('vamos');
  return {
    transport, poolPages, iommu, profile: profile.name, baseline, vamos,
    improvement: vamos.workload.opsPerSecond / baseline.workload.opsPerSecond - 1,
    exitReduction: vamos.exitsPerOp > 0 ? baseline.exitsPerOp / vamos.exitsPerOp : Infinity,
    sameReplies: baseline.workload.checksum === vamos.workload.checksum,
  };
}

/** The whole sweep on this thread, point after point (parallel.ts spreads it over workers). */
export function runSweep(c: SweepConfig, opts: SweepOptions = {}): ComparedPoint[] {
  const tasks = sweepTasks(c, opts.traceDir);
  const total = tasks.length + 1;
  let done = 0;
  const tick = (label: string): void => opts.onProgress?.({ done: ++done, total, label });
  const base = loadVolume(c, tasks[0]!.profile);
  tick(`loaded ${c.records} records`);
  return tasks.map((task) => {
    const p = comparePoint(c, base, task);
    tick(`${p.profile} iommu=${p.iommu} pool=${p.poolPages} ${p.transport}`);
    return p;
  });
}
