/**
 * A ready-made IOMMU test bench: guest memory, the IOMMU on an MMIO bus at its default base, a
 * counting fault line, a table builder and a register driver, with translation enabled.
 */
import { Bus } from '../vmm/bus.js';
import { GuestMemory } from '../vmm/memory.js';
import { Iommu, type IommuOptions } from '../devices/iommu/iommu.js';
import { IOMMU_MMIO_BASE, IOMMU_MMIO_SIZE } from '../devices/iommu/registers.js';
import { IommuDriver } from './iommu-driver.js';
import { IommuTableBuilder } from './iommu-tables.js';

/** Layout of the bench's RAM: tables low, DMA frames from DATA_BASE up. */
export const BENCH_RAM = 0x80000; // 512 KiB
export const BENCH_DEVICE_TABLE = 0x1000;
export const BENCH_POOL_START = 0x2000;
export const BENCH_POOL_END = 0x40000;
export const DATA_BASE = 0x40000;
export const DATA_FRAMES = (BENCH_RAM - DATA_BASE) / 4096;

export interface IommuBench {
  mem: GuestMemory;
  iommu: Iommu;
  mmio: Bus;
  driver: IommuDriver;
  tables: IommuTableBuilder;
  /** How many times the fault interrupt line was raised. */
  irqs: { count: number };
}

export interface BenchOptions extends IommuOptions {
  ramSize?: number;
  /** Leave translation disabled (default: enabled, device table latched). */
  disabled?: boolean;
}

export function dataFrame(i: number): number {
  return DATA_BASE + i * 4096;
}

export function iommuBench(options: BenchOptions = {}): IommuBench {
  const mem = new GuestMemory(options.ramSize ?? BENCH_RAM);
  const irqs = { count: 0 };
  const iommu = new Iommu(mem, { raise: () => { irqs.count++; } }, options);
  const mmio = new Bus('mmio');
  mmio.map(IOMMU_MMIO_BASE, IOMMU_MMIO_SIZE, iommu);
  const driver = new IommuDriver(mmio, IOMMU_MMIO_BASE);
  const tables = new IommuTableBuilder(mem, {
    deviceTable: BENCH_DEVICE_TABLE, poolStart: BENCH_POOL_START, poolEnd: BENCH_POOL_END,
  });
  driver.setDeviceTable(BENCH_DEVICE_TABLE);
  if (!options.disabled) driver.enable();
  return { mem, iommu, mmio, driver, tables, irqs };
}
