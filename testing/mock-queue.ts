/**
 * The driver's side of a split virtqueue, for driving a device without a guest: it lays out the
 * descriptor table and both rings in guest memory, adds chains the way a driver does (direct or
 * through an indirect table), decides whether to kick as §2.7.10 / §2.7.7 say, and reads the
 * used ring. Raw writers let tests build malformed rings on purpose.
 */
import {
  AVAIL_IDX, DESC_SIZE, USED_IDX, VIRTQ_AVAIL_F_NO_INTERRUPT, VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_WRITE, VIRTQ_USED_F_NO_NOTIFY, availEventOffset, availRingBytes, availRingEntry, descTableBytes,
  needEvent, usedEventOffset, usedRingBytes, usedRingEntry,
} from '../devices/virtio/queue/layout.js';
import type { TestMemory } from './memory.js';

export interface BufferSpec {
  len: number;
  /** Device-writable; otherwise device-readable. Readable buffers must come first. */
  writable?: boolean;
  /** Initial contents (defaults to zeros); `len` may be omitted in favour of data.length. */
  data?: Uint8Array;
  /** Use this guest address instead of allocating one. */
  addr?: number;
}

export interface PlacedBuffer {
  addr: number;
  len: number;
  writable: boolean;
}

export interface RawDescriptor {
  addr: number;
  len: number;
  flags: number;
  next: number;
}

export interface UsedElem {
  id: number;
  len: number;
}

export class MockQueue {
  readonly desc: number;
  readonly avail: number;
  readonly used: number;
  /** Kicks the driver skipped because the device asked not to be notified. */
  suppressedKicks = 0;
  private availIdx = 0;
  private lastUsedIdx = 0;
  private kickedAt = 0;
  private readonly free: number[] = [];
  private readonly inFlight = new Map<number, number[]>();

  constructor(
    readonly tm: TestMemory,
    readonly size: number,
    readonly opts: { eventIdx?: boolean } = {},
  ) {
    this.desc = tm.alloc(descTableBytes(size), 16);
    this.avail = tm.alloc(availRingBytes(size), 2);
    this.used = tm.alloc(usedRingBytes(size), 4);
    for (let i = size - 1; i >= 0; i--) this.free.push(i);
  }

  get freeDescriptors(): number {
    return this.free.length;
  }

  /** Chains the device has not returned yet. */
  get outstanding(): number {
    return this.inFlight.size;
  }

  /**
   * Adds one chain and makes it available. Returns its head and where each buffer lives, or
   * undefined when the table has too few free descriptors.
   */
  add(bufs: BufferSpec[], opts: { indirect?: boolean } = {}): { head: number; buffers: PlacedBuffer[] } | undefined {
    const placed = bufs.map((b) => this.place(b));
    const descs: RawDescriptor[] = placed.map((p) => ({ addr: p.addr, len: p.len, flags: p.writable ? VIRTQ_DESC_F_WRITE : 0, next: 0 }));
    let ids: number[];
    if (opts.indirect) {
      if (this.free.length < 1) return undefined;
      const table = this.tm.alloc(DESC_SIZE * descs.length, 16);
      descs.forEach((d, i) => {
        if (i + 1 < descs.length) { d.flags |= VIRTQ_DESC_F_NEXT; d.next = i + 1; }
        this.writeDescAt(table + DESC_SIZE * i, d);
      });
      ids = [this.free.pop()!];
      this.writeDesc(ids[0]!, { addr: table, len: DESC_SIZE * descs.length, flags: VIRTQ_DESC_F_INDIRECT, next: 0 });
    } else {
      if (this.free.length < descs.length || descs.length === 0) return undefined;
      ids = descs.map(() => this.free.pop()!);
      descs.forEach((d, i) => {
        if (i + 1 < descs.length) { d.flags |= VIRTQ_DESC_F_NEXT; d.next = ids[i + 1]!; }
        this.writeDesc(ids[i]!, d);
      });
    }
    const head = ids[0]!;
    this.inFlight.set(head, ids);
    this.pushAvail(head);
    return { head, buffers: placed };
  }

  private place(b: BufferSpec): PlacedBuffer {
    const len = b.len ?? b.data?.length ?? 0;
    const addr = b.addr ?? this.tm.alloc(Math.max(len, 1), 8);
    if (b.data !== undefined) this.tm.write(addr, b.data.subarray(0, len));
    return { addr, len, writable: b.writable === true };
  }

  writeDesc(i: number, d: RawDescriptor): void {
    this.writeDescAt(this.desc + DESC_SIZE * i, d);
  }

  writeDescAt(at: number, d: RawDescriptor): void {
    const dma = this.tm.dma;
    dma.write32(at, d.addr % 0x1_0000_0000);
    dma.write32(at + 4, Math.floor(d.addr / 0x1_0000_0000));
    dma.write32(at + 8, d.len);
    dma.write16(at + 12, d.flags);
    dma.write16(at + 14, d.next);
  }

  /** Puts `head` in the next avail slot and publishes it (raw: no descriptor bookkeeping). */
  pushAvail(head: number): void {
    this.tm.dma.write16(this.avail + availRingEntry(this.availIdx % this.size), head);
    this.availIdx = (this.availIdx + 1) & 0xffff;
    this.tm.dma.write16(this.avail + AVAIL_IDX, this.availIdx);
  }

  /** Overwrites avail.idx, e.g. to jump further ahead than the queue holds. */
  setAvailIdx(v: number): void {
    this.availIdx = v & 0xffff;
    this.tm.dma.write16(this.avail + AVAIL_IDX, this.availIdx);
  }

  /** Without EVENT_IDX: VIRTQ_AVAIL_F_NO_INTERRUPT. */
  set noInterrupt(on: boolean) {
    this.tm.dma.write16(this.avail, on ? VIRTQ_AVAIL_F_NO_INTERRUPT : 0);
  }

  /** With EVENT_IDX: interrupt me when used.idx passes this value. */
  set usedEvent(v: number) {
    this.tm.dma.write16(this.avail + usedEventOffset(this.size), v & 0xffff);
  }

  get usedIdx(): number {
    return this.tm.dma.read16(this.used + USED_IDX);
  }

  get availEvent(): number {
    return this.tm.dma.read16(this.used + availEventOffset(this.size));
  }

  /**
   * Whether the driver must notify for the chains published since the last kick (§2.7.10 with
   * EVENT_IDX, VIRTQ_USED_F_NO_NOTIFY without). Marks them as kicked either way.
   */
  shouldKick(): boolean {
    const old = this.kickedAt;
    const now = this.availIdx;
    this.kickedAt = now;
    if (old === now) return false;
    const kick = this.opts.eventIdx
      ? needEvent(this.availEvent, now, old)
      : (this.tm.dma.read16(this.used) & VIRTQ_USED_F_NO_NOTIFY) === 0;
    if (!kick) this.suppressedKicks++;
    return kick;
  }

  /** New used elements since the last call; their descriptors go back on the free list. */
  takeUsed(): UsedElem[] {
    const out: UsedElem[] = [];
    const dma = this.tm.dma;
    const idx = this.usedIdx;
    while (this.lastUsedIdx !== idx) {
      const at = this.used + usedRingEntry(this.lastUsedIdx % this.size);
      const e = { id: dma.read32(at), len: dma.read32(at + 4) };
      out.push(e);
      const ids = this.inFlight.get(e.id);
      if (ids !== undefined) {
        this.inFlight.delete(e.id);
        this.free.push(...ids);
      }
      this.lastUsedIdx = (this.lastUsedIdx + 1) & 0xffff;
    }
    return out;
  }
}
