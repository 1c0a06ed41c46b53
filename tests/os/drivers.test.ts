/**
 * The kernel's drivers (guest-os/kernel/drivers/, docs/guest-drivers.md), run by their self-test:
 * the kernel built with -DDRIVERS_SELFTEST exercises the boot fs, a data disk and the network
 * device at the end of drivers_init and powers off. This file boots it in each IOMMU mode and
 * checks what only the host can see: the bytes on the disk backend, the devices' counters, the
 * IOMMU's invalidation counters and the MMIO write exits each mode costs.
 */
import t from 'tap';
import { bootRom } from '../../firmware/build.js';
import { buildKernel } from '../../guest-os/os-build.js';
import { MemoryBackend } from '../../devices/virtio/blk/backend.js';
import { peerPair } from '../../devices/virtio/net/backend.js';
import { makeBootDisk } from '../../toolchain/disk/bootfs.js';
import { writeImage } from '../../toolchain/image/write.js';
import { walk } from '../../devices/iommu/tables.js';
import { Vm, type RunResult } from '../../vmm/vm.js';

const QUEUE_NOTIFY = 0x50;
const DATA_SECTORS = 4096;

type Mode = 'none' | 'off' | 'strict' | 'deferred';

interface Boot {
  out: string;
  result: RunResult;
  vm: Vm;
  data: MemoryBackend;
  /** MMIO write exits by device name. */
  writes: Map<string, number>;
  /** QueueNotify writes by device name. */
  notifies: Map<string, number>;
  /** `selftest: dma mode M maps A unmaps B invalidations C flushes D` */
  dma: { maps: number; unmaps: number; invalidations: number; flushes: number };
}

const kernel = buildKernel({ defines: ['DRIVERS_SELFTEST'] });
const helloBytes = Uint8Array.from({ length: 3000 }, (_, i) => (i * 13) & 0xff);
const bootImage = makeBootDisk({
  kernel: writeImage(kernel, 'kernel'), files: [{ name: 'hello', data: helloBytes, exec: true }], cmdline: 'run=hello',
});

/** `cmdline` is added to `iommu=<mode>`; `fullCmdline` replaces both. */
function boot(mode: Mode, opts: { dataDisk?: boolean; net?: boolean; cmdline?: string; fullCmdline?: string } = {}): Boot {
  const data = new MemoryBackend(DATA_SECTORS);
  const [guestEnd, hostEnd] = peerPair();
  hostEnd.onReceive = (f) => hostEnd.send(f);   // echo every frame
  const writes = new Map<string, number>();
  const notifies = new Map<string, number>();
  let out = '';
  const vm = new Vm({
    kernel, firmware: bootRom(), iommu: mode !== 'none', cmdline: opts.fullCmdline ?? [mode === 'none' ? '' : `iommu=${mode}`, opts.cmdline ?? ''].join(' ').trim(),
    disks: [{ backend: new MemoryBackend(bootImage.length / 512, true, bootImage) }, ...(opts.dataDisk === false ? [] : [{ backend: data }])],
    nets: opts.net === false ? [] : [guestEnd],
    console: (c) => { out += String.fromCharCode(c); },
    maxInstructions: 400_000_000,
    onExit: (e, _cycles, dev) => {
      if (e.reason !== 'mmio' || !e.write) return;
      const name = dev ?? '?';
      writes.set(name, (writes.get(name) ?? 0) + 1);
      if ((e.address & 0xfff) === QUEUE_NOTIFY && name.startsWith('virtio')) notifies.set(name, (notifies.get(name) ?? 0) + 1);
    },
  });
  const result = vm.run();
  const m = /selftest: dma mode \d maps (\d+) unmaps (\d+) invalidations (\d+) flushes (\d+)/.exec(out);
  const dma = m ? { maps: +m[1]!, unmaps: +m[2]!, invalidations: +m[3]!, flushes: +m[4]! } : { maps: -1, unmaps: -1, invalidations: -1, flushes: -1 };
  return { out, result, vm, data, writes, notifies, dma };
}

