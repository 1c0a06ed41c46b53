/**
 * Builds IOMMU translation tables in guest memory from the host side, the way a guest kernel's
 * DMA API would, so tests can set up mappings without a guest. It writes RAM directly and never
 * touches the IOMMU: invalidating is the test's business (that is what is being tested).
 */
import type { GuestMemory } from '../vmm/memory.js';
import {
  DEV_P, DEV_TT_SHIFT, DEVICE_ENTRY_SIZE, DEVICE_IDS, DEVICE_TABLE_SIZE, FRAME_MASK, PAGE_SIZE,
  PTE_P, PTE_R, PTE_W, TT_PASSTHROUGH, TT_TRANSLATE,
} from '../devices/iommu/tables.js';

export interface Perms {
  read: boolean;
  write: boolean;
}

export const RW: Perms = { read: true, write: true };
export const RO: Perms = { read: true, write: false };
export const WO: Perms = { read: false, write: true };

export interface TableBuilderOptions {
  /** 4 KiB-aligned address of the device table (4 KiB). */
  deviceTable: number;
  /** Where page directories and page tables are allocated, [start, end), 4 KiB-aligned. */
  poolStart: number;
  poolEnd: number;
}

export type DeviceMode = 'translate' | 'passthrough' | 'absent';

export class IommuTableBuilder {
  readonly deviceTable: number;
  private next: number;
  private readonly end: number;
  private readonly view: DataView;
  private readonly directories = new Map<number, number>();

  constructor(readonly mem: GuestMemory, options: TableBuilderOptions) {
    const { deviceTable, poolStart, poolEnd } = options;
    for (const [name, v] of [['deviceTable', deviceTable], ['poolStart', poolStart], ['poolEnd', poolEnd]] as const) {
      if (v % PAGE_SIZE !== 0) throw new Error(`IommuTableBuilder: ${name} 0x${v.toString(16)} is not 4 KiB-aligned`);
    }
    if (!mem.isRam(deviceTable, DEVICE_TABLE_SIZE) || !mem.isRam(poolStart, poolEnd - poolStart)) {
      throw new Error('IommuTableBuilder: tables must lie in RAM');
    }
    this.deviceTable = deviceTable;
    this.next = poolStart;
    this.end = poolEnd;
    this.view = new DataView(mem.ram.buffer, mem.ram.byteOffset, mem.ram.byteLength);
    mem.ram.fill(0, deviceTable, deviceTable + DEVICE_TABLE_SIZE);
  }

  /** Sets a device's entry. `translate` gives it an empty page directory the first time. */
  setDevice(device: number, mode: DeviceMode): void {
    this.checkDevice(device);
    const at = this.deviceTable + device * DEVICE_ENTRY_SIZE;
    if (mode === 'absent') {
      this.view.setUint32(at, 0, true);
    } else if (mode === 'passthrough') {
      this.view.setUint32(at, (DEV_P | (TT_PASSTHROUGH << DEV_TT_SHIFT)) >>> 0, true);
    } else {
      this.view.setUint32(at, (this.directory(device) | DEV_P | (TT_TRANSLATE << DEV_TT_SHIFT)) >>> 0, true);
    }
  }

  /** Writes a raw first dword into a device entry (for malformed-entry tests). */
  setDeviceRaw(device: number, dword0: number): void {
    this.checkDevice(device);
    this.view.setUint32(this.deviceTable + device * DEVICE_ENTRY_SIZE, dword0 >>> 0, true);
  }

  /** Maps the IOVA page holding `iova` to the frame holding `pa`; an absent device becomes `translate`. */
  map(device: number, iova: number, pa: number, perms: Perms = RW): void {
    const pte = ((pa & FRAME_MASK) | PTE_P | (perms.read ? PTE_R : 0) | (perms.write ? PTE_W : 0)) >>> 0;
    this.view.setUint32(this.pteAddress(device, iova), pte, true);
  }

  /** Maps every page of [iova, iova+len) to consecutive frames from `pa`. */
  mapRange(device: number, iova: number, pa: number, len: number, perms: Perms = RW): void {
    const first = Math.floor(iova / PAGE_SIZE);
    const last = Math.floor((iova + Math.max(len, 1) - 1) / PAGE_SIZE);
    for (let p = first; p <= last; p++) this.map(device, p * PAGE_SIZE, (pa & FRAME_MASK) + (p - first) * PAGE_SIZE, perms);
  }

  /** Clears the page-table entry (P = 0). The page table itself stays. */
  unmap(device: number, iova: number): void {
    this.view.setUint32(this.pteAddress(device, iova), 0, true);
  }

  /** Writes a raw page-table entry. */
  setPte(device: number, iova: number, raw: number): void {
    this.view.setUint32(this.pteAddress(device, iova), raw >>> 0, true);
  }

  /** Bytes of the pool used so far. */
  get used(): number {
    return this.next;
  }

  private pteAddress(device: number, iova: number): number {
    this.checkDevice(device);
    const dirPa = this.directory(device);
    const entry = this.deviceTable + device * DEVICE_ENTRY_SIZE;
    if ((this.view.getUint32(entry, true) & DEV_P) === 0) this.setDevice(device, 'translate');
    const pdeAt = dirPa + ((iova >>> 22) & 0x3ff) * 4;
    let pde = this.view.getUint32(pdeAt, true);
    if ((pde & PTE_P) === 0) {
      pde = (this.allocPage() | PTE_P | PTE_R | PTE_W) >>> 0;
      this.view.setUint32(pdeAt, pde, true);
    }
    return ((pde & FRAME_MASK) >>> 0) + ((iova >>> 12) & 0x3ff) * 4;
  }

  private directory(device: number): number {
    let dir = this.directories.get(device);
    if (dir === undefined) this.directories.set(device, (dir = this.allocPage()));
    return dir;
  }

  private allocPage(): number {
    if (this.next + PAGE_SIZE > this.end) throw new Error('IommuTableBuilder: table pool exhausted');
    const pa = this.next;
    this.next += PAGE_SIZE;
    this.mem.ram.fill(0, pa, pa + PAGE_SIZE);
    return pa;
  }

  private checkDevice(device: number): void {
    if (!Number.isInteger(device) || device < 0 || device >= DEVICE_IDS) throw new Error(`IommuTableBuilder: bad device id ${device}`);
  }
}
