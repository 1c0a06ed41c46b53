/**
 * A DmaFactory for bench/devices.ts that puts the device behind the emulated IOMMU with every
 * page of the test memory mapped one to one (read and write), so the workload is unchanged and
 * only translation costs differ: the IOTLB is warm after the first touch of each page, as in a
 * guest whose DMA mappings stay in place (the IOMMU "off" cost floor of the vIOMMU paper's
 * comparison; strict and deferred invalidation are guest policies measured with the guest OS).
 */
import { Iommu, IOMMU_MMIO_BASE, IOMMU_MMIO_SIZE } from '../devices/iommu/index.js';
import type { Dma } from '../devices/dma/dma.js';
import { Bus } from '../vmm/bus.js';
import { IommuDriver } from '../testing/iommu-driver.js';
import { IommuTableBuilder } from '../testing/iommu-tables.js';
import type { TestMemory } from '../testing/memory.js';

const DEVICE_ID = 1;

export function identityIommuDma(tm: TestMemory): Dma {
  const size = tm.size;
  const deviceTable = tm.alloc(4096, 4096);
  // One page directory plus one page table per 4 MiB of RAM.
  const poolPages = 1 + Math.ceil(size / (4 << 20));
  const poolStart = tm.alloc(poolPages * 4096, 4096);
  const tables = new IommuTableBuilder(tm.mem, { deviceTable, poolStart, poolEnd: poolStart + poolPages * 4096 });
  tables.setDevice(DEVICE_ID, 'translate');
  tables.mapRange(DEVICE_ID, 0, 0, size);
  const iommu = new Iommu(tm.mem, { raise() {} }, { iotlbEntries: 4096 });
  const mmio = new Bus('mmio');
  mmio.map(IOMMU_MMIO_BASE, IOMMU_MMIO_SIZE, iommu);
  const driver = new IommuDriver(mmio, IOMMU_MMIO_BASE);
  driver.setDeviceTable(deviceTable);
  driver.enable();
  return iommu.dma(DEVICE_ID);
}