/** The self-test's pattern: byte i of sector s written with seed k. */
function patternOk(disk: Uint8Array, sector: number, count: number, seed: number): boolean {
  for (let s = sector; s < sector + count; s++) {
    for (let i = 0; i < 512; i++) if (disk[s * 512 + i] !== ((s * 31 + i * 7 + seed) & 0xff)) return false;
  }
  return true;
}

const boots = new Map<Mode, Boot>();
const booted = (mode: Mode): Boot => {
  let b = boots.get(mode);
  if (b === undefined) boots.set(mode, (b = boot(mode)));
  return b;
};

for (const mode of ['none', 'off', 'strict', 'deferred'] as const) {
  t.test(`iommu ${mode}: the self-test passes and the disk holds what the guest wrote`, async (t) => {
    const b = booted(mode);
    t.equal(b.result.stop, 'poweroff', b.result.message);
    t.equal(b.result.exitCode, 0, b.out);
    t.match(b.out, 'selftest: done, 0 errors');
    t.notMatch(b.out, 'FAILED');
    t.match(b.out, /virtio-blk0: \d+ sectors, slot 0, read-only\n/);
    t.match(b.out, `virtio-blk1: ${DATA_SECTORS} sectors, slot 1\n`);
    t.match(b.out, 'virtio-net0: mac 52:54:00:12:34:56, slot 2\n');
    t.match(b.out, 'bootfs: 2 files on virtio-blk0');
    t.match(b.out, 'selftest: bootfs cmdline "run=hello", 1 data disks');
    t.match(b.out, 'selftest: file hello 3000 bytes ok');
    t.match(b.out, /selftest: file kernel \d+ bytes ok/);
    t.match(b.out, 'selftest: net: sent 4, received 4, bad 0');
    t.match(b.out, mode === 'none' ? 'dma: iommu off (none present)' : mode === 'off' ? 'dma: iommu off (translation disabled)' : `dma: iommu ${mode}`);
    const disk = b.data.data;
    t.ok(patternOk(disk, 8, 16, 1), 'sectors 8..23');
    t.ok(patternOk(disk, 64, 512, 2), 'the 256 KiB transfer, sectors 64..575');
    for (let j = 0; j < 8; j++) t.ok(patternOk(disk, 1024 + 8 * j, 8, 3 + j), `in-flight write ${j}`);
    t.ok(disk.subarray(0, 8 * 512).every((x) => x === 0), 'nothing else written (sectors 0..7)');
    t.ok(disk.subarray(576 * 512, 1024 * 512).every((x) => x === 0), 'nothing else written (sectors 576..1023)');
    const st = b.vm.blk[1]!.stats;
    t.equal(st.flushes, 1);
    t.equal(st.ioErrors, mode === 'strict' || mode === 'deferred' ? 1 : 0, 'only the deliberate IOMMU fault fails');
    t.equal(b.vm.blk[0]!.stats.writes, 0, 'the read-only boot disk refused the write before it reached the device');
    t.equal(b.dma.maps - b.dma.unmaps, 12 + 64, 'every mapping is unmapped but the rings (12) and the posted rx buffers (64)');
  });
}

t.test('several requests in flight; batched submissions need fewer notifications (EVENT_IDX)', async (t) => {
  const b = booted('strict');
  t.match(b.out, 'selftest: large read: 4 requests, 1 notifications');
  const m = /selftest: in flight: max (\d+) descriptors/.exec(b.out);
  t.ok(m && +m[1]! >= 6, `at least two 3-descriptor requests were in flight at once (${m?.[1]})`);
  const tr = b.vm.slots[1]!.transport.stats;
  const blk = b.vm.blk[1]!.stats;
  const requests = blk.reads + blk.writes + blk.flushes + blk.ioErrors;
  t.equal(tr.requests, requests, 'every request came back');
  const notifies = b.notifies.get('virtio-blk1') ?? 0;
  t.equal(notifies, tr.notifications, 'QueueNotify exits are the device\'s notifications');
  t.ok(notifies < requests, `fewer notify exits (${notifies}) than requests (${requests})`);
  t.ok(tr.interrupts < requests, `fewer interrupts (${tr.interrupts}) than requests: completions come in batches`);
  // The receive queue: after the first kick the device never asks to be notified again.
  t.equal(b.notifies.get('virtio-net0') ?? 0, 1 + 4, 'one receive kick at start-up, one per transmitted frame');
});

