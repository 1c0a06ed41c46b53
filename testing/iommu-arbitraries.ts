/**
 * fast-check arbitraries for IOMMU tests. IOVAs come from a small set of pages on purpose:
 * collisions (the same page mapped, used, unmapped and used again) are where stale IOTLB
 * entries live, and pages 1023/1024 straddle a page-directory boundary.
 */
import fc from 'fast-check';
import { IOMMU_MMIO_SIZE, REGISTERS, REG_FRCD } from '../devices/iommu/registers.js';
import type { Perms } from './iommu-tables.js';

export const IOVA_PAGES: readonly number[] = [0, 1, 2, 3, 1022, 1023, 1024, 1025];

export const deviceIdArb = (max = 255): fc.Arbitrary<number> => fc.integer({ min: 0, max });

export const permsArb: fc.Arbitrary<Perms> = fc.record({ read: fc.boolean(), write: fc.boolean() });

export const iovaPageArb = (pages: readonly number[] = IOVA_PAGES): fc.Arbitrary<number> => fc.constantFrom(...pages);

/** An IOVA inside one of `pages`, anywhere in the page. */
export const iovaArb = (pages: readonly number[] = IOVA_PAGES): fc.Arbitrary<number> =>
  fc.tuple(iovaPageArb(pages), fc.integer({ min: 0, max: 4095 })).map(([p, off]) => p * 4096 + off);

/** A DMA access that may span up to three pages (lengths up to 8 KiB, including 0). */
export const dmaAccessArb = (pages: readonly number[] = IOVA_PAGES) =>
  fc.record({ iova: iovaArb(pages), len: fc.oneof(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 8192 })) });

export const u32Arb: fc.Arbitrary<number> = fc.integer({ min: 0, max: 0xffffffff });

/** Any MMIO access to the IOMMU window, biased towards the registers that exist. */
export const registerAccessArb = (faultRecords = 8) => {
  const known = [...REGISTERS.map((r) => r.offset)];
  for (let i = 0; i < faultRecords * 16; i += 4) known.push(REG_FRCD + i);
  return fc.record({
    offset: fc.oneof(fc.constantFrom(...known), fc.integer({ min: 0, max: IOMMU_MMIO_SIZE - 1 })),
    size: fc.constantFrom(1 as const, 2 as const, 4 as const),
    write: fc.boolean(),
    value: fc.oneof(u32Arb, fc.constantFrom(0, 0xffffffff, 1 << 31, 1 << 30, 0xc0000000, 0xb0000005)),
  });
};
