/**
 * The virtio-mmio version 2 register layout (virtio 1.x §4.2.2, table "MMIO Device Register
 * Layout"), one row per register. The transport dispatches 32-bit accesses through this table;
 * everything below 0x100 that is not listed reads 0 and ignores writes.
 */
import type { VirtioMmio } from './transport.js';

export const MMIO_MAGIC = 0x74726976; // "virt"
export const MMIO_VERSION = 2;
export const MMIO_CONFIG_OFFSET = 0x100;
/** What one device occupies on the MMIO bus: registers plus up to 3.75 KiB of configuration. */
export const MMIO_WINDOW = 0x1000;

export type Access = 'R' | 'W' | 'RW';

export interface Register {
  readonly offset: number;
  readonly name: string;
  readonly access: Access;
  readonly read?: (t: VirtioMmio) => number;
  readonly write?: (t: VirtioMmio, value: number) => void;
}

export const REGISTERS: readonly Register[] = [
  { offset: 0x000, name: 'MagicValue', access: 'R', read: () => MMIO_MAGIC },
  { offset: 0x004, name: 'Version', access: 'R', read: () => MMIO_VERSION },
  { offset: 0x008, name: 'DeviceID', access: 'R', read: (t) => t.device.deviceId },
  { offset: 0x00c, name: 'VendorID', access: 'R', read: (t) => t.vendorId },
  { offset: 0x010, name: 'DeviceFeatures', access: 'R', read: (t) => t.deviceFeaturesWord() },
  { offset: 0x014, name: 'DeviceFeaturesSel', access: 'W', write: (t, v) => { t.deviceFeaturesSel = v; } },
  { offset: 0x020, name: 'DriverFeatures', access: 'W', write: (t, v) => t.writeDriverFeatures(v) },
  { offset: 0x024, name: 'DriverFeaturesSel', access: 'W', write: (t, v) => { t.driverFeaturesSel = v; } },
  { offset: 0x030, name: 'QueueSel', access: 'W', write: (t, v) => { t.queueSel = v; } },
  { offset: 0x034, name: 'QueueNumMax', access: 'R', read: (t) => t.selected()?.maxSize ?? 0 },
  { offset: 0x038, name: 'QueueNum', access: 'W', write: (t, v) => t.setupQueue('QueueNum', (q) => { q.size = v; }) },
  { offset: 0x044, name: 'QueueReady', access: 'RW', read: (t) => (t.selected()?.ready ? 1 : 0), write: (t, v) => t.writeQueueReady(v) },
  { offset: 0x050, name: 'QueueNotify', access: 'W', write: (t, v) => t.notify(v) },
  { offset: 0x060, name: 'InterruptStatus', access: 'R', read: (t) => t.interruptStatus },
  { offset: 0x064, name: 'InterruptACK', access: 'W', write: (t, v) => { t.interruptStatus &= ~v; } },
  { offset: 0x070, name: 'Status', access: 'RW', read: (t) => t.status, write: (t, v) => t.writeStatus(v) },
  { offset: 0x080, name: 'QueueDescLow', access: 'W', write: (t, v) => t.setupQueue('QueueDescLow', (q) => { q.descTable = low(q.descTable, v); }) },
  { offset: 0x084, name: 'QueueDescHigh', access: 'W', write: (t, v) => t.setupQueue('QueueDescHigh', (q) => { q.descTable = high(q.descTable, v); }) },
  { offset: 0x090, name: 'QueueDriverLow', access: 'W', write: (t, v) => t.setupQueue('QueueDriverLow', (q) => { q.availRing = low(q.availRing, v); }) },
  { offset: 0x094, name: 'QueueDriverHigh', access: 'W', write: (t, v) => t.setupQueue('QueueDriverHigh', (q) => { q.availRing = high(q.availRing, v); }) },
  { offset: 0x0a0, name: 'QueueDeviceLow', access: 'W', write: (t, v) => t.setupQueue('QueueDeviceLow', (q) => { q.usedRing = low(q.usedRing, v); }) },
  { offset: 0x0a4, name: 'QueueDeviceHigh', access: 'W', write: (t, v) => t.setupQueue('QueueDeviceHigh', (q) => { q.usedRing = high(q.usedRing, v); }) },
  { offset: 0x0fc, name: 'ConfigGeneration', access: 'R', read: (t) => t.configGeneration },
];

const TWO32 = 0x1_0000_0000;
function low(addr: number, v: number): number {
  return Math.floor(addr / TWO32) * TWO32 + (v >>> 0);
}
function high(addr: number, v: number): number {
  return (v >>> 0) * TWO32 + (addr % TWO32);
}

/** offset / 4 → register, for the dispatch in the transport. */
export const REGISTER_BY_WORD: readonly (Register | undefined)[] = (() => {
  const table: (Register | undefined)[] = new Array(MMIO_CONFIG_OFFSET / 4).fill(undefined);
  for (const r of REGISTERS) table[r.offset / 4] = r;
  return table;
})();

/** Register offsets by name, for drivers and tests. */
export const REG = Object.fromEntries(REGISTERS.map((r) => [r.name, r.offset])) as Readonly<Record<string, number>>;
