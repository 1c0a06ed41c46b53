/**
 * The IOTLB and its invalidations: after an invalidation no stale translation is used; without
 * one, the IOTLB keeps serving the old translation. That window is what the vIOMMU paper's
 * deferred ("relaxed"/optimistic) teardown buys its speed with: a device may still reach a page
 * the guest has unmapped until the batched invalidation runs.
 */
import t from 'tap';
import fc from 'fast-check';
import { IommuFault } from '../../devices/iommu/iommu-dma.js';
import { iommuBench, dataFrame, type IommuBench } from '../../testing/iommu-setup.js';
import { RO, RW } from '../../testing/iommu-tables.js';

type Kind = 'page' | 'device' | 'global';

function invalidate(b: IommuBench, kind: Kind, device: number, iova: number): void {
  if (kind === 'page') b.driver.invalidatePage(device, iova);
  else if (kind === 'device') b.driver.invalidateDevice(device);
  else b.driver.invalidateGlobal();
}

function readOrFault(b: IommuBench, device: number, iova: number): number | 'fault' {
  try {
    return b.iommu.dma(device).read32(iova);
  } catch (e) {
    if (e instanceof IommuFault) return 'fault';
    throw e;
  }
}

t.test('without an invalidation the IOTLB serves the old translation (the deferred-mode window)', async (t) => {
  const b = iommuBench();
  b.mem.ram32[dataFrame(0) / 4] = 0x1111;
  b.mem.ram32[dataFrame(1) / 4] = 0x2222;
  b.tables.map(2, 0x8000, dataFrame(0));
  t.equal(readOrFault(b, 2, 0x8000), 0x1111);

  b.tables.unmap(2, 0x8000);
  t.equal(readOrFault(b, 2, 0x8000), 0x1111, 'unmapped, not invalidated: the device still reads the old page');
  b.iommu.dma(2).write32(0x8000, 0x3333);
  t.equal(b.mem.ram32[dataFrame(0) / 4], 0x3333, '... and can still write it');

  b.tables.map(2, 0x8000, dataFrame(1));
  t.equal(readOrFault(b, 2, 0x8000), 0x3333, 'remapped elsewhere, not invalidated: still the old frame');

  b.driver.invalidatePage(2, 0x8000);
  t.equal(readOrFault(b, 2, 0x8000), 0x2222, 'after the invalidation: the new frame');
  b.tables.unmap(2, 0x8000);
  b.driver.invalidatePage(2, 0x8000);
  t.equal(readOrFault(b, 2, 0x8000), 'fault', 'unmap + invalidate (strict mode): the device is cut off');
});

t.test('after an invalidation no stale translation is used', async (t) => {
  fc.assert(fc.property(
    fc.integer({ min: 0, max: 3 }), // device
    fc.constantFrom(0, 1, 1023, 1024), // IOVA page
    fc.constantFrom<Kind>('page', 'device', 'global'),
    fc.option(fc.integer({ min: 1, max: 7 }), { nil: undefined }), // new frame, or unmapped
    fc.boolean(), // read-only afterwards
    (device, page, kind, newFrame, readOnly) => {
      const b = iommuBench();
      for (let f = 0; f < 8; f++) b.mem.ram32[dataFrame(f) / 4] = 0xf000 + f;
      const iova = page * 4096;
      b.tables.map(device, iova, dataFrame(0));
      b.iommu.dma(device).write32(iova, 0xf000); // fills the IOTLB with a writable entry
      if (newFrame === undefined) b.tables.unmap(device, iova);
      else b.tables.map(device, iova, dataFrame(newFrame), readOnly ? RO : RW);
      invalidate(b, kind, device, iova);
      const got = readOrFault(b, device, iova);
      if (newFrame === undefined) return got === 'fault';
      if (got !== 0xf000 + newFrame) return false;
      let writeFaulted = false;
      try { b.iommu.dma(device).write32(iova, 1); } catch (e) { writeFaulted = e instanceof IommuFault; }
      return writeFaulted === readOnly && b.mem.ram32[dataFrame(0) / 4] === 0xf000;
    }), { numRuns: 300 });
  t.pass();
});

t.test('invalidations drop only what they name', async (t) => {
  const b = iommuBench();
  for (const dev of [0, 1]) for (const page of [0, 1, 2, 3, 8]) b.tables.map(dev, page * 4096, dataFrame(page));
  const fill = () => { for (const dev of [0, 1]) for (const page of [0, 1, 2, 3, 8]) b.iommu.dma(dev).read(page * 4096, 1); };
  const held = () => b.iommu.iotlb.entries().map((e) => `${e.device}:${e.page}`).sort();
  fill();
  t.equal(b.iommu.iotlb.size, 10);
  b.driver.invalidatePage(0, 0x2000);
  t.notOk(held().includes('0:2'));
  t.ok(held().includes('1:2'), 'same page, other device: kept');
  t.equal(b.iommu.iotlb.size, 9);
  b.driver.invalidatePage(1, 0x1000, 2); // pages 0-3 of device 1
  t.same(held().filter((k) => k.startsWith('1:')), ['1:8']);
  fill();
  b.driver.invalidateDevice(1);
  t.same(held(), ['0:0', '0:1', '0:2', '0:3', '0:8']);
  b.driver.invalidateGlobal();
  t.equal(b.iommu.iotlb.size, 0);
  t.equal(b.iommu.counters.iotlbEntriesInvalidated, 1 + 4 + 5 + 5);
});

t.test('a permission upgrade needs no invalidation: a denied hit re-walks', async (t) => {
  const b = iommuBench();
  b.tables.map(0, 0, dataFrame(0), RO);
  b.iommu.dma(0).read32(0);
  b.tables.map(0, 0, dataFrame(0), RW);
  b.iommu.dma(0).write32(0, 7);
  t.equal(b.mem.ram32[dataFrame(0) / 4], 7);
  t.equal(b.iommu.counters.iotlbMisses, 2);
  t.equal(b.iommu.counters.iotlbHits, 0);
});

t.test('strict vs deferred: exits per unmap against the window left open', async (t) => {
  // 16 one-page buffers mapped, used and unmapped; strict invalidates each (2 MMIO writes),
  // deferred batches them into one global invalidation at the end (1 MMIO write).
  for (const mode of ['strict', 'deferred'] as const) {
    const b = iommuBench();
    const writes0 = b.driver.mmioWrites;
    let staleReads = 0;
    for (let i = 0; i < 16; i++) {
      b.tables.map(0, i * 4096, dataFrame(i));
      b.iommu.dma(0).read32(i * 4096);
      b.tables.unmap(0, i * 4096);
      if (mode === 'strict') b.driver.invalidatePage(0, i * 4096);
      if (readOrFault(b, 0, i * 4096) !== 'fault') staleReads++;
    }
    if (mode === 'deferred') b.driver.invalidateGlobal();
    const exits = b.driver.mmioWrites - writes0;
    if (mode === 'strict') {
      t.equal(exits, 32, 'strict: two register writes per unmap');
      t.equal(staleReads, 0, 'strict: no window');
    } else {
      t.equal(exits, 1, 'deferred: one register write per batch');
      t.equal(staleReads, 16, 'deferred: every unmapped buffer stays reachable until the flush');
      t.equal(readOrFault(b, 0, 0), 'fault', 'after the flush the window is closed');
    }
  }
});
