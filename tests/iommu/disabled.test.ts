/**
 * Translation disabled (GCMD.TE clear): as on VT-d, DMA is not remapped. The device reaches
 * guest-physical addresses directly, bounded by RAM; nothing is translated, cached or recorded.
 */
import t from 'tap';
import { DmaFault } from '../../devices/dma/dma.js';
import { IommuFault } from '../../devices/iommu/iommu-dma.js';
import { iommuBench, dataFrame } from '../../testing/iommu-setup.js';

t.test('disabled: pass-through to guest-physical addresses', async (t) => {
  const b = iommuBench({ disabled: true });
  const dma = b.iommu.dma(9); // no device entry at all
  dma.write32(dataFrame(3), 0x12345678);
  t.equal(b.mem.ram32[dataFrame(3) / 4], 0x12345678);
  t.same(dma.read(dataFrame(3), 2), Uint8Array.of(0x78, 0x56));
  t.equal(b.iommu.counters.translations, 0);
  t.equal(b.iommu.counters.untranslatedAccesses, 2);
  t.equal(b.iommu.iotlb.size, 0);
});

t.test('disabled: beyond RAM is a plain DmaFault, no fault record, no interrupt', async (t) => {
  const b = iommuBench({ disabled: true });
  b.driver.unmask();
  let thrown: unknown;
  try { b.iommu.dma(0).read(b.mem.ramSize - 2, 4); } catch (e) { thrown = e; }
  t.ok(thrown instanceof DmaFault && !(thrown instanceof IommuFault));
  t.equal(b.iommu.counters.faults, 0);
  t.equal(b.irqs.count, 0);
});

t.test('toggling TE keeps the IOTLB: re-enabling without an invalidation uses old entries', async (t) => {
  const b = iommuBench();
  b.tables.map(0, 0x1000, dataFrame(1));
  b.mem.ram32[dataFrame(1) / 4] = 0xaa;
  t.equal(b.iommu.dma(0).read32(0x1000), 0xaa);
  b.driver.disable();
  t.notOk(b.driver.enabled);
  t.equal(b.iommu.dma(0).read32(0x1000), b.mem.ram32[0x1000 / 4]! >>> 0, 'disabled: IOVA 0x1000 is physical 0x1000');
  b.tables.unmap(0, 0x1000);
  b.driver.enable();
  t.equal(b.iommu.dma(0).read32(0x1000), 0xaa, 'the entry cached before disabling still serves');
});
