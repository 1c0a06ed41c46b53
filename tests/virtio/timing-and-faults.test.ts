/**
 * Device service time on the virtual clock from a cost profile, interrupt batching for virtio-net
 * receive, and DMA faults (what an IOMMU fault looks like to a device): a faulting request fails,
 * writes nothing, and the device carries on.
 */
import t from 'tap';
import { VirtioMmio } from '../../devices/virtio/mmio/transport.js';
import { ClockedTiming } from '../../devices/virtio/mmio/timing.js';
import { VirtioBlk } from '../../devices/virtio/blk/device.js';
import { MemoryBackend } from '../../devices/virtio/blk/backend.js';
import { VIRTIO_BLK_S_IOERR, VIRTIO_BLK_S_OK, VIRTIO_BLK_T_IN } from '../../devices/virtio/blk/request.js';
import { VirtioNet } from '../../devices/virtio/net/device.js';
import { peerPair } from '../../devices/virtio/net/backend.js';
import { DmaFault, type Dma } from '../../devices/dma/dma.js';
import { VirtualClock } from '../../vmm/clock.js';
import { loadProfile, nsToCycles } from '../../vmm/profile.js';
import { guestMemory, type TestMemory } from '../../testing/memory.js';
import { MmioDriver } from '../../testing/driver.js';
import { BlkDriver } from '../../testing/blk.js';
import { NetDriver } from '../../testing/net.js';

t.test('virtio-blk completes after the profile\'s disk latency', async (t) => {
  const profile = loadProfile('nehalem-2011');
  const clock = new VirtualClock();
  const tm = guestMemory();
  let irqAt = -1;
  const blk = new VirtioBlk({ backend: new MemoryBackend(64), timing: ClockedTiming.disk(clock, profile) });
  const dev = new VirtioMmio(blk, { dma: tm.dma, irq: { raise: () => { irqAt = clock.now; } } });
  const drv = new MmioDriver(dev, tm);
  drv.init();
  const d = new BlkDriver(drv);
  clock.advance(1000);
  d.submit(VIRTIO_BLK_T_IN, 0, undefined, 4096);
  d.submit(VIRTIO_BLK_T_IN, 8, undefined, 4096);
  drv.kick(0);
  d.collect();
  t.equal(d.results.size, 0, 'nothing completes before the service time');
  const want = 1000 + 2 * nsToCycles(profile, profile.disk.latencyNsPerRequest) + Math.ceil((8192 * profile.disk.nsPerByte * profile.cpuHz) / 1e9);
  t.equal(clock.nextDeadline(), want);
  clock.advance(want - clock.now);
  clock.runDue();
  d.collect();
  t.equal(d.results.size, 2);
  t.equal(irqAt, want, 'one interrupt, at completion');
  t.equal(dev.stats.usedInterrupts, 1);
});

t.test('virtio-net: a burst of received frames is one batch, one interrupt', async (t) => {
  const [a, b] = peerPair();
  const tm = guestMemory();
  let irqs = 0;
  const dev = new VirtioMmio(new VirtioNet({ backend: b }), { dma: tm.dma, irq: { raise: () => irqs++ } });
  const drv = new MmioDriver(dev, tm);
  drv.init();
  const n = new NetDriver(drv);
  for (let i = 0; i < 5; i++) a.send(new Uint8Array(60).fill(i));
  t.equal(irqs, 0, 'no buffers yet');
  n.postRx(8, 1526);
  t.equal(irqs, 1);
  t.same(n.received().map((f) => f[0]), [0, 1, 2, 3, 4]);
});

/** A Dma that refuses one page, the way a device behind the IOMMU sees an unmapped IOVA. */
class HoleDma implements Dma {
  constructor(private readonly inner: Dma, private readonly hole: number) {}
  private check(addr: number, len: number, write: boolean): void {
    if (addr < this.hole + 4096 && addr + len > this.hole) throw new DmaFault(addr, len, write, 'no translation');
  }
  read(a: number, l: number) { this.check(a, l, false); return this.inner.read(a, l); }
  write(a: number, d: Uint8Array) { this.check(a, d.length, true); this.inner.write(a, d); }
  read16(a: number) { this.check(a, 2, false); return this.inner.read16(a); }
  read32(a: number) { this.check(a, 4, false); return this.inner.read32(a); }
  write16(a: number, v: number) { this.check(a, 2, true); this.inner.write16(a, v); }
  write32(a: number, v: number) { this.check(a, 4, true); this.inner.write32(a, v); }
}

t.test('a DMA fault on a data buffer: IOERR, nothing written there, the device carries on', async (t) => {
  const tm: TestMemory = guestMemory();
  const hole = 0x80000;
  const backend = new MemoryBackend(16, false, new Uint8Array(16 * 512).fill(7));
  const dev = new VirtioMmio(new VirtioBlk({ backend }), { dma: new HoleDma(tm.dma, hole), irq: { raise() {} } });
  const drv = new MmioDriver(dev, tm);
  drv.init();
  const q = drv.queues[0]!;
  const status = tm.alloc(1);
  const hdr = tm.alloc(16);
  tm.write(hdr, new Uint8Array([VIRTIO_BLK_T_IN]));
  q.add([{ addr: hdr, len: 16 }, { addr: hole, len: 512, writable: true }, { addr: status, len: 1, writable: true }]);
  drv.kick(0, true);
  t.same(q.takeUsed().map((u) => u.len), [1], 'status byte only');
  t.equal(tm.read(status, 1)[0], VIRTIO_BLK_S_IOERR);
  t.ok(tm.read(hole, 512).every((b) => b === 0), 'the faulting buffer is untouched');
  const d = new BlkDriver(drv);
  t.equal(d.read(0, 1).status, VIRTIO_BLK_S_OK, 'later requests work');
});
