/**
 * The guest OS benchmark (bench/results/guest.json):
 * - bootToInitMs: host wall time from creating the VM for the default disk to init's first
 *   console line, images already built (median of 7 after a warm-up);
 * - exits per 4 KiB disk read and per UDP round trip in each IOMMU mode, by reason and device,
 *   measured as the difference between two runs of different lengths, so boot and set-up
 *   exits cancel out. These are virtual (deterministic) counts; only bootToInitMs is host time.
 */
import { performance } from 'node:perf_hooks';
import { MemoryBackend } from '../devices/virtio/blk/backend.js';
import { VirtualHost } from '../devices/virtio/net/virtual-host.js';
import { bootRom } from '../firmware/build.js';
import { osMachine } from '../testing/os.js';
import { buildDefaultDisk } from '../toolchain/disk/default-disk.js';
import { loadProfile } from '../vmm/profile.js';
import type { ExitStats } from '../vmm/stats.js';
import { Vm } from '../vmm/vm.js';
import { median } from './cpu.js';

export type Mode = 'off' | 'strict' | 'deferred';
export const MODES: readonly Mode[] = ['off', 'strict', 'deferred'];

type Counts = Record<string, number>;

function counts(stats: ExitStats): Counts {
  const out: Counts = {};
  for (const r of stats.allRows()) out[`${r.reason}:${r.device}`] = r.count;
  return out;
}

/** (b − a) / n per row, dropping rows that do not change. */
function perUnit(a: Counts, b: Counts, n: number): { total: number; byReason: Counts } {
  const byReason: Counts = {};
  let total = 0;
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const d = ((b[k] ?? 0) - (a[k] ?? 0)) / n;
    if (d === 0) continue;
    byReason[k] = Math.round(d * 1000) / 1000;
    total += d;
  }
  return { total: Math.round(total * 1000) / 1000, byReason };
}

function bootToInit(runs: number): number[] {
  const disk = buildDefaultDisk();
  const firmware = bootRom();
  const once = (): number => {
    let seen = -1;
    let line = '';
    const t0 = performance.now();
    const vm = new Vm({
      firmware, cmdline: '', disks: [{ backend: new MemoryBackend(disk.length / 512, true, disk), readOnly: true }],
      console: (b) => {
        if (seen >= 0) return;
        if (b !== 10) { line += String.fromCharCode(b); return; }
        if (line.startsWith('init:')) seen = performance.now() - t0;
        line = '';
      },
    });
    const r = vm.run();
    if (seen < 0 || r.stop !== 'poweroff') throw new Error(`default disk: init never printed (${r.message})`);
    return seen;
  };
  once();
  return Array.from({ length: runs }, once);
}

function diskReadExits(mode: Mode, reads: number): Counts {
  const r = osMachine({
    programs: ['init', 'disktest'], cmdline: `iommu=${mode} run=disktest:read4k:${reads}`,
    dataDisks: [{ sectors: 8192 }], iommu: mode !== 'off', profile: loadProfile('nehalem-2011'),
  }).run();
  if (!/init: disktest exited with status 0/.test(r.console)) throw new Error(`disktest read4k (${mode}) failed: ${r.console.trim().split('\n').at(-1)}`);
  return counts(r.stats);
}

function udpRoundTripExits(mode: Mode, trips: number): Counts {
  const host = new VirtualHost();
  const m = osMachine({
    programs: ['init', 'udpecho'], cmdline: `iommu=${mode} run=udpecho:7:${trips}`,
    iommu: mode !== 'off', nets: [host.guestSide], profile: loadProfile('nehalem-2011'),
  });
  const payload = new Uint8Array(64).fill(0x61);
  let echoed = 0;
  host.onDatagram = (from) => {
    if (from !== 7) return;
    echoed++;
    if (echoed < trips) host.send(5000, 7, payload);
  };
  // Until udpecho is listening, datagrams are dropped: retry the first one every 5 virtual ms.
  const first = (): void => {
    if (echoed > 0) return;
    host.send(5000, 7, payload);
    m.vm.clock.schedule(m.vm.clock.now + m.vm.profile.cpuHz / 200, first);
  };
  first();
  const r = m.run();
  if (echoed !== trips) throw new Error(`udpecho (${mode}): ${echoed} of ${trips} echoes (${r.message})`);
  return counts(r.stats);
}

export interface GuestBenchResult {
  bootToInitMs: number;
  bootToInitRunsMs: number[];
  exitsPer4KiBRead: Record<Mode, { total: number; byReason: Counts }>;
  exitsPerUdpRoundTrip: Record<Mode, { total: number; byReason: Counts }>;
  profile: string;
}

export function guestBench(): GuestBenchResult {
  const runs = bootToInit(7);
  const read = {} as GuestBenchResult['exitsPer4KiBRead'];
  const udp = {} as GuestBenchResult['exitsPerUdpRoundTrip'];
  for (const mode of MODES) {
    read[mode] = perUnit(diskReadExits(mode, 100), diskReadExits(mode, 400), 300);
    udp[mode] = perUnit(udpRoundTripExits(mode, 20), udpRoundTripExits(mode, 80), 60);
  }
  return { bootToInitMs: median(runs), bootToInitRunsMs: runs, exitsPer4KiBRead: read, exitsPerUdpRoundTrip: udp, profile: 'nehalem-2011' };
}
