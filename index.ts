/**
 * The vamos package's library entry: what a program embedding the VMM needs (docs/api.md):
 * build guest code, create a VM with disks, network devices and device models of its own,
 * attach hypervisor-resident modules, run it, and read the exit statistics. Module authors
 * import `vamos/module`; the device testing kit is `vamos/testing`.
 */
export { Vm, DEFAULT_MEM, VmConfigError, type VmOptions, type RunResult, type StopReason, type VmDisk, type SlotDevice } from './vmm/vm.js';
export { Vcpu } from './vmm/cpu/cpu.js';
export type { VmExit, ExitReason } from './vmm/exits.js';
export { EXIT_REASONS } from './vmm/exits.js';
export { GuestMemory } from './vmm/memory.js';
export { Bus, type BusDevice } from './vmm/bus.js';
export { VirtualClock } from './vmm/clock.js';
export { loadProfile, BUILTIN_PROFILES, type CostProfile } from './vmm/profile.js';
export { ExitStats, formatPerfKvmStat } from './vmm/stats.js';
export { HypercallTable, HC_ERR, type HypercallArgs, type HypercallResult } from './vmm/hypercalls.js';
export { slotBase, slotIrq, VIRTIO_MMIO_SLOTS, VIRTIO_MMIO_STRIDE } from './vmm/platform.js';
export { ISA, type InsnDef } from './vmm/isa/table.js';
export { encode, decode } from './vmm/isa/encoding.js';
// Building guest code.
export { assemble } from './toolchain/as/assemble.js';
export { build as buildProgram, type BuildOptions, type SourceInput } from './toolchain/cc/driver.js';
export { readImage } from './toolchain/image/read.js';
export { writeImage } from './toolchain/image/write.js';
export type { Image } from './toolchain/image/format.js';
export { bootRom } from './firmware/build.js';
export { defaultGuest } from './guest-os/build.js';
// Devices: disk and network backends, and the contract a device model of one's own implements.
export { MemoryBackend, type BlockBackend } from './devices/virtio/blk/backend.js';
export { FileBackend } from './devices/virtio/blk/file-backend.js';
export type { NetBackend } from './devices/virtio/net/backend.js';
export type { VirtioDevice, VirtioContext, VirtioStats, Popped } from './devices/virtio/mmio/device.js';
export { gather, scatter } from './devices/virtio/queue/buffers.js';
// Hypervisor-resident modules on a VM (the author's side is vamos/module).
export { ModuleRegistry, type ModuleCallStats } from './middleware/host/registry.js';
export { loadModule, parseModuleSpec, type ModuleSpec } from './middleware/host/load.js';
export type { HypervisorModule, ModuleEnv, ModuleResult } from './middleware/host/module.js';
