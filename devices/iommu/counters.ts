/**
 * What the IOMMU did, in numbers the cost model and the benchmarks charge and report. Plain
 * mutable fields so the hot path pays one increment per event.
 */
export interface IommuCounters {
  /** Pages translated while translation was enabled (one access may translate several). */
  translations: number;
  iotlbHits: number;
  /** Includes hits whose cached permissions did not allow the access (they re-walk). */
  iotlbMisses: number;
  iotlbEvictions: number;
  pageWalks: number;
  /** Guest-memory reads made by page walks: 1 per device entry, 1 per directory/table entry. */
  tableReads: number;
  /** DMA accesses made while translation was disabled (pass-through, nothing translated). */
  untranslatedAccesses: number;
  invalidationsPage: number;
  invalidationsDevice: number;
  invalidationsGlobal: number;
  /** Invalidation commands refused (bad granularity, device id or address mask). */
  invalidationsRejected: number;
  iotlbEntriesInvalidated: number;
  faults: number;
  /** Faults not recorded because the fault-record ring was full (PFO). */
  faultsDropped: number;
  faultInterrupts: number;
  /** MMIO accesses that were not aligned 32-bit (reads served, writes ignored). */
  narrowAccesses: number;
}

export function newCounters(): IommuCounters {
  return {
    translations: 0,
    iotlbHits: 0,
    iotlbMisses: 0,
    iotlbEvictions: 0,
    pageWalks: 0,
    tableReads: 0,
    untranslatedAccesses: 0,
    invalidationsPage: 0,
    invalidationsDevice: 0,
    invalidationsGlobal: 0,
    invalidationsRejected: 0,
    iotlbEntriesInvalidated: 0,
    faults: 0,
    faultsDropped: 0,
    faultInterrupts: 0,
    narrowAccesses: 0,
  };
}
