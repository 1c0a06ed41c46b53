/**
 * A model of the IOMMU in two maps: what the guest's tables say, and what the IOTLB holds.
 * The IOTLB part follows the documented rule (docs/iommu.md): an entry serves any access it
 * permits; otherwise the tables are walked and the result, if present, replaces the entry.
 * It has no capacity, so it is exact only while the real IOTLB never evicts (the command set
 * sizes its IOTLB for that); with evictions it is an upper bound on what may still be held.
 */
import type { Perms } from './iommu-tables.js';

export interface ModelMapping extends Perms {
  frame: number;
}

const PAGES = 2 ** 20;

export function modelKey(device: number, page: number): number {
  return device * PAGES + page;
}

export class IommuModel {
  readonly tables = new Map<number, ModelMapping>();
  readonly iotlb = new Map<number, ModelMapping>();
  faults = 0;

  map(device: number, page: number, m: ModelMapping): void {
    this.tables.set(modelKey(device, page), { ...m });
  }

  unmap(device: number, page: number): void {
    this.tables.delete(modelKey(device, page));
  }

  invalidatePages(device: number, page: number, am = 0): void {
    const first = Math.floor(page / 2 ** am) * 2 ** am;
    for (let p = first; p < first + 2 ** am; p++) this.iotlb.delete(modelKey(device, p));
  }

  invalidateDevice(device: number): void {
    for (const k of [...this.iotlb.keys()]) if (Math.floor(k / PAGES) === device) this.iotlb.delete(k);
  }

  invalidateGlobal(): void {
    this.iotlb.clear();
  }

  /** One page: the frame the access reaches, or null for a fault. Updates the IOTLB part. */
  translate(device: number, page: number, write: boolean): number | null {
    const key = modelKey(device, page);
    const cached = this.iotlb.get(key);
    if (cached !== undefined && (write ? cached.write : cached.read)) return cached.frame;
    const m = this.tables.get(key);
    if (m === undefined) {
      this.iotlb.delete(key);
      return null;
    }
    this.iotlb.set(key, { ...m });
    return (write ? m.write : m.read) ? m.frame : null;
  }

  /** A whole access: per-page frames in order, or null if any page faults (pages after it are not looked at). */
  access(device: number, iova: number, len: number, write: boolean): number[] | null {
    if (len === 0) return [];
    const frames: number[] = [];
    const last = Math.floor((iova + len - 1) / 4096);
    for (let p = Math.floor(iova / 4096); p <= last; p++) {
      const f = this.translate(device, p, write);
      if (f === null) {
        this.faults++;
        return null;
      }
      frames.push(f);
    }
    return frames;
  }

  /** Does the model's IOTLB hold a translation the tables no longer give? (for reporting) */
  staleEntries(): number {
    let n = 0;
    for (const [k, c] of this.iotlb) {
      const m = this.tables.get(k);
      if (m === undefined || m.frame !== c.frame || m.read !== c.read || m.write !== c.write) n++;
    }
    return n;
  }
}
