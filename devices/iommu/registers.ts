/**
 * The IOMMU's MMIO register file (docs/iommu.md has the same table in prose). Offsets and bit
 * positions follow Intel VT-d where VT-d has a register, narrowed to 32 bits because the guest
 * (mx86) is a 32-bit machine: a VT-d 64-bit register keeps the dword that carries its fields.
 */

export const IOMMU_MMIO_BASE = 0xfed90000; // where Intel chipsets conventionally put DMAR unit 0
export const IOMMU_MMIO_SIZE = 0x1000;
/** Suggested PIC line for the fault interrupt; the VM decides. */
export const IOMMU_IRQ = 9;

export const REG_VER = 0x000;
export const REG_CAP = 0x008;
export const REG_ECAP = 0x010;
export const REG_GCMD = 0x018;
export const REG_GSTS = 0x01c;
export const REG_RTADDR = 0x020;
export const REG_FSTS = 0x034;
export const REG_FECTL = 0x038;
export const REG_IVA = 0x0f0;
export const REG_IOTLB = 0x0f8;
export const REG_FRCD = 0x100;
export const FRCD_STRIDE = 16;

export const VERSION = 0x10; // 1.0: major in bits 7:4, minor in 3:0, as VT-d's VER_REG

export const GCMD_TE = 0x80000000;
export const GCMD_SRTP = 0x40000000;
export const GSTS_TES = 0x80000000;
export const GSTS_RTPS = 0x40000000;

export const ECAP_PT = 1 << 6; // pass-through context entries are supported (VT-d ECAP.PT)

export const FSTS_PFO = 1 << 0;
export const FSTS_PPF = 1 << 1;
export const FSTS_FRI_SHIFT = 8;

export const FECTL_IM = 0x80000000;
export const FECTL_IP = 0x40000000;

/** IVA: IOVA page in bits 31:12, address mask (log2 of the page count) in bits 5:0. */
export const IVA_AM_MASK = 0x3f;
/** The most pages one page-selective invalidation may name: 2^20 covers the 32-bit IOVA space. */
export const IVA_AM_MAX = 20;

export const IOTLB_IVT = 0x80000000;
export const IOTLB_IIRG_SHIFT = 28;
export const IOTLB_IAIG_SHIFT = 25;
export const IOTLB_DID_MASK = 0xffff;
export const GRANULARITY_GLOBAL = 1;
export const GRANULARITY_DEVICE = 2; // VT-d: domain-selective; here the device id is the domain
export const GRANULARITY_PAGE = 3;

export const FRCD_F = 0x80000000;
export const FRCD_T_READ = 0x40000000; // VT-d: T = 1 for a read request, 0 for a write

export type RegisterAccess = 'ro' | 'rw' | 'wo' | 'rw1c' | 'mixed';

export interface RegisterSpec {
  readonly offset: number;
  readonly name: string;
  readonly width: 32;
  readonly access: RegisterAccess;
  readonly what: string;
}

/** The register table. Fault-record registers repeat per record; `registerTable(n)` expands them. */
export const REGISTERS: readonly RegisterSpec[] = [
  { offset: REG_VER, name: 'VER', width: 32, access: 'ro', what: 'version 1.0 (0x10)' },
  { offset: REG_CAP, name: 'CAP', width: 32, access: 'ro', what: 'fault records (7:0), log2 device ids (15:8), IOTLB entries (31:16)' },
  { offset: REG_ECAP, name: 'ECAP', width: 32, access: 'ro', what: 'bit 6 PT: pass-through device entries supported' },
  { offset: REG_GCMD, name: 'GCMD', width: 32, access: 'wo', what: 'bit 31 TE (translation enable), bit 30 SRTP (latch RTADDR)' },
  { offset: REG_GSTS, name: 'GSTS', width: 32, access: 'ro', what: 'bit 31 TES, bit 30 RTPS' },
  { offset: REG_RTADDR, name: 'RTADDR', width: 32, access: 'rw', what: 'device table address (31:12)' },
  { offset: REG_FSTS, name: 'FSTS', width: 32, access: 'mixed', what: 'bit 0 PFO (rw1c), bit 1 PPF (ro), FRI 15:8 (ro)' },
  { offset: REG_FECTL, name: 'FECTL', width: 32, access: 'mixed', what: 'bit 31 IM (rw), bit 30 IP (ro)' },
  { offset: REG_IVA, name: 'IVA', width: 32, access: 'rw', what: 'IOVA page (31:12), address mask AM (5:0)' },
  { offset: REG_IOTLB, name: 'IOTLB', width: 32, access: 'mixed', what: 'bit 31 IVT (go), IIRG 29:28, IAIG 26:25 (ro), device id 15:0' },
];

export function faultRecordRegisters(index: number): RegisterSpec[] {
  const base = REG_FRCD + index * FRCD_STRIDE;
  const n = `FRCD${index}`;
  return [
    { offset: base, name: `${n}.FI`, width: 32, access: 'ro', what: 'faulting IOVA page (31:12)' },
    { offset: base + 4, name: `${n}.FIH`, width: 32, access: 'ro', what: 'reads 0 (upper IOVA bits of VT-d)' },
    { offset: base + 8, name: `${n}.SID`, width: 32, access: 'ro', what: 'device id (15:0)' },
    { offset: base + 12, name: `${n}.STAT`, width: 32, access: 'mixed', what: 'bit 31 F (rw1c), bit 30 T (1 = read), FR 7:0 (reason)' },
  ];
}

export function registerTable(faultRecords: number): RegisterSpec[] {
  const out = [...REGISTERS];
  for (let i = 0; i < faultRecords; i++) out.push(...faultRecordRegisters(i));
  return out;
}

/**
 * Fault reasons (FR). The numbers are VT-d's legacy-mode reasons where one fits; 0x0F, which
 * VT-d's legacy list (1h-Eh) leaves unused, is ours for a page-table entry whose P bit is clear,
 * since VT-d has no P bit and would report such a page as a permission fault.
 */
export const FaultReason = {
  DEVICE_NOT_PRESENT: 0x02, // VT-d: context entry P clear
  DEVICE_ENTRY_INVALID: 0x03, // VT-d: invalid programming of a context entry (reserved TT)
  ADDRESS_BEYOND_WIDTH: 0x04, // VT-d: input address above the guest address width
  WRITE_DENIED: 0x05,
  READ_DENIED: 0x06,
  PAGE_TABLE_NOT_RAM: 0x07, // VT-d: failure to access a paging entry
  DEVICE_TABLE_NOT_RAM: 0x09, // VT-d: failure to access a context entry
  OUTPUT_NOT_RAM: 0x0e, // VT-d: output address in the interrupt range; here: not RAM at all
  PAGE_NOT_PRESENT: 0x0f,
} as const;
export type FaultReasonCode = (typeof FaultReason)[keyof typeof FaultReason];

const REASON_TEXT: Record<number, string> = {
  0x02: 'device entry not present',
  0x03: 'device entry has a reserved translation type',
  0x04: 'IOVA beyond 32 bits',
  0x05: 'write not permitted',
  0x06: 'read not permitted',
  0x07: 'page directory or page table outside RAM',
  0x09: 'device table outside RAM',
  0x0e: 'translated address is not RAM',
  0x0f: 'page not present',
};

export function reasonText(reason: number): string {
  return REASON_TEXT[reason] ?? `reason 0x${reason.toString(16)}`;
}
