/**
 * The `Dma` view of one device behind the IOMMU. Every page an access touches is translated
 * before a byte moves, so a fault on the last page of a write leaves the first pages
 * untouched: the all-or-nothing promise of devices/dma/dma.ts. When the guest has not enabled
 * translation the view passes addresses through unchanged, as VT-d does with TE clear.
 */
import { DmaFault, type Dma } from '../dma/dma.js';
import type { Iommu } from './iommu.js';
import { FaultReason, reasonText } from './registers.js';
import { FRAME_MASK, PAGE_SIZE } from './tables.js';

const IOVA_LIMIT = 2 ** 32;

/** A DMA fault the IOMMU recorded: which device, which page, and the VT-d-style reason. */
export class IommuFault extends DmaFault {
  constructor(
    address: number,
    length: number,
    write: boolean,
    readonly deviceId: number,
    readonly iovaPage: number,
    readonly reason: number,
  ) {
    super(address, length, write,
      `IOMMU fault for device ${deviceId} at IOVA page 0x${iovaPage.toString(16)}: ${reasonText(reason)} (reason 0x${reason.toString(16)})`);
  }
}

export class IommuDma implements Dma {
  private readonly ram: Uint8Array;
  private readonly view: DataView;
  /** Reused per access so a multi-page access allocates nothing on the way in. */
  private readonly frames: number[] = [];

  constructor(private readonly iommu: Iommu, readonly deviceId: number) {
    const ram = iommu.mem.ram;
    this.ram = ram;
    this.view = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
  }

  read(addr: number, len: number): Uint8Array {
    const pa = this.resolve(addr, len, false);
    return pa >= 0 ? this.ram.slice(pa, pa + len) : this.gather(addr, len);
  }

  write(addr: number, data: Uint8Array): void {
    const pa = this.resolve(addr, data.length, true);
    if (pa >= 0) { this.ram.set(data, pa); this.iommu.mem.written(pa, data.length); }
    else this.scatter(addr, data);
  }

  read16(addr: number): number {
    const pa = this.resolve(addr, 2, false);
    if (pa >= 0) return this.view.getUint16(pa, true);
    const b = this.gather(addr, 2);
    return b[0]! | (b[1]! << 8);
  }

  read32(addr: number): number {
    const pa = this.resolve(addr, 4, false);
    if (pa >= 0) return this.view.getUint32(pa, true);
    const b = this.gather(addr, 4);
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  }

  write16(addr: number, v: number): void {
    const pa = this.resolve(addr, 2, true);
    if (pa >= 0) { this.view.setUint16(pa, v, true); this.iommu.mem.written(pa, 2); }
    else this.scatter(addr, new Uint8Array([v & 0xff, (v >>> 8) & 0xff]));
  }

  write32(addr: number, v: number): void {
    const pa = this.resolve(addr, 4, true);
    if (pa >= 0) { this.view.setUint32(pa, v >>> 0, true); this.iommu.mem.written(pa, 4); }
    else this.scatter(addr, new Uint8Array([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff]));
  }

  /**
   * Checks and translates every page of [addr, addr+len). Returns the guest-physical address
   * when the access is contiguous in guest-physical memory (one page, a zero length, or
   * translation disabled), else -1 with the per-page frames left in `this.frames`.
   * Throws, having recorded the fault, if any page cannot be accessed.
   */
  private resolve(addr: number, len: number, write: boolean): number {
    if (!Number.isInteger(addr) || !Number.isInteger(len) || addr < 0 || len < 0) {
      throw new DmaFault(addr, len, write, 'bad address or length');
    }
    const iommu = this.iommu;
    if (!iommu.enabled) {
      iommu.counters.untranslatedAccesses++;
      if (addr + len > iommu.mem.ramSize) throw new DmaFault(addr, len, write, 'outside guest RAM (IOMMU translation disabled)');
      return addr;
    }
    if (len === 0) return 0;
    if (addr + len > IOVA_LIMIT) {
      const page = addr < IOVA_LIMIT ? addr & FRAME_MASK : FRAME_MASK;
      this.fail(addr, len, write, page >>> 0, FaultReason.ADDRESS_BEYOND_WIDTH);
    }
    const first = Math.floor(addr / PAGE_SIZE);
    const last = Math.floor((addr + len - 1) / PAGE_SIZE);
    if (first === last) {
      const frame = iommu.translatePage(this.deviceId, first, write);
      if (frame < 0) this.fail(addr, len, write, first * PAGE_SIZE, -frame);
      return frame + (addr & (PAGE_SIZE - 1));
    }
    const frames = this.frames;
    frames.length = 0;
    for (let p = first; p <= last; p++) {
      const frame = iommu.translatePage(this.deviceId, p, write);
      if (frame < 0) this.fail(addr, len, write, p * PAGE_SIZE, -frame);
      frames.push(frame);
    }
    return -1;
  }

  /** Copies out an access whose pages `resolve` just translated into `this.frames`. */
  private gather(addr: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    const frames = this.frames;
    let off = addr & (PAGE_SIZE - 1);
    for (let i = 0, at = 0; at < len; i++, off = 0) {
      const n = Math.min(PAGE_SIZE - off, len - at);
      const src = frames[i]! + off;
      out.set(this.ram.subarray(src, src + n), at);
      at += n;
    }
    return out;
  }

  private scatter(addr: number, data: Uint8Array): void {
    const frames = this.frames;
    let off = addr & (PAGE_SIZE - 1);
    for (let i = 0, at = 0; at < data.length; i++, off = 0) {
      const n = Math.min(PAGE_SIZE - off, data.length - at);
      this.ram.set(data.subarray(at, at + n), frames[i]! + off);
      this.iommu.mem.written(frames[i]! + off, n);
      at += n;
    }
  }

  private fail(addr: number, len: number, write: boolean, iovaPage: number, reason: number): never {
    this.iommu.recordFault(this.deviceId, iovaPage, write, reason);
    throw new IommuFault(addr, len, write, this.deviceId, iovaPage, reason);
  }
}
