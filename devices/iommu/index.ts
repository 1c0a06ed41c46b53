export { Iommu, type IommuOptions } from './iommu.js';
export { IommuDma, IommuFault } from './iommu-dma.js';
export { Iotlb, iotlbKey } from './iotlb.js';
export { FaultLog, type FaultRecord } from './faults.js';
export { newCounters, type IommuCounters } from './counters.js';
export * from './registers.js';
export * from './tables.js';
