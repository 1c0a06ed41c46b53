/**
 * The IOTLB: (device id, IOVA page) → walk result, kept in the VMM. Bounded, with first-in
 * first-out replacement because FIFO is deterministic without extra bookkeeping on hits (a
 * Map iterates in insertion order, so its first key is the oldest entry). Nothing here looks
 * at the guest's tables: an entry lives until it is evicted or invalidated, which is exactly
 * the window a deferred-invalidation guest leaves open.
 */
const PAGES = 1 << 20; // 32-bit IOVA space in 4 KiB pages

export function iotlbKey(device: number, page: number): number {
  return device * PAGES + page;
}

export class Iotlb {
  private readonly map = new Map<number, number>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`iotlb: capacity must be a positive integer, got ${capacity}`);
  }

  get size(): number {
    return this.map.size;
  }

  get(key: number): number | undefined {
    return this.map.get(key);
  }

  /** Returns true when an older entry had to be evicted to make room. */
  insert(key: number, value: number): boolean {
    // A refill (after a hit whose permissions did not allow the access) goes to the back.
    let evicted = false;
    if (!this.map.delete(key) && this.map.size >= this.capacity) {
      this.map.delete(this.map.keys().next().value as number);
      evicted = true;
    }
    this.map.set(key, value);
    return evicted;
  }

  delete(key: number): boolean {
    return this.map.delete(key);
  }

  /** Drops the 2^am pages of `device` in the aligned block holding `page`. Returns entries dropped. */
  invalidatePages(device: number, page: number, am: number): number {
    if (am === 0) return this.map.delete(iotlbKey(device, page)) ? 1 : 0;
    const first = Math.floor(page / 2 ** am) * 2 ** am;
    const end = first + 2 ** am;
    let dropped = 0;
    for (const key of this.map.keys()) {
      const p = key % PAGES;
      if (Math.floor(key / PAGES) === device && p >= first && p < end) {
        this.map.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  invalidateDevice(device: number): number {
    let dropped = 0;
    for (const key of this.map.keys()) {
      if (Math.floor(key / PAGES) === device) {
        this.map.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  clear(): number {
    const n = this.map.size;
    this.map.clear();
    return n;
  }

  /** Entries oldest first, decoded, for tests and debugging output. */
  entries(): { device: number; page: number; value: number }[] {
    return [...this.map].map(([k, value]) => ({ device: Math.floor(k / PAGES), page: k % PAGES, value }));
  }
}
