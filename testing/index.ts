/**
 * vamos/testing: the kit for property-testing device emulation without a guest
 * (docs/testing.md). Guest memory, a driver-side virtqueue and virtio-mmio driver, arbitraries
 * for descriptor chains, and a model-based command set for virtio-blk.
 */
export { TestMemory, CountingDma, guestMemory, type TestMemoryOptions } from './memory.js';
export { MockQueue, type BufferSpec, type PlacedBuffer, type RawDescriptor, type UsedElem } from './mock-queue.js';
export { MmioDriver, type DriverInitOptions } from './driver.js';
export { BlkDriver, blkHeader, dwzSegments, type BlkResult } from './blk.js';
export { ModchanDriver, modchanHeader, type ModchanResult } from './modchan.js';
export {
  validChain, chainBuffers, malformedChain, writeMalformed, rawRing, writeRawRing, ADDR_DESC_TABLE, ADDR_INDIRECT_TABLE,
  type ValidChainSpec, type MalformedChainSpec, type RawRingSpec,
} from './arbitraries.js';
export { blkCommands, blkModel, modelSector, type BlkModel, type BlkReal, type BlkCommand } from './blk-model.js';
export { NetDriver } from './net.js';
// What a device author needs to put a new device model under test.
export { VirtioMmio, STATUS_RULES } from '../devices/virtio/mmio/transport.js';
export {
  bit, INT_CONFIG_CHANGE, INT_USED_BUFFER, STATUS_ACKNOWLEDGE, STATUS_DEVICE_NEEDS_RESET, STATUS_DRIVER, STATUS_DRIVER_OK,
  STATUS_FAILED, STATUS_FEATURES_OK, VIRTIO_F_EVENT_IDX, VIRTIO_F_INDIRECT_DESC, VIRTIO_F_VERSION_1,
  type VirtioDevice, type VirtioContext, type VirtioStats, type Popped,
} from '../devices/virtio/mmio/device.js';
export { IMMEDIATE, ClockedTiming, type ServiceTiming } from '../devices/virtio/mmio/timing.js';
export { gather, scatter } from '../devices/virtio/queue/buffers.js';
export { CHAIN_ERROR_POLICY, type ChainErrorKind, type DescriptorChain } from '../devices/virtio/queue/chain.js';
// The IOMMU: page-table builder, register driver, arbitraries and the model-based command set.
export { RW, RO, WO, IommuTableBuilder, type Perms, type DeviceMode, type TableBuilderOptions } from './iommu-tables.js';
export { IommuDriver, type DecodedFault, type MmioTarget } from './iommu-driver.js';
export * from './iommu-arbitraries.js';
export { IommuModel, modelKey, type ModelMapping } from './iommu-model.js';
export { iommuCommands, iommuModelSetup, MODEL_DEVICES, MODEL_FRAMES, type IommuCommandOptions } from './iommu-commands.js';
export { iommuBench, dataFrame, type IommuBench, type BenchOptions } from './iommu-setup.js';
export { bootOs, bootOsAsync, osMachine, osBootDisk, buildTestProgram, type OsBootOptions, type OsBootResult, type OsMachine, type OsDataDisk } from './os.js';
