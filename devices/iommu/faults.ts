/**
 * VT-d primary fault logging, reduced to what a guest handler needs: a ring of fault-recording
 * registers, PPF/PFO/FRI in FSTS, and one fault event (interrupt) per pending episode, held
 * back while FECTL.IM is set and delivered on unmask. The rules are VT-d's as QEMU's
 * intel_iommu implements them: a fault that finds the next record still full sets PFO and is
 * lost; an event is generated only when no fault was pending before.
 */
import type { IrqLine } from '../pic/pic.js';
import type { IommuCounters } from './counters.js';
import { FECTL_IM, FECTL_IP, FRCD_F, FRCD_T_READ, FSTS_FRI_SHIFT, FSTS_PFO, FSTS_PPF } from './registers.js';
import { FRAME_MASK } from './tables.js';

export interface FaultRecord {
  readonly index: number;
  readonly device: number;
  readonly iovaPage: number;
  readonly write: boolean;
  readonly reason: number;
}

export class FaultLog {
  /** 4 dwords per record, laid out as the FRCD registers read. */
  readonly records: Uint32Array;
  private pending = 0;
  private next = 0;
  private fri = 0;
  private pfo = false;
  private masked = true; // VT-d resets FECTL with IM set
  private ip = false;

  constructor(
    readonly count: number,
    private readonly irq: IrqLine | undefined,
    private readonly counters: IommuCounters,
  ) {
    this.records = new Uint32Array(count * 4);
  }

  record(device: number, iova: number, write: boolean, reason: number): void {
    this.counters.faults++;
    const wasPending = this.pfo || this.pending > 0;
    if (this.pfo) {
      this.counters.faultsDropped++;
      return;
    }
    const i = this.next;
    const r = this.records;
    if ((r[i * 4 + 3]! & FRCD_F) !== 0) {
      this.pfo = true;
      this.counters.faultsDropped++;
      return; // a full record means PPF was already set: no new event
    }
    r[i * 4] = (iova & FRAME_MASK) >>> 0;
    r[i * 4 + 1] = 0;
    r[i * 4 + 2] = device & 0xffff;
    r[i * 4 + 3] = (FRCD_F | (write ? 0 : FRCD_T_READ) | (reason & 0xff)) >>> 0;
    this.pending++;
    this.next = (i + 1) % this.count;
    if (!wasPending) {
      this.fri = i;
      this.event();
    }
  }

  get fsts(): number {
    return ((this.pfo ? FSTS_PFO : 0) | (this.pending > 0 ? FSTS_PPF : 0) | (this.fri << FSTS_FRI_SHIFT)) >>> 0;
  }

  get fectl(): number {
    return ((this.masked ? FECTL_IM : 0) | (this.ip ? FECTL_IP : 0)) >>> 0;
  }

  writeFsts(v: number): void {
    if ((v & FSTS_PFO) !== 0) this.pfo = false;
    this.settle();
  }

  writeFectl(v: number): void {
    this.masked = (v & FECTL_IM) !== 0;
    if (!this.masked && this.ip) this.deliver();
  }

  /** A write to record `i`'s status dword: F is write-1-to-clear, everything else read-only. */
  writeStatus(i: number, v: number): void {
    const at = i * 4 + 3;
    if ((v & FRCD_F) !== 0 && (this.records[at]! & FRCD_F) !== 0) {
      this.records[at] = (this.records[at]! & ~FRCD_F) >>> 0;
      this.pending--;
      this.settle();
    }
  }

  list(): FaultRecord[] {
    const out: FaultRecord[] = [];
    for (let i = 0; i < this.count; i++) {
      const s = this.records[i * 4 + 3]!;
      if ((s & FRCD_F) === 0) continue;
      out.push({
        index: i,
        device: this.records[i * 4 + 2]!,
        iovaPage: this.records[i * 4]!,
        write: (s & FRCD_T_READ) === 0,
        reason: s & 0xff,
      });
    }
    return out;
  }

  /** Once the guest has cleared every pending condition, a held-back event is forgotten. */
  private settle(): void {
    if (!this.pfo && this.pending === 0) this.ip = false;
  }

  private event(): void {
    this.ip = true;
    if (!this.masked) this.deliver();
  }

  private deliver(): void {
    this.ip = false;
    this.counters.faultInterrupts++;
    this.irq?.raise();
  }
}
