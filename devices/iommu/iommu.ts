/**
 * An emulated IOMMU in the style of Intel VT-d as the vIOMMU paper emulates it (docs/iommu.md):
 * registers on the MMIO bus, translation tables in guest memory, an IOTLB in the VMM that only
 * an invalidation register write empties, fault records and a fault interrupt. Every
 * invalidation is an MMIO write and so a VM exit: that per-unmap exit is what the paper's
 * strict and deferred modes trade against each other.
 */
import type { AccessSize } from '../../vmm/exits.js';
import type { BusDevice } from '../../vmm/bus.js';
import type { GuestMemory } from '../../vmm/memory.js';
import type { IrqLine } from '../pic/pic.js';
import { newCounters, type IommuCounters } from './counters.js';
import { FaultLog, type FaultRecord } from './faults.js';
import { IommuDma } from './iommu-dma.js';
import { Iotlb, iotlbKey } from './iotlb.js';
import {
  ECAP_PT, FaultReason, FRCD_STRIDE, GCMD_SRTP, GCMD_TE, GRANULARITY_DEVICE, GRANULARITY_GLOBAL,
  GRANULARITY_PAGE, GSTS_RTPS, GSTS_TES, IOTLB_DID_MASK, IOTLB_IAIG_SHIFT, IOTLB_IIRG_SHIFT, IOTLB_IVT,
  IVA_AM_MASK, IVA_AM_MAX, REG_CAP, REG_ECAP, REG_FECTL, REG_FRCD, REG_FSTS, REG_GCMD, REG_GSTS,
  REG_IOTLB, REG_IVA, REG_RTADDR, REG_VER, VERSION,
} from './registers.js';
import { DEVICE_IDS, FRAME_MASK, PAGE_SIZE, PERM_R, PERM_W, walk } from './tables.js';

export interface IommuOptions {
  /** IOTLB capacity in entries (default 256). */
  iotlbEntries?: number;
  /** Fault-recording registers (default 8, at most 255). */
  faultRecords?: number;
}

const SIZE_MASK = [0, 0xff, 0xffff, 0, 0xffffffff] as const;

export class Iommu implements BusDevice {
  readonly name = 'iommu';
  readonly counters: IommuCounters = newCounters();
  readonly iotlb: Iotlb;
  readonly faultLog: FaultLog;
  private translating = false;
  private rootLatched = false;
  private rtaddr = 0;
  /** The device table in use: RTADDR as latched by the last SRTP command. */
  private deviceTable = 0;
  private iva = 0;
  private iotlbReg = 0;
  private readonly views = new Map<number, IommuDma>();

  constructor(readonly mem: GuestMemory, irq?: IrqLine, options: IommuOptions = {}) {
    const records = options.faultRecords ?? 8;
    if (!Number.isInteger(records) || records < 1 || records > 255) {
      throw new Error(`iommu: faultRecords must be 1..255, got ${records}`);
    }
    this.iotlb = new Iotlb(options.iotlbEntries ?? 256);
    this.faultLog = new FaultLog(records, irq, this.counters);
  }

  get enabled(): boolean {
    return this.translating;
  }

  /** The DMA view for a device behind this IOMMU; one per device id, reused. */
  dma(deviceId: number): IommuDma {
    if (!Number.isInteger(deviceId) || deviceId < 0 || deviceId >= DEVICE_IDS) {
      throw new Error(`iommu: device id must be 0..${DEVICE_IDS - 1}, got ${deviceId}`);
    }
    let view = this.views.get(deviceId);
    if (view === undefined) this.views.set(deviceId, (view = new IommuDma(this, deviceId)));
    return view;
  }

  /**
   * Translates one IOVA page for an access that needs read (`write` false) or write permission.
   * Returns the guest-physical frame address, or `-reason` (nothing recorded: the caller
   * records the fault once per access). An IOTLB entry serves an access it permits even if the
   * tables have changed since; one that does not permit it is refilled by a walk, so a stale
   * entry can let through what the tables no longer allow but never block what they do allow.
   */
  translatePage(device: number, page: number, write: boolean): number {
    const c = this.counters;
    c.translations++;
    const need = write ? PERM_W : PERM_R;
    const key = iotlbKey(device, page);
    const cached = this.iotlb.get(key);
    if (cached !== undefined && (cached & need) !== 0) {
      c.iotlbHits++;
      return cached - (cached & (PAGE_SIZE - 1));
    }
    c.iotlbMisses++;
    c.pageWalks++;
    const r = walk(this.mem, this.deviceTable, device, page, c);
    if (r < 0) {
      if (cached !== undefined) this.iotlb.delete(key);
      return r;
    }
    if (this.iotlb.insert(key, r)) c.iotlbEvictions++;
    if ((r & need) === 0) return write ? -FaultReason.WRITE_DENIED : -FaultReason.READ_DENIED;
    return r - (r & (PAGE_SIZE - 1));
  }

