/**
 * The device side of one split virtqueue (virtio 1.x §2.7), rust-vmm style: the queue keeps only
 * addresses, size and its cursors; guest memory comes in through a `Dma` on every call, so the
 * same queue works behind the IOMMU and nothing here can outlive a reset by holding memory.
 */
import type { Dma } from '../../dma/dma.js';
import { parseChain, type ChainResult } from './chain.js';
import {
  AVAIL_ALIGN, AVAIL_IDX, DESC_ALIGN, MAX_QUEUE_SIZE, USED_ALIGN, USED_IDX, VIRTQ_AVAIL_F_NO_INTERRUPT,
  VIRTQ_USED_F_NO_NOTIFY, availEventOffset, availRingEntry, isPowerOfTwo, needEvent, usedEventOffset, usedRingEntry,
} from './layout.js';

export class SplitQueue {
  size: number;
  ready = false;
  descTable = 0;
  availRing = 0;
  usedRing = 0;
  /** Negotiated VIRTIO_F_EVENT_IDX (§2.7.7.2, §2.7.10). */
  eventIdx = false;
  /** Negotiated VIRTIO_F_INDIRECT_DESC (§2.7.5.3). */
  indirect = false;
  lastAvailIdx = 0;
  nextUsedIdx = 0;
  /** used.idx at the last interrupt decision: a batch is everything added since. */
  private signalledUsed = 0;

  constructor(readonly maxSize: number) {
    if (!isPowerOfTwo(maxSize) || maxSize > MAX_QUEUE_SIZE) throw new Error(`virtqueue: bad maximum size ${maxSize}`);
    this.size = maxSize;
  }

  reset(): void {
    this.size = this.maxSize;
    this.ready = false;
    this.descTable = this.availRing = this.usedRing = 0;
    this.eventIdx = this.indirect = false;
    this.restart();
  }

  /** Cursors back to zero: the driver hands over freshly zeroed rings when it readies a queue. */
  restart(): void {
    this.lastAvailIdx = this.nextUsedIdx = this.signalledUsed = 0;
  }

  /** Why this configuration cannot be used (§2.7 sizes and alignments), or undefined. */
  invalid(): string | undefined {
    if (!isPowerOfTwo(this.size) || this.size > this.maxSize) return `queue size ${this.size} is not a power of 2 up to ${this.maxSize}`;
    if (this.descTable % DESC_ALIGN !== 0) return `descriptor table 0x${this.descTable.toString(16)} not ${DESC_ALIGN}-byte aligned`;
    if (this.availRing % AVAIL_ALIGN !== 0) return `available ring 0x${this.availRing.toString(16)} not ${AVAIL_ALIGN}-byte aligned`;
    if (this.usedRing % USED_ALIGN !== 0) return `used ring 0x${this.usedRing.toString(16)} not ${USED_ALIGN}-byte aligned`;
    return undefined;
  }

  /**
   * The next available chain, or undefined when the driver has made none available. Never throws:
   * DMA faults and an avail index that ran more than a queue ahead are errors with head -1.
   */
  pop(dma: Dma): ChainResult | undefined {
    let head: number;
    try {
      const availIdx = dma.read16(this.availRing + AVAIL_IDX);
      const ahead = (availIdx - this.lastAvailIdx) & 0xffff;
      if (ahead === 0) return undefined;
      if (ahead > this.size) {
        return { ok: false, error: { kind: 'avail-index-jump', head: -1, detail: `avail.idx ${availIdx} is ${ahead} entries past ${this.lastAvailIdx}, queue size ${this.size}` } };
      }
      head = dma.read16(this.availRing + availRingEntry(this.lastAvailIdx & (this.size - 1)));
    } catch (e) {
      return { ok: false, error: { kind: 'dma-fault', head: -1, detail: e instanceof Error ? e.message : String(e) } };
    }
    this.lastAvailIdx = (this.lastAvailIdx + 1) & 0xffff;
    return parseChain(dma, this.descTable, this.size, head, this.indirect);
  }

  /** Puts the last popped chain back (a device that cannot use a buffer yet, e.g. rx too small). */
  undoPop(): void {
    this.lastAvailIdx = (this.lastAvailIdx - 1) & 0xffff;
  }

  /** Whether the driver has chains the device has not taken. False if the ring is unreadable. */
  hasAvailable(dma: Dma): boolean {
    try {
      return dma.read16(this.availRing + AVAIL_IDX) !== this.lastAvailIdx;
    } catch {
      return false;
    }
  }

  /** Returns a chain to the driver (§2.7.8). False when the used ring cannot be written. */
  addUsed(dma: Dma, head: number, len: number): boolean {
    const slot = this.usedRing + usedRingEntry(this.nextUsedIdx & (this.size - 1));
    try {
      dma.write32(slot, head);
      dma.write32(slot + 4, len);
      this.nextUsedIdx = (this.nextUsedIdx + 1) & 0xffff;
      dma.write16(this.usedRing + USED_IDX, this.nextUsedIdx);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * The one interrupt decision per batch (§2.7.7.2 without EVENT_IDX, §2.7.10 with it): true when
   * the chains added since the last decision should be signalled. An unreadable ring means
   * interrupt: a spurious interrupt is harmless, a lost one hangs the driver.
   */
  needsNotification(dma: Dma): boolean {
    const old = this.signalledUsed;
    const now = this.nextUsedIdx;
    this.signalledUsed = now;
    if (old === now) return false;
    try {
      if (this.eventIdx) return needEvent(dma.read16(this.availRing + usedEventOffset(this.size)), now, old);
      return (dma.read16(this.availRing) & VIRTQ_AVAIL_F_NO_INTERRUPT) === 0;
    } catch {
      return true;
    }
  }

  /**
   * Asks the driver to notify on the next available chain (§2.7.10 avail_event, or clearing
   * VIRTQ_USED_F_NO_NOTIFY). Returns whether chains arrived meanwhile, so a device loops until
   * it sees none: the race §2.7.10 warns about.
   */
  enableNotification(dma: Dma): boolean {
    try {
      if (this.eventIdx) dma.write16(this.usedRing + availEventOffset(this.size), this.lastAvailIdx);
      else dma.write16(this.usedRing, 0);
    } catch {
      return false;
    }
    return this.hasAvailable(dma);
  }

  /** Without EVENT_IDX: sets VIRTQ_USED_F_NO_NOTIFY while the device is busy draining. */
  disableNotification(dma: Dma): void {
    if (this.eventIdx) return; // the stale avail_event already suppresses notifications
    try {
      dma.write16(this.usedRing, VIRTQ_USED_F_NO_NOTIFY);
    } catch {
      /* the next enableNotification reports the fault's effect */
    }
  }
}
