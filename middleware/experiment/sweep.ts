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
import { loadProfile, type CostProfile } from '../../vmm/profile.js';
import type { Placement } from '../build.js';
import type { WorkloadSpec } from '../workload/driver.js';
import { runPoint, type IommuMode, type PointResult } from './point.js';

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
}

export const FULL_SWEEP: SweepConfig = {
  records: 16000, operations: 2000, concurrency: 4, mix: 'B', distribution: 'zipfian', seed: 42, valueSize: 100,
  pools: [1024, 256, 64, 32, 16], iommuModes: ['off', 'strict', 'deferred'],
  profiles: ['nehalem-2011', 'nehalem-2011-pagecache', 'modern'],
  volumeSectors: (64 << 20) / 512,
};

/** The demo of `npm start`: two points, one mode, one profile; a few seconds. */
export const QUICK_SWEEP: SweepConfig = {
  ...FULL_SWEEP, records: 1000, operations: 400, pools: [256, 16], iommuModes: ['strict'], profiles: ['nehalem-2011'],
  volumeSectors: (16 << 20) / 512,
};

export interface ComparedPoint {
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

/** Loads the records into a fresh volume (the guest placement, no IOMMU) and returns its bytes. */
export function loadVolume(c: SweepConfig, profile: CostProfile): Uint8Array {
  const volume = new MemoryBackend(c.volumeSectors);
  runPoint({ placement: 'guest', iommu: 'off', profile, poolPages: Math.max(...c.pools), workload: spec(c, 0), volume });
  return volume.data.slice();
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

export function runSweep(c: SweepConfig, opts: SweepOptions = {}): ComparedPoint[] {
  const onProgress = opts.onProgress;
  const traced = { profile: c.profiles[0], iommu: c.iommuModes[0], pool: Math.min(...c.pools) };
  const total = c.profiles.length * c.iommuModes.length * c.pools.length * 2 + 1;
  let done = 0;
  const tick = (label: string): void => onProgress?.({ done: ++done, total, label });
  const profiles = c.profiles.map((name) => loadProfile(name)); // a bad name fails before any run
  const base = loadVolume(c, profiles[0]!);
  tick(`loaded ${c.records} records`);
  const out: ComparedPoint[] = [];
  for (const profile of profiles) {
    const profileName = profile.name;
    for (const iommu of c.iommuModes) {
      for (const poolPages of c.pools) {
        const run = (placement: Placement): PointResult => {
          const volume = new MemoryBackend(c.volumeSectors, false, base);
          const trace = opts.traceDir !== undefined && profileName === traced.profile && iommu === traced.iommu && poolPages === traced.pool
            ? { path: tracePaths(opts.traceDir)[placement], label: `${placement === 'guest' ? 'baseline' : 'VAMOS'} pool=${poolPages} iommu=${iommu}` }
            : undefined;
          const r = runPoint({ placement, iommu, profile, poolPages, workload: { ...spec(c, c.operations), skipLoad: true }, volume, trace });
          tick(`${profileName} iommu=${iommu} pool=${poolPages} ${placement}`);
          return r;
        };
        const baseline = run('guest');
        const vamos = run('vamos');
        out.push({
          poolPages, iommu, profile: profileName, baseline, vamos,
          improvement: vamos.workload.opsPerSecond / baseline.workload.opsPerSecond - 1,
          exitReduction: vamos.exitsPerOp > 0 ? baseline.exitsPerOp / vamos.exitsPerOp : Infinity,
          sameReplies: baseline.workload.checksum === vamos.workload.checksum,
        });
      }
    }
  }
  return out;
}
