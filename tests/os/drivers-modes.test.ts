/**
 * The drivers under the real system: the default boot disk booted by the firmware, init running
 * `disktest` on a data disk, in each IOMMU mode. Checks that disktest passes everywhere and
 * compares the exit tables: strict pays two IOMMU register writes (IVA + IOTLB) per unmap,
 * deferred one per batch of 32, off none; and measures the exits of one 4 KiB read
 * (`disktest read4k N`, the difference between two run lengths).
 */
import t from 'tap';
import { bootRom } from '../../firmware/build.js';
import { MemoryBackend } from '../../devices/virtio/blk/backend.js';
import { buildDefaultDisk } from '../../toolchain/disk/default-disk.js';
import { Vm, type RunResult } from '../../vmm/vm.js';

type Mode = 'off' | 'strict' | 'deferred';
const MODES: readonly Mode[] = ['off', 'strict', 'deferred'];

const bootImage = buildDefaultDisk();

interface Run {
  out: string;
  result: RunResult;
  vm: Vm;
  /** Exits by `reason:device` (mmio reads and writes apart). */
  exits: Map<string, number>;
}

function run(mode: Mode, programs: string): Run {
  const exits = new Map<string, number>();
  let out = '';
  const vm = new Vm({
    firmware: bootRom(), iommu: true, cmdline: `iommu=${mode} run=${programs}`,
    disks: [{ backend: new MemoryBackend(bootImage.length / 512, true, bootImage) }, { backend: new MemoryBackend(8192) }],
    console: (c) => { out += String.fromCharCode(c); },
    maxInstructions: 1_000_000_000,
    onExit: (e, _cycles, dev) => {
      const key = e.reason === 'mmio' ? `mmio-${e.write ? 'write' : 'read'}:${dev}` : `${e.reason}${dev ? `:${dev}` : ''}`;
      exits.set(key, (exits.get(key) ?? 0) + 1);
    },
  });
  const result = vm.run();
  return { out, result, vm, exits };
}

const disktest = new Map(MODES.map((m) => [m, run(m, 'disktest')]));

for (const mode of MODES) {
  t.test(`disktest passes with iommu=${mode}`, async (t) => {
    const r = disktest.get(mode)!;
    t.equal(r.result.stop, 'poweroff', r.result.message);
    t.equal(r.result.exitCode, 0, r.out);
    t.match(r.out, `dma: iommu ${mode === 'off' ? 'off (translation disabled)' : mode}`);
    t.match(r.out, /disktest: ok/);
    t.match(r.out, 'init: disktest exited with status 0');
    t.equal(r.vm.blk[1]!.stats.ioErrors, 0);
    t.equal(r.vm.iommu!.counters.faults, 0, 'no IOMMU fault');
  });
}

t.test('exit tables of the three modes: an invalidation exit pair per unmap in strict, few in deferred, none off', async (t) => {
  const [off, strict, deferred] = MODES.map((m) => disktest.get(m)!);
  const sc = strict!.vm.iommu!.counters;
  const dc = deferred!.vm.iommu!.counters;
  const blk = strict!.vm.blk[1]!.stats;
  const dataRequests = blk.reads + blk.writes + blk.flushes;
  // Every data-disk read or write maps and unmaps header, data and status (a flush: two).
  t.ok(sc.invalidationsPage >= 3 * (blk.reads + blk.writes) + 2 * blk.flushes,
    `strict: ${sc.invalidationsPage} page invalidations for ${dataRequests} data-disk requests`);
  t.equal(strict!.exits.get('mmio-write:iommu'), 2 * sc.invalidationsPage + 5, 'two write exits per invalidation, five to set up');
  t.equal(sc.invalidationsDevice, 0);
  t.equal(dc.invalidationsPage, 0, 'deferred never invalidates a single page');
  const batches = dc.invalidationsDevice + dc.invalidationsGlobal - 1;
  t.equal(batches, Math.floor(sc.invalidationsPage / 32), 'deferred: one invalidation per 32 unmaps');
  t.equal(deferred!.exits.get('mmio-write:iommu'), batches + 5);
  t.ok(deferred!.exits.get('mmio-write:iommu')! * 20 < strict!.exits.get('mmio-write:iommu')!, 'deferred: far fewer IOMMU exits');
  t.equal(off!.exits.get('mmio-write:iommu') ?? 0, 0, 'off: the IOMMU is never written');
  t.equal(off!.vm.iommu!.counters.translations, 0);
  // The virtio side does not depend on the mode.
  for (const r of [off!, deferred!]) {
    t.equal(r.exits.get('mmio-write:virtio-blk1'), strict!.exits.get('mmio-write:virtio-blk1'));
    t.same(r.vm.blk[1]!.stats, strict!.vm.blk[1]!.stats);
  }
});

t.test('exits per 4 KiB read in each mode (disktest read4k)', async (t) => {
  const table: Record<string, Record<string, number>> = {};
  for (const mode of MODES) {
    const a = run(mode, 'disktest:read4k:32');
    const b = run(mode, 'disktest:read4k:96');
    t.equal(a.result.exitCode, 0, a.out);
    t.equal(b.result.exitCode, 0, b.out);
    t.equal(b.vm.blk[1]!.stats.reads - a.vm.blk[1]!.stats.reads, 64, '64 more reads, one request each');
    const per: Record<string, number> = {};
    for (const key of new Set([...a.exits.keys(), ...b.exits.keys()])) {
      const d = ((b.exits.get(key) ?? 0) - (a.exits.get(key) ?? 0)) / 64;
      if (d !== 0) per[key] = Math.round(d * 100) / 100;
    }
    table[mode] = per;
    // One notification, one InterruptStatus read and one ACK per request.
    t.equal(per['mmio-write:virtio-blk1'], 2, `${mode}: QueueNotify + InterruptACK`);
    t.equal(per['mmio-read:virtio-blk1'], 1, `${mode}: InterruptStatus`);
  }
  t.equal(table.strict!['mmio-write:iommu'], 6, 'strict: three unmaps, two writes each');
  t.ok((table.deferred!['mmio-write:iommu'] ?? 0) <= 0.15, `deferred: ${table.deferred!['mmio-write:iommu']} (3 unmaps / 32)`);
  t.equal(table.off!['mmio-write:iommu'], undefined, 'off: none');
  t.comment(JSON.stringify(table));
});
