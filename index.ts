/**
 * The vamos package's library entry: the pieces a program embedding the VMM needs. The device
 * testing kit is the separate entry `vamos/testing`.
 */
export { Vm, type VmOptions, type RunResult, type StopReason } from './vmm/vm.js';
export { Vcpu } from './vmm/cpu/cpu.js';
export type { VmExit, ExitReason } from './vmm/exits.js';
export { EXIT_REASONS } from './vmm/exits.js';
export { GuestMemory } from './vmm/memory.js';
export { Bus, type BusDevice } from './vmm/bus.js';
export { VirtualClock } from './vmm/clock.js';
export { loadProfile, type CostProfile } from './vmm/profile.js';
export { ExitStats, formatPerfKvmStat } from './vmm/stats.js';
export { HypercallTable } from './vmm/hypercalls.js';
export { ISA, type InsnDef } from './vmm/isa/table.js';
export { encode, decode } from './vmm/isa/encoding.js';
export { assemble } from './toolchain/as/assemble.js';
export { readImage } from './toolchain/image/read.js';
export { writeImage } from './toolchain/image/write.js';
export type { Image } from './toolchain/image/format.js';
export { bootRom } from './firmware/build.js';
export { defaultGuest } from './guest-os/build.js';
