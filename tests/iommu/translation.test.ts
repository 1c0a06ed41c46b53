/**
 * Translation through guest tables: what reaches which frame, which accesses fault with which
 * reason, and the all-or-nothing rule (translate every page first, then copy).
 */
import t from 'tap';
import fc from 'fast-check';
import { DmaFault } from '../../devices/dma/dma.js';
import { IommuFault } from '../../devices/iommu/iommu-dma.js';
import { FaultReason } from '../../devices/iommu/registers.js';
import { DEV_P, PTE_P, PTE_R, PTE_W } from '../../devices/iommu/tables.js';
import { permsArb } from '../../testing/iommu-arbitraries.js';
import { dataFrame, iommuBench } from '../../testing/iommu-setup.js';
import { RO, RW, WO } from '../../testing/iommu-tables.js';

function catchFault(f: () => unknown): IommuFault | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof IommuFault) return e;
    throw e;
  }
  return undefined;
}

t.test('accesses spanning pages are scattered over the mapped frames', async (t) => {
  const b = iommuBench();
  // IOVA pages 1023, 1024, 1025 (across a page-directory boundary) → frames 5, 2, 9
  b.tables.map(4, 1023 * 4096, dataFrame(5));
  b.tables.map(4, 1024 * 4096, dataFrame(2));
  b.tables.map(4, 1025 * 4096, dataFrame(9));
  const dma = b.iommu.dma(4);
  const data = Uint8Array.from({ length: 6000 }, (_, i) => (i * 13) & 0xff);
  const iova = 1023 * 4096 + 3000;
  dma.write(iova, data);
  t.same(b.mem.ram.subarray(dataFrame(5) + 3000, dataFrame(6)), data.subarray(0, 1096));
  t.same(b.mem.ram.subarray(dataFrame(2), dataFrame(3)), data.subarray(1096, 5192));
  t.same(b.mem.ram.subarray(dataFrame(9), dataFrame(9) + 808), data.subarray(5192));
  t.same(dma.read(iova, 6000), data);
  t.equal(b.iommu.counters.translations, 6, 'three pages per access');
});

t.test('16- and 32-bit accesses, aligned and straddling a page boundary', async (t) => {
  const b = iommuBench();
  b.tables.map(0, 0x0000, dataFrame(1));
  b.tables.map(0, 0x1000, dataFrame(7));
  const dma = b.iommu.dma(0);
  dma.write32(0x10, 0xdeadbeef);
  t.equal(dma.read32(0x10), 0xdeadbeef);
  t.equal(dma.read16(0x12), 0xdead);
  dma.write32(0xffe, 0x11223344);
  t.equal(b.mem.ram[dataFrame(1) + 0xffe], 0x44);
  t.equal(b.mem.ram[dataFrame(1) + 0xfff], 0x33);
  t.equal(b.mem.ram[dataFrame(7)], 0x22);
  t.equal(b.mem.ram[dataFrame(7) + 1], 0x11);
  t.equal(dma.read32(0xffe), 0x11223344);
  dma.write16(0xfff, 0xa55a);
  t.equal(dma.read16(0xfff), 0xa55a);
});

t.test('a DMA to an unmapped or read-only IOVA faults and writes nothing', async (t) => {
  // Pages 0..5 of device 3 get random permissions or stay unmapped; any write that touches a
  // page it may not write must throw, record that page, and leave every byte of RAM alone.
  const pageState = fc.option(permsArb, { nil: undefined });
  fc.assert(fc.property(
    fc.array(pageState, { minLength: 6, maxLength: 6 }),
    fc.integer({ min: 0, max: 5 * 4096 }),
    fc.integer({ min: 1, max: 3 * 4096 }),
    (pages, iova, len) => {
      const b = iommuBench();
      b.tables.setDevice(3, 'translate');
      pages.forEach((p, i) => { if (p) b.tables.map(3, i * 4096, dataFrame(i), p); });
      len = Math.min(len, 6 * 4096 - iova);
      const first = Math.floor(iova / 4096);
      const last = Math.floor((iova + len - 1) / 4096);
      let bad = -1;
      for (let p = first; p <= last && bad < 0; p++) if (!pages[p]?.write) bad = p;
      const before = b.mem.ram.slice();
      const f = catchFault(() => b.iommu.dma(3).write(iova, new Uint8Array(len).fill(0xee)));
      if (bad < 0) return f === undefined;
      return f !== undefined
        && Buffer.compare(before, b.mem.ram) === 0
        && f.iovaPage === bad * 4096
        && f.reason === (pages[bad] ? FaultReason.WRITE_DENIED : FaultReason.PAGE_NOT_PRESENT)
        && b.iommu.faults().length === 1
        && b.iommu.faults()[0]!.iovaPage === bad * 4096;
    }), { numRuns: 200 });
  t.pass();
});

