/**
 * The register file as a guest driver sees it: reset values, what each access type does, and
 * that invalidations are register writes (each one an MMIO exit in the VMM).
 */
import t from 'tap';
import {
  ECAP_PT, FECTL_IM, GCMD_SRTP, GCMD_TE, GRANULARITY_DEVICE, GRANULARITY_GLOBAL, GRANULARITY_PAGE,
  GSTS_RTPS, GSTS_TES, IOMMU_MMIO_BASE, IOTLB_IAIG_SHIFT, IOTLB_IIRG_SHIFT, IOTLB_IVT, REG_CAP, REG_ECAP,
  REG_FECTL, REG_FSTS, REG_GCMD, REG_GSTS, REG_IOTLB, REG_IVA, REG_RTADDR, REG_VER, REGISTERS, registerTable,
} from '../../devices/iommu/registers.js';
import { iommuBench, dataFrame } from '../../testing/iommu-setup.js';

t.test('reset values', async (t) => {
  const { driver } = iommuBench({ disabled: true, faultRecords: 4, iotlbEntries: 32 });
  t.equal(driver.read(REG_VER), 0x10, 'version 1.0');
  t.equal(driver.read(REG_CAP) & 0xff, 4, 'CAP: fault records');
  t.equal((driver.read(REG_CAP) >>> 8) & 0xff, 8, 'CAP: log2 of 256 device ids');
  t.equal(driver.read(REG_CAP) >>> 16, 32, 'CAP: IOTLB entries');
  t.equal(driver.read(REG_ECAP), ECAP_PT, 'ECAP: pass-through supported');
  t.equal(driver.read(REG_GSTS), GSTS_RTPS, 'latched table, translation off');
  t.equal(driver.read(REG_FECTL), FECTL_IM, 'the fault interrupt starts masked');
  t.equal(driver.read(REG_FSTS), 0);
  t.equal(driver.read(REG_GCMD), 0, 'GCMD is write-only');
});

t.test('the register table names every register once and in order', async (t) => {
  const table = registerTable(8);
  const offsets = table.map((r) => r.offset);
  t.same(offsets, [...offsets].sort((a, b) => a - b));
  t.equal(new Set(offsets).size, offsets.length);
  t.ok(REGISTERS.every((r) => r.width === 32 && r.offset % 4 === 0));
});

t.test('GCMD: TE enables, SRTP latches RTADDR; GSTS reports both', async (t) => {
  const { driver, iommu } = iommuBench({ disabled: true });
  driver.write(REG_RTADDR, 0x3456);
  t.equal(driver.read(REG_RTADDR), 0x3000, 'RTADDR keeps only the 4 KiB-aligned address');
  driver.write(REG_GCMD, GCMD_TE);
  t.equal(driver.read(REG_GSTS), (GSTS_TES | GSTS_RTPS) >>> 0, 'RTPS stays set once a table was latched');
  t.ok(iommu.enabled);
  driver.write(REG_GCMD, GCMD_SRTP);
  t.notOk(iommu.enabled, 'writing GCMD without TE turns translation off');
});

t.test('RTADDR takes effect only when latched with SRTP', async (t) => {
  const b = iommuBench();
  b.tables.map(1, 0, dataFrame(0));
  b.mem.ram[dataFrame(0)] = 0xab;
  t.equal(b.iommu.dma(1).read(0, 1)[0], 0xab);
  b.driver.write(REG_RTADDR, 0x7f000); // an empty table elsewhere
  b.driver.invalidateGlobal();
  t.equal(b.iommu.dma(1).read(0, 1)[0], 0xab, 'still the latched table');
  b.driver.write(REG_GCMD, b.driver.read(REG_GSTS) | GCMD_SRTP);
  t.equal(b.iommu.dma(1).read(0, 1)[0], 0xab, 'as on VT-d, a new table needs an invalidation: the IOTLB still serves');
  b.driver.invalidateGlobal();
  t.throws(() => b.iommu.dma(1).read(0, 1), 'the newly latched table has no device 1');
});

