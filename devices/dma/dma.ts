/**
 * How devices reach guest memory (design §5): only through a `Dma` view. A device directly
 * attached gets `PhysicalDma` (guest-physical addresses, RAM only); a device behind the IOMMU
 * gets a view that translates each IOVA through the IOMMU (devices/iommu). Either way an access
 * that cannot be completed throws `DmaFault` before touching a single byte: writes are
 * all-or-nothing, so a fault never leaves half a buffer behind.
 */
import type { GuestMemory } from '../../vmm/memory.js';

export class DmaFault extends Error {
  constructor(
    readonly address: number,
    readonly length: number,
    readonly write: boolean,
    readonly why: string,
  ) {
    super(`DMA ${write ? 'write' : 'read'} of ${length} bytes at 0x${(address >>> 0).toString(16)}: ${why}`);
  }
}

export interface Dma {
  /** Copies `len` bytes from guest address `addr`. */
  read(addr: number, len: number): Uint8Array;
  /** Writes all of `data` at `addr`, or nothing. */
  write(addr: number, data: Uint8Array): void;
  read16(addr: number): number;
  read32(addr: number): number;
  write16(addr: number, v: number): void;
  write32(addr: number, v: number): void;
}

/** Direct guest-physical access, bounds-checked against RAM (MMIO and ROM are not DMA targets). */
export class PhysicalDma implements Dma {
  private readonly ram: Uint8Array;
  private readonly view: DataView;

  constructor(private readonly mem: GuestMemory) {
    this.ram = mem.ram;
    this.view = new DataView(mem.ram.buffer, mem.ram.byteOffset, mem.ram.byteLength);
  }

  private check(addr: number, len: number, write: boolean): void {
    if (!Number.isInteger(addr) || !Number.isInteger(len) || addr < 0 || len < 0 || addr + len > this.ram.length) {
      throw new DmaFault(addr, len, write, 'outside guest RAM');
    }
  }

  read(addr: number, len: number): Uint8Array {
    this.check(addr, len, false);
    return this.ram.slice(addr, addr + len);
  }

  write(addr: number, data: Uint8Array): void {
    this.check(addr, data.length, true);
    this.ram.set(data, addr);
    this.mem.written(addr, data.length);
  }

  read16(addr: number): number { this.check(addr, 2, false); return this.view.getUint16(addr, true); }
  read32(addr: number): number { this.check(addr, 4, false); return this.view.getUint32(addr, true); }
  write16(addr: number, v: number): void { this.check(addr, 2, true); this.view.setUint16(addr, v, true); this.mem.written(addr, 2); }
  write32(addr: number, v: number): void { this.check(addr, 4, true); this.view.setUint32(addr, v >>> 0, true); this.mem.written(addr, 4); }
}