t.test('permissions: read-only, write-only, and a directory entry that narrows its table', async (t) => {
  const b = iommuBench();
  b.tables.map(1, 0x1000, dataFrame(0), RO);
  b.tables.map(1, 0x2000, dataFrame(1), WO);
  const dma = b.iommu.dma(1);
  t.equal(dma.read(0x1000, 4).length, 4);
  t.equal(catchFault(() => dma.write32(0x1000, 1))?.reason, FaultReason.WRITE_DENIED);
  dma.write32(0x2000, 1);
  t.equal(catchFault(() => dma.read32(0x2000))?.reason, FaultReason.READ_DENIED);

  // IOVA 0x400000 lies under directory entry 1; clearing that entry's W bit makes the RW page
  // below it read-only, as VT-d ANDs permissions down the walk.
  b.tables.map(1, 0x400000, dataFrame(2), RW);
  const directory = (b.mem.ram32[(0x1000 + 1 * 16) / 4]! & ~0xfff) >>> 0;
  b.mem.ram32[directory / 4 + 1] = b.mem.ram32[directory / 4 + 1]! & ~PTE_W;
  t.equal(catchFault(() => dma.write32(0x400000, 1))?.reason, FaultReason.WRITE_DENIED);
  b.mem.ram32[dataFrame(2) / 4] = 0x5a5a;
  t.equal(dma.read32(0x400000), 0x5a5a);
});

t.test('fault reasons for malformed or missing structures', async (t) => {
  const b = iommuBench();
  const reason = (dev: number, iova = 0) => catchFault(() => b.iommu.dma(dev).read(iova, 1))?.reason;
  t.equal(reason(9), FaultReason.DEVICE_NOT_PRESENT, 'device entry absent');
  b.tables.setDeviceRaw(10, DEV_P | (1 << 2));
  t.equal(reason(10), FaultReason.DEVICE_ENTRY_INVALID, 'TT = 1 (device TLB) is not offered');
  b.tables.setDeviceRaw(11, DEV_P | (3 << 2));
  t.equal(reason(11), FaultReason.DEVICE_ENTRY_INVALID, 'TT = 3 is reserved');
  b.tables.setDeviceRaw(12, (0x7fff0000 | DEV_P) >>> 0);
  t.equal(reason(12), FaultReason.PAGE_TABLE_NOT_RAM, 'page directory outside RAM');
  b.tables.setPte(13, 0x3000, (0x90000000 | PTE_P | PTE_R) >>> 0);
  t.equal(reason(13, 0x3000), FaultReason.OUTPUT_NOT_RAM, 'frame outside RAM');
  b.tables.setDevice(14, 'translate');
  t.equal(reason(14), FaultReason.PAGE_NOT_PRESENT, 'empty directory');
  t.equal(catchFault(() => b.iommu.dma(14).read(0xfffff000, 0x2000))?.reason, FaultReason.ADDRESS_BEYOND_WIDTH);
  b.driver.write(0x20, 0x7f000000);
  b.driver.write(0x18, 0xc0000000);
  b.driver.invalidateGlobal();
  t.equal(reason(1), FaultReason.DEVICE_TABLE_NOT_RAM, 'device table outside RAM');
});

t.test('a pass-through device entry maps IOVA = guest-physical, RAM only', async (t) => {
  const b = iommuBench();
  b.tables.setDevice(5, 'passthrough');
  const dma = b.iommu.dma(5);
  dma.write32(dataFrame(3) + 8, 0xcafef00d);
  t.equal(b.mem.ram32[(dataFrame(3) + 8) / 4]! >>> 0, 0xcafef00d);
  t.equal(catchFault(() => dma.read(b.mem.ramSize, 4))?.reason, FaultReason.OUTPUT_NOT_RAM);
});

t.test('zero-length accesses translate nothing and never fault', async (t) => {
  const b = iommuBench();
  const dma = b.iommu.dma(200);
  t.equal(dma.read(0x1234, 0).length, 0);
  dma.write(0x1234, new Uint8Array(0));
  t.equal(b.iommu.counters.translations, 0);
});

t.test('bad arguments are a device-model bug: DmaFault, nothing recorded', async (t) => {
  const b = iommuBench();
  const dma = b.iommu.dma(0);
  for (const [addr, len] of [[-1, 4], [1.5, 4], [0, -1]] as const) {
    let thrown: unknown;
    try { dma.read(addr, len); } catch (e) { thrown = e; }
    t.ok(thrown instanceof DmaFault && !(thrown instanceof IommuFault), `read(${addr}, ${len})`);
  }
  t.equal(b.iommu.counters.faults, 0);
  t.throws(() => b.iommu.dma(256), /device id/);
});
