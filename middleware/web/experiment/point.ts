/**
 * One point of the web experiment (docs/web.md): boot the web server with its file layer in
 * one placement, drive the HTTP workload at it in-process on virtual time, and measure
 * throughput, latency and the exits each request cost, by reason. The same configuration gives
 * the same numbers, bit for bit.
 */
import type { ExitReason } from '../../../vmm/exits.js';
import type { CostProfile } from '../../../vmm/profile.js';
import type { Placement, Transport } from '../../build.js';
import type { IommuMode } from '../../db-machine.js';
import { inProcessWeb } from '../in-process.js';
import { FILES_MODULE } from '../web-machine.js';
import { HttpWorkloadDriver, type HttpWorkloadResult, type HttpWorkloadSpec } from './workload.js';

export interface WebPointConfig {
  placement: Placement;
  /** The VAMOS placement's transport (default 'vmcall'; the baseline has none). */
  transport?: Transport;
  iommu: IommuMode;
  profile: CostProfile;
  cachePages: number;
  /** The site volume and each file's bytes (by file number). */
  site: Uint8Array;
  files: readonly Uint8Array[];
  workload: HttpWorkloadSpec;
  maxInstructions?: number;
}

export interface WebPointResult {
  placement: Placement;
  transport: Transport;
  iommu: IommuMode;
  profile: string;
  cachePages: number;
  workload: HttpWorkloadResult;
  exitsPerRequest: number;
  exitsPerRequestByReason: Partial<Record<ExitReason, number>>;
  hypercallsPerRequest: number;
  /** File-layer operations handed to the module per request, over either transport (0 for the baseline). */
  moduleCallsPerRequest: number;
  /** Site-volume bytes read per measured request (page-cache misses), and over the whole run. */
  volumeBytesPerRequest: number;
  volumeBytesRun: number;
  guestInstructionsPerRequest: number;
  /** Virtual cycles per request: all of them (clients overlap, so this is 1 / throughput), and those charged to exits. */
  cyclesPerRequest: number;
  exitCyclesPerRequest: number;
}

export function runWebPoint(cfg: WebPointConfig): WebPointResult {
  let driver: HttpWorkloadDriver | undefined;
  const w = inProcessWeb({
    placement: cfg.placement, transport: cfg.transport, iommu: cfg.iommu, profile: cfg.profile, cachePages: cfg.cachePages, site: cfg.site,
    maxInstructions: cfg.maxInstructions ?? 20_000_000_000, onData: (c, b) => driver?.receive(c, b),
  });
  const vm = w.web.machine.vm;
  driver = new HttpWorkloadDriver(cfg.workload, cfg.files, { cpuHz: cfg.profile.cpuHz, now: () => vm.clock.now, connect: w.connect, send: w.send });
  const counts = (): Map<ExitReason, number> => {
    const m = new Map<ExitReason, number>();
    for (const r of vm.stats.allRows()) m.set(r.reason, (m.get(r.reason) ?? 0) + r.count);
    return m;
  };
  const exitCycles = (): number => vm.stats.allRows().reduce((s, r) => s + r.totalCycles, 0);
  let cyc0 = 0, cyc1 = 0, ex0 = 0, ex1 = 0;
  let before = new Map<ExitReason, number>(), after = new Map<ExitReason, number>();
  let instr0 = 0, instr1 = 0, vol0 = 0, vol1 = 0, calls0 = 0, calls1 = 0;
  const moduleCalls = (): number => w.web.registry.stats.get(FILES_MODULE)?.calls ?? 0;
  driver.onPhase = (p) => {
    if (p === 'run') { before = counts(); instr0 = vm.cpu.retired; vol0 = w.web.volumeCounters().bytesRead; cyc0 = vm.clock.now; ex0 = exitCycles(); calls0 = moduleCalls(); }
    if (p === 'done' || p === 'failed') {
      after = counts(); instr1 = vm.cpu.retired; vol1 = w.web.volumeCounters().bytesRead; cyc1 = vm.clock.now; ex1 = exitCycles(); calls1 = moduleCalls();
      w.gw.shutdown();
    }
  };
  w.onReady(() => w.later(1, () => driver!.start()));
  const r = w.web.machine.run();
  if (driver.phase !== 'done') {
    throw new Error(`web ${cfg.placement}${w.web.transport === 'virtio' ? '-virtio' : ''}/${cfg.iommu}/cache ${cfg.cachePages}: the workload did not finish (${driver.failure ?? `phase ${driver.phase}`}; VM: ${r.message}; console: ${r.console.trim().split('\n').slice(-2).join(' | ')})`);
  }
  const n = cfg.workload.requests;
  const byReason: Partial<Record<ExitReason, number>> = {};
  let total = 0;
  for (const [reason, count] of after) {
    const d = count - (before.get(reason) ?? 0);
    if (d > 0) { byReason[reason] = d / n; total += d; }
  }
  return {
    placement: cfg.placement, transport: w.web.transport, iommu: cfg.iommu, profile: cfg.profile.name, cachePages: cfg.cachePages,
    workload: driver.result(),
    exitsPerRequest: total / n,
    exitsPerRequestByReason: byReason,
    hypercallsPerRequest: (byReason.vmcall ?? 0),
    moduleCallsPerRequest: (calls1 - calls0) / n,
    volumeBytesPerRequest: (vol1 - vol0) / n,
    volumeBytesRun: vol1,
    guestInstructionsPerRequest: (instr1 - instr0) / n,
    cyclesPerRequest: (cyc1 - cyc0) / n,
    exitCyclesPerRequest: (ex1 - ex0) / n,
  };
}