  recordFault(device: number, iova: number, write: boolean, reason: number): void {
    this.faultLog.record(device, iova, write, reason);
  }

  faults(): FaultRecord[] {
    return this.faultLog.list();
  }

  // The invalidations the IOTLB register performs; public so the VMM's own code and tests can
  // name them, but a guest reaches them only through a register write (an exit).

  invalidatePages(device: number, page: number, am = 0): void {
    this.counters.invalidationsPage++;
    this.counters.iotlbEntriesInvalidated += this.iotlb.invalidatePages(device, page, am);
  }

  invalidateDevice(device: number): void {
    this.counters.invalidationsDevice++;
    this.counters.iotlbEntriesInvalidated += this.iotlb.invalidateDevice(device);
  }

  invalidateGlobal(): void {
    this.counters.invalidationsGlobal++;
    this.counters.iotlbEntriesInvalidated += this.iotlb.clear();
  }

  read(offset: number, size: AccessSize): number {
    const aligned = offset & ~3;
    if (size !== 4 || aligned !== offset) this.counters.narrowAccesses++;
    return (this.readRegister(aligned) >>> ((offset & 3) * 8)) & SIZE_MASK[size];
  }

  write(offset: number, size: AccessSize, value: number): void {
    // VT-d requires aligned 32/64-bit register writes; a narrower one would half-issue a command.
    if (size !== 4 || (offset & 3) !== 0) {
      this.counters.narrowAccesses++;
      return;
    }
    this.writeRegister(offset, value >>> 0);
  }

  private readRegister(reg: number): number {
    switch (reg) {
      case REG_VER: return VERSION;
      case REG_CAP: return (this.faultLog.count | (8 << 8) | (Math.min(this.iotlb.capacity, 0xffff) << 16)) >>> 0;
      case REG_ECAP: return ECAP_PT;
      case REG_GCMD: return 0;
      case REG_GSTS: return ((this.translating ? GSTS_TES : 0) | (this.rootLatched ? GSTS_RTPS : 0)) >>> 0;
      case REG_RTADDR: return this.rtaddr;
      case REG_FSTS: return this.faultLog.fsts;
      case REG_FECTL: return this.faultLog.fectl;
      case REG_IVA: return this.iva;
      case REG_IOTLB: return this.iotlbReg;
    }
    const rec = this.recordWord(reg);
    return rec < 0 ? 0 : this.faultLog.records[rec]!;
  }

  private writeRegister(reg: number, v: number): void {
    switch (reg) {
      case REG_GCMD:
        // Guests write GSTS | command, so TE in the value is the wanted state, as on VT-d.
        if ((v & GCMD_SRTP) !== 0) {
          this.deviceTable = this.rtaddr;
          this.rootLatched = true;
        }
        this.translating = (v & GCMD_TE) !== 0;
        return;
      case REG_RTADDR: this.rtaddr = (v & FRAME_MASK) >>> 0; return;
      case REG_FSTS: this.faultLog.writeFsts(v); return;
      case REG_FECTL: this.faultLog.writeFectl(v); return;
      case REG_IVA: this.iva = (v & (FRAME_MASK | IVA_AM_MASK)) >>> 0; return;
      case REG_IOTLB: this.iotlbCommand(v); return;
    }
    const rec = this.recordWord(reg);
    if (rec >= 0 && (rec & 3) === 3) this.faultLog.writeStatus(rec >>> 2, v);
  }

  /** Index into the fault-record words for a register offset, or -1. */
  private recordWord(reg: number): number {
    const end = REG_FRCD + this.faultLog.count * FRCD_STRIDE;
    return reg >= REG_FRCD && reg < end ? (reg - REG_FRCD) >>> 2 : -1;
  }

  private iotlbCommand(v: number): void {
    const request = (v >>> IOTLB_IIRG_SHIFT) & 3;
    const device = v & IOTLB_DID_MASK;
    let done = 0;
    if ((v & IOTLB_IVT) !== 0) {
      const am = this.iva & IVA_AM_MASK;
      if (request === GRANULARITY_GLOBAL) {
        this.invalidateGlobal();
        done = GRANULARITY_GLOBAL;
      } else if (request === GRANULARITY_DEVICE && device < DEVICE_IDS) {
        this.invalidateDevice(device);
        done = GRANULARITY_DEVICE;
      } else if (request === GRANULARITY_PAGE && device < DEVICE_IDS && am <= IVA_AM_MAX) {
        this.invalidatePages(device, this.iva >>> 12, am);
        done = GRANULARITY_PAGE;
      } else {
        this.counters.invalidationsRejected++;
      }
    }
    // Invalidation is synchronous, so IVT already reads back clear; IAIG says what was done.
    this.iotlbReg = ((v & ((3 << IOTLB_IIRG_SHIFT) | IOTLB_DID_MASK)) | (done << IOTLB_IAIG_SHIFT)) >>> 0;
  }
}
