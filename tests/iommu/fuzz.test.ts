/**
 * Whatever a guest writes to the IOMMU's registers, in any size at any offset, nothing throws
 * out of the device, and DMA afterwards either completes or throws a DmaFault, never anything
 * else (a host exception there would crash the VMM).
 */
import t from 'tap';
import fc from 'fast-check';
import { DmaFault } from '../../devices/dma/dma.js';
import { IOMMU_MMIO_BASE } from '../../devices/iommu/registers.js';
import { registerAccessArb, u32Arb } from '../../testing/iommu-arbitraries.js';
import { iommuBench, dataFrame } from '../../testing/iommu-setup.js';

t.test('random register accesses never throw', async (t) => {
  fc.assert(fc.property(
    fc.array(registerAccessArb(4), { maxLength: 60 }),
    fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), u32Arb, fc.integer({ min: 0, max: 9000 }), fc.boolean()), { maxLength: 10 }),
    (accesses, dmas) => {
      const b = iommuBench({ faultRecords: 4, iotlbEntries: 8 });
      b.tables.map(0, 0, dataFrame(0));
      b.tables.setDevice(1, 'passthrough');
      for (const a of accesses) {
        if (a.write) b.mmio.write(IOMMU_MMIO_BASE + a.offset, a.size, a.value);
        else {
          const v = b.mmio.read(IOMMU_MMIO_BASE + a.offset, a.size);
          if (!Number.isInteger(v) || v < 0 || v >= 2 ** (8 * a.size)) return false;
        }
      }
      for (const [dev, addr, len, write] of dmas) {
        try {
          if (write) b.iommu.dma(dev).write(addr, new Uint8Array(len));
          else b.iommu.dma(dev).read(addr, len);
        } catch (e) {
          if (!(e instanceof DmaFault)) throw e;
        }
      }
      return true;
    }), { numRuns: 400 });
  t.pass();
});
