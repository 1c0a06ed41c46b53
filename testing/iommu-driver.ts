/**
 * The guest driver's side of the IOMMU registers, for tests: each method is the sequence of
 * 32-bit MMIO accesses a kernel would make, so each write here would be one VM exit.
 * `mmioWrites` counts them, which is how a test sees what strict invalidation costs.
 */
import type { BusDevice } from '../vmm/bus.js';
import {
  FECTL_IM, FRCD_F, FRCD_STRIDE, FRCD_T_READ, FSTS_FRI_SHIFT, FSTS_PFO, FSTS_PPF, GCMD_SRTP, GCMD_TE,
  GRANULARITY_DEVICE, GRANULARITY_GLOBAL, GRANULARITY_PAGE, GSTS_TES, IOTLB_IIRG_SHIFT, IOTLB_IVT,
  REG_CAP, REG_FECTL, REG_FRCD, REG_FSTS, REG_GCMD, REG_GSTS, REG_IOTLB, REG_IVA, REG_RTADDR,
} from '../devices/iommu/registers.js';

/** Anything with the bus's read/write shape: a `Bus` (with `base`) or the device itself. */
export type MmioTarget = Pick<BusDevice, 'read' | 'write'>;

export interface DecodedFault {
  index: number;
  device: number;
  iovaPage: number;
  write: boolean;
  reason: number;
}

export class IommuDriver {
  mmioReads = 0;
  mmioWrites = 0;

  constructor(private readonly target: MmioTarget, private readonly base = 0) {}

  read(reg: number): number {
    this.mmioReads++;
    return this.target.read(this.base + reg, 4) >>> 0;
  }

  write(reg: number, value: number): void {
    this.mmioWrites++;
    this.target.write(this.base + reg, 4, value >>> 0);
  }

  /** RTADDR, then SRTP, as VT-d software does before enabling translation. */
  setDeviceTable(pa: number): void {
    this.write(REG_RTADDR, pa);
    this.write(REG_GCMD, this.read(REG_GSTS) | GCMD_SRTP);
  }

  enable(): void {
    this.write(REG_GCMD, this.read(REG_GSTS) | GCMD_TE);
  }

  disable(): void {
    this.write(REG_GCMD, this.read(REG_GSTS) & ~GCMD_TE);
  }

  get enabled(): boolean {
    return (this.read(REG_GSTS) & GSTS_TES) !== 0;
  }

  /** Page-selective: the 2^am pages of the aligned block holding `iova`. Two writes, two exits. */
  invalidatePage(device: number, iova: number, am = 0): void {
    this.write(REG_IVA, ((iova & 0xfffff000) | (am & 0x3f)) >>> 0);
    this.write(REG_IOTLB, IOTLB_IVT | (GRANULARITY_PAGE << IOTLB_IIRG_SHIFT) | device);
  }

  invalidateDevice(device: number): void {
    this.write(REG_IOTLB, IOTLB_IVT | (GRANULARITY_DEVICE << IOTLB_IIRG_SHIFT) | device);
  }

  invalidateGlobal(): void {
    this.write(REG_IOTLB, IOTLB_IVT | (GRANULARITY_GLOBAL << IOTLB_IIRG_SHIFT));
  }

  mask(): void {
    this.write(REG_FECTL, FECTL_IM);
  }

  unmask(): void {
    this.write(REG_FECTL, 0);
  }

  status(): { overflow: boolean; pending: boolean; index: number } {
    const v = this.read(REG_FSTS);
    return { overflow: (v & FSTS_PFO) !== 0, pending: (v & FSTS_PPF) !== 0, index: (v >>> FSTS_FRI_SHIFT) & 0xff };
  }

  get recordCount(): number {
    return this.read(REG_CAP) & 0xff;
  }

  /** Reads every fault record whose F bit is set, as a fault handler would. */
  pendingFaults(): DecodedFault[] {
    const out: DecodedFault[] = [];
    const n = this.recordCount;
    for (let i = 0; i < n; i++) {
      const base = REG_FRCD + i * FRCD_STRIDE;
      const stat = this.read(base + 12);
      if ((stat & FRCD_F) === 0) continue;
      out.push({
        index: i,
        iovaPage: this.read(base),
        device: this.read(base + 8) & 0xffff,
        write: (stat & FRCD_T_READ) === 0,
        reason: stat & 0xff,
      });
    }
    return out;
  }

  clearFault(index: number): void {
    this.write(REG_FRCD + index * FRCD_STRIDE + 12, FRCD_F);
  }

  clearOverflow(): void {
    this.write(REG_FSTS, FSTS_PFO);
  }

  /** What a fault handler does: read and clear every record, then the overflow bit. */
  drainFaults(): DecodedFault[] {
    const faults = this.pendingFaults();
    for (const f of faults) this.clearFault(f.index);
    this.clearOverflow();
    return faults;
  }
}