t.test('exit tables: strict invalidates per unmap, deferred in batches, off never', async (t) => {
  const strict = booted('strict');
  const deferred = booted('deferred');
  const off = booted('off');
  const none = booted('none');
  const sc = strict.vm.iommu!.counters;
  const dc = deferred.vm.iommu!.counters;
  const oc = off.vm.iommu!.counters;
  // strict: one page-selective invalidation (IVA + IOTLB: two MMIO writes) per unmap.
  t.equal(strict.dma.invalidations, strict.dma.unmaps);
  t.equal(sc.invalidationsPage, strict.dma.unmaps, 'one page-selective invalidation per unmap');
  t.equal(sc.invalidationsGlobal, 1, 'and the one after latching the device table');
  // Five writes set the IOMMU up, two clear the deliberate fault (its record and FSTS).
  t.equal(strict.writes.get('iommu'), 2 * strict.dma.unmaps + 5 + 2, 'two exits per unmap');
  t.equal(sc.faults, 1, 'the deliberate fault');
  t.match(strict.out, /iommu: fault: device 1 write at iova 0xf00000, reason 0xf\n/);
  // deferred: the same unmaps, one invalidation per batch of 32.
  t.equal(deferred.dma.unmaps, strict.dma.unmaps, 'the same work');
  t.equal(deferred.dma.invalidations, deferred.dma.flushes);
  t.equal(deferred.dma.flushes, Math.floor(deferred.dma.unmaps / 32), 'a flush per 32 unmaps');
  t.equal(dc.invalidationsPage, 0);
  t.equal(dc.invalidationsDevice + dc.invalidationsGlobal - 1, deferred.dma.flushes);
  const dw = deferred.writes.get('iommu')!;
  t.ok(dw * 10 < strict.writes.get('iommu')!, `deferred IOMMU exits (${dw}) far fewer than strict (${strict.writes.get('iommu')})`);
  t.equal(dw, deferred.dma.flushes + 5 + 2, 'one exit per batch');
  // off: translation disabled, the IOMMU never touched; none: no IOMMU at all.
  t.equal(off.writes.get('iommu') ?? 0, 0);
  t.equal(oc.invalidationsPage + oc.invalidationsDevice + oc.invalidationsGlobal, 0);
  t.ok(oc.untranslatedAccesses > 0, 'the devices reach memory untranslated');
  t.equal(none.vm.iommu, undefined);
  t.equal(off.dma.invalidations + none.dma.invalidations, 0);
  // The virtio work itself is the same in every mode.
  t.equal(deferred.notifies.get('virtio-blk1'), strict.notifies.get('virtio-blk1'));
  t.equal(off.notifies.get('virtio-blk1'), none.notifies.get('virtio-blk1'));
  t.equal(off.notifies.get('virtio-blk1'), strict.notifies.get('virtio-blk1')! - 1, 'less the deliberate fault');
});

t.test('a boot disk alone: no data disk, no network', async (t) => {
  const b = boot('strict', { dataDisk: false, net: false });
  t.equal(b.result.exitCode, 0, b.out);
  t.match(b.out, 'selftest: bootfs cmdline "run=hello", 0 data disks');
  t.notMatch(b.out, 'virtio-net0');
  t.match(b.out, 'selftest: done, 0 errors');
});

