/**
 * The split virtqueue's in-memory layout (virtio 1.x §2.7). All fields are little-endian; the
 * queue code reads and writes them only through a `Dma`, so the same code runs with or without
 * the IOMMU.
 */

export const DESC_SIZE = 16;
/** §2.7.5: the buffer continues via the `next` field. */
export const VIRTQ_DESC_F_NEXT = 1;
/** §2.7.5: device-writable (otherwise device-readable). */
export const VIRTQ_DESC_F_WRITE = 2;
/** §2.7.5.3: the buffer holds an indirect descriptor table. */
export const VIRTQ_DESC_F_INDIRECT = 4;

/** §2.7.6: avail.flags bit the driver sets to ask for no interrupts (without EVENT_IDX). */
export const VIRTQ_AVAIL_F_NO_INTERRUPT = 1;
/** §2.7.8: used.flags bit the device sets to ask for no notifications (without EVENT_IDX). */
export const VIRTQ_USED_F_NO_NOTIFY = 1;

/** §2.7: the largest queue size a split queue may have. */
export const MAX_QUEUE_SIZE = 32768;

/** §2.7 table "Virtqueue Part Alignment". */
export const DESC_ALIGN = 16;
export const AVAIL_ALIGN = 2;
export const USED_ALIGN = 4;

export function descTableBytes(size: number): number {
  return DESC_SIZE * size;
}
/** flags, idx, ring[size], used_event. */
export function availRingBytes(size: number): number {
  return 6 + 2 * size;
}
/** flags, idx, ring[size] of {id, len}, avail_event. */
export function usedRingBytes(size: number): number {
  return 6 + 8 * size;
}

export const AVAIL_IDX = 2;
export const availRingEntry = (i: number): number => 4 + 2 * i;
export const usedEventOffset = (size: number): number => 4 + 2 * size;
export const USED_IDX = 2;
export const usedRingEntry = (i: number): number => 4 + 8 * i;
export const availEventOffset = (size: number): number => 4 + 8 * size;

export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

/**
 * Event-index test of §2.7.7.2 / §2.7.10 (Linux's vring_need_event): has the index crossed
 * `event` while moving from `old` to `now`? All arithmetic is modulo 2^16.
 */
export function needEvent(event: number, now: number, old: number): boolean {
  return ((now - event - 1) & 0xffff) < ((now - old) & 0xffff);
}