t.test('narrow accesses: reads see the bytes, writes are ignored and counted', async (t) => {
  const { iommu, mmio } = iommuBench({ disabled: true, iotlbEntries: 0x1234 });
  t.equal(mmio.read(IOMMU_MMIO_BASE + REG_CAP + 2, 2), 0x1234);
  t.equal(mmio.read(IOMMU_MMIO_BASE + REG_CAP + 1, 1), 8);
  mmio.write(IOMMU_MMIO_BASE + REG_GCMD + 3, 1, 0x80);
  t.notOk(iommu.enabled, 'a byte write to GCMD does not enable translation');
  mmio.write(IOMMU_MMIO_BASE + REG_RTADDR + 2, 4, 0xffffffff);
  t.equal(mmio.read(IOMMU_MMIO_BASE + REG_RTADDR, 4), 0x1000, 'a misaligned dword write is ignored');
  t.equal(iommu.counters.narrowAccesses, 4);
});

t.test('read-only registers ignore writes; unknown offsets read 0', async (t) => {
  const { driver } = iommuBench({ disabled: true });
  for (const reg of [REG_VER, REG_CAP, REG_ECAP, REG_GSTS]) {
    const before = driver.read(reg);
    driver.write(reg, 0xffffffff);
    t.equal(driver.read(reg), before, `register 0x${reg.toString(16)}`);
  }
  t.equal(driver.read(0x80), 0);
  t.equal(driver.read(0xffc), 0);
});

t.test('IOTLB register: IVT reads back clear and IAIG says what was done', async (t) => {
  const { driver, iommu } = iommuBench();
  driver.invalidateGlobal();
  t.equal(driver.read(REG_IOTLB), ((GRANULARITY_GLOBAL << IOTLB_IIRG_SHIFT) | (GRANULARITY_GLOBAL << IOTLB_IAIG_SHIFT)) >>> 0);
  driver.invalidateDevice(7);
  t.equal(driver.read(REG_IOTLB), ((GRANULARITY_DEVICE << IOTLB_IIRG_SHIFT) | (GRANULARITY_DEVICE << IOTLB_IAIG_SHIFT) | 7) >>> 0);
  driver.invalidatePage(7, 0x5000, 2);
  t.equal(driver.read(REG_IVA), 0x5002);
  t.equal(driver.read(REG_IOTLB) >>> IOTLB_IAIG_SHIFT & 3, GRANULARITY_PAGE);
  t.same([iommu.counters.invalidationsGlobal, iommu.counters.invalidationsDevice, iommu.counters.invalidationsPage], [1, 1, 1]);

  driver.write(REG_IOTLB, IOTLB_IVT); // granularity 0 is reserved
  t.equal(driver.read(REG_IOTLB) >>> IOTLB_IAIG_SHIFT & 3, 0, 'a reserved granularity is refused');
  driver.write(REG_IOTLB, (IOTLB_IVT | (GRANULARITY_DEVICE << IOTLB_IIRG_SHIFT) | 256) >>> 0);
  driver.write(REG_IVA, 0x1000 | 21);
  driver.write(REG_IOTLB, (IOTLB_IVT | (GRANULARITY_PAGE << IOTLB_IIRG_SHIFT) | 1) >>> 0);
  t.equal(iommu.counters.invalidationsRejected, 3, 'device id past 255 and AM past 20 are refused too');
  driver.write(REG_IOTLB, GRANULARITY_GLOBAL << IOTLB_IIRG_SHIFT);
  t.equal(iommu.counters.invalidationsGlobal, 1, 'without IVT nothing is invalidated');
});

t.test('strict invalidation costs exits: one page is two MMIO writes, a device or everything is one', async (t) => {
  const { driver } = iommuBench();
  const before = driver.mmioWrites;
  driver.invalidatePage(0, 0x1000);
  t.equal(driver.mmioWrites - before, 2);
  driver.invalidateDevice(0);
  driver.invalidateGlobal();
  t.equal(driver.mmioWrites - before, 4);
});