t.test('without EVENT_IDX (eventidx=off) the drivers work and every receive repost is a notify exit', async (t) => {
  const b = boot('strict', { cmdline: 'eventidx=off' });
  const withIdx = booted('strict');
  t.equal(b.result.exitCode, 0, b.out);
  t.match(b.out, 'selftest: done, 0 errors');
  t.equal((b.vm.slots[1]!.transport.features >> 29n) & 1n, 0n, 'EVENT_IDX not negotiated');
  t.equal((withIdx.vm.slots[1]!.transport.features >> 29n) & 1n, 1n, 'EVENT_IDX negotiated by default');
  t.ok(patternOk(b.data.data, 64, 512, 2));
  // VIRTQ_USED_F_NO_NOTIFY is only set while the device drains, so each batch of reposted
  // receive buffers is notified; with EVENT_IDX the device never asks for those.
  t.ok(b.notifies.get('virtio-net0')! > 1 + 4, `receive reposts notified (${b.notifies.get('virtio-net0')} notify exits)`);
  t.equal(withIdx.notifies.get('virtio-net0'), 1 + 4);
});

t.test('a bad iommu= value falls back to the default with a message', async (t) => {
  const b = boot('strict', { fullCmdline: 'iommu=sometimes', dataDisk: false, net: false });
  t.equal(b.result.exitCode, 0, b.out);
  t.match(b.out, 'dma: unknown iommu=sometimes (expected off, strict or deferred); using strict');
});

t.test('a device that sets DEVICE_NEEDS_RESET is reported and its requests fail instead of hanging', async (t) => {
  const b = boot('strict', { cmdline: 'selftest=needsreset', net: false });
  t.equal(b.result.exitCode, 0, b.out);
  t.match(b.out, 'virtio slot 1: device needs a reset; it is no longer used\n');
  t.match(b.out, 'selftest: done, 0 errors');
  t.equal(b.vm.slots[1]!.transport.stats.needsReset, 1);
  t.match(b.vm.slots[1]!.transport.stats.lastError, /head-out-of-range/);
});

/** IOTLB entries whose page the guest's tables no longer map: translations a device could still use. */
function staleEntries(vm: Vm): number {
  const iommu = vm.iommu!;
  const deviceTable = iommu.read(0x20, 4) >>> 0;   // RTADDR
  const stats = { tableReads: 0 };
  return iommu.iotlb.entries().filter((e) => walk(vm.mem, deviceTable, e.device, e.page, stats) < 0).length;
}

t.test('the stale window: strict leaves no stale IOTLB entry, deferred leaves its unflushed batch', async (t) => {
  const strict = booted('strict');
  const deferred = booted('deferred');
  t.ok(strict.vm.iommu!.iotlb.size > 0, 'translations are cached');
  t.equal(staleEntries(strict.vm), 0, 'strict: every cached translation is still mapped');
  const stale = staleEntries(deferred.vm);
  const pending = deferred.dma.unmaps % 32;
  t.ok(stale > 0, `deferred: ${stale} cached translations of unmapped pages, not yet flushed`);
  t.ok(stale <= pending * 17, `no more than the ${pending} unflushed unmaps can cover`);
  t.equal(booted('off').vm.iommu!.iotlb.size, 0, 'off: nothing translated, nothing cached');
});

t.test('a refused feature set: FAILED, one line, the device skipped, the others go on', async (t) => {
  // The self-test build leaves VIRTIO_F_ACCESS_PLATFORM out when asked; a device behind the
  // IOMMU refuses FEATURES_OK without it. No disk works, so no boot fs either.
  const b = boot('strict', { cmdline: 'selftest=no-access-platform' });
  t.equal(b.result.exitCode, 0, b.out);
  for (const name of ['virtio-blk0', 'virtio-blk1', 'virtio-net0']) {
    t.match(b.out, `${name}: device refused the feature set (FEATURES_OK did not stick); device skipped\n`);
  }
  for (const s of b.vm.slots) {
    t.equal(s.transport.status & 0x80, 0x80, `${s.name}: FAILED set`);
    t.equal(s.transport.status & 0x04, 0, `${s.name}: never DRIVER_OK`);
    t.equal(s.transport.stats.featureRefusals, 1);
  }
  t.match(b.out, 'selftest: no boot fs');
  t.match(b.out, 'selftest: done, 0 errors');
});
