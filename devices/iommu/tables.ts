/**
 * The translation structures the guest keeps in its own memory (formats in docs/iommu.md):
 * a 4 KiB device table of 256 16-byte entries (VT-d's context table for one bus, with the root
 * table above it dropped), each pointing at a two-level page table split 10+10+12 like the
 * CPU's. The walk reads guest RAM on every call: caching is the IOTLB's job, not the walker's.
 */
import type { GuestMemory } from '../../vmm/memory.js';
import { FaultReason } from './registers.js';

export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12;
export const DEVICE_IDS = 256;
export const DEVICE_ENTRY_SIZE = 16;
export const DEVICE_TABLE_SIZE = DEVICE_IDS * DEVICE_ENTRY_SIZE;

export const DEV_P = 1 << 0;
export const DEV_FPD = 1 << 1; // accepted and ignored: faults are always recorded
export const DEV_TT_SHIFT = 2;
export const DEV_TT_MASK = 3 << DEV_TT_SHIFT;
export const TT_TRANSLATE = 0;
export const TT_PASSTHROUGH = 2;

export const PTE_P = 1 << 0;
export const PTE_R = 1 << 1;
export const PTE_W = 1 << 2;
export const FRAME_MASK = 0xfffff000;

/** Permission bits of a walk result (low bits of the returned frame address). */
export const PERM_R = 1;
export const PERM_W = 2;
export const PERM_RW = PERM_R | PERM_W;

function readU32(ram: Int32Array, pa: number): number {
  return ram[pa >>> 2]! >>> 0;
}

/**
 * Translates one IOVA page for `device`. Returns `frame + permissions` (frame 4 KiB-aligned,
 * permissions PERM_R/PERM_W in the low bits) or `-reason`. `reads` is bumped once per guest
 * memory read, so a cost model can charge walks by the table accesses they make.
 */
export function walk(
  mem: GuestMemory,
  deviceTable: number,
  device: number,
  page: number,
  stats: { tableReads: number },
): number {
  const entryPa = deviceTable + device * DEVICE_ENTRY_SIZE;
  if (!mem.isRam(entryPa, DEVICE_ENTRY_SIZE)) return -FaultReason.DEVICE_TABLE_NOT_RAM;
  stats.tableReads++;
  const dev = readU32(mem.ram32, entryPa);
  if ((dev & DEV_P) === 0) return -FaultReason.DEVICE_NOT_PRESENT;
  const tt = (dev & DEV_TT_MASK) >>> DEV_TT_SHIFT;
  if (tt === TT_PASSTHROUGH) {
    const frame = page * PAGE_SIZE;
    return frame < mem.ramSize ? frame + PERM_RW : -FaultReason.OUTPUT_NOT_RAM;
  }
  if (tt !== TT_TRANSLATE) return -FaultReason.DEVICE_ENTRY_INVALID;

  const dir = (dev & FRAME_MASK) >>> 0;
  const pdePa = dir + ((page >>> 10) & 0x3ff) * 4;
  if (!mem.isRam(pdePa, 4)) return -FaultReason.PAGE_TABLE_NOT_RAM;
  stats.tableReads++;
  const pde = readU32(mem.ram32, pdePa);
  if ((pde & PTE_P) === 0) return -FaultReason.PAGE_NOT_PRESENT;

  const ptePa = ((pde & FRAME_MASK) >>> 0) + (page & 0x3ff) * 4;
  if (!mem.isRam(ptePa, 4)) return -FaultReason.PAGE_TABLE_NOT_RAM;
  stats.tableReads++;
  const pte = readU32(mem.ram32, ptePa);
  if ((pte & PTE_P) === 0) return -FaultReason.PAGE_NOT_PRESENT;

  const frame = (pte & FRAME_MASK) >>> 0;
  if (frame >= mem.ramSize) return -FaultReason.OUTPUT_NOT_RAM;
  // As in VT-d, a directory entry can only narrow what its page-table entries grant.
  const bits = pde & pte;
  return frame + ((bits & PTE_R) !== 0 ? PERM_R : 0) + ((bits & PTE_W) !== 0 ? PERM_W : 0);
}
