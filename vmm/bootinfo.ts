/**
 * The boot-information block (v2) that the VMM leaves for a directly loaded kernel, and the
 * firmware fills itself when it loads the kernel from disk; the kernel finds it in ebx, with
 * BOOT_MAGIC in eax, in the spirit of multiboot. Layout: struct boot_info of
 * guest-os/include/platform.h; docs/boot.md. Fields 0x00-0x14 are those of v1, unchanged.
 */
import type { GuestMemory } from './memory.js';
import {
  BOOT_CMDLINE_ADDR, BOOT_CMDLINE_MAX, BOOT_DEVICE_SIZE, BOOT_INFO_ADDR as INFO_ADDR, BOOT_INFO_OFFSETS,
  BOOT_INFO_SIZE, BOOT_MAGIC as MAGIC, BOOT_MAX_DEVICES, BOOT_MAX_MEMMAP, BOOT_MEMMAP_SIZE, BOOT_NO_DEVICE,
  MEMMAP_RESERVED, MEMMAP_USABLE,
} from './platform.js';

export const BOOT_INFO_ADDR = INFO_ADDR;
export const BOOT_MAGIC = MAGIC;
export const CMDLINE_ADDR = BOOT_CMDLINE_ADDR;
export const CMDLINE_MAX = BOOT_CMDLINE_MAX;
/** The firmware's stack grows down from here, below the boot-information page. */
export const FIRMWARE_STACK_TOP = 0x7000;
/** Kernels load at or above 1 MiB; everything below belongs to firmware and boot data. */
export const KERNEL_MIN_ADDR = 0x100000;

/** v1 field names (still exported for older callers); BOOT_INFO_OFFSETS has them all. */
export const BOOT_INFO = {
  magic: 0x00,
  memSize: 0x04,
  cmdline: 0x08,
  cmdlineLen: 0x0c,
  kernelEntry: 0x10,
  kernelEnd: 0x14,
} as const;

export interface MemmapEntry {
  base: number;
  length: number;
  /** MEMMAP_USABLE or MEMMAP_RESERVED. */
  type: number;
}

export interface BootDevice {
  mmioBase: number;
  mmioSize: number;
  irq: number;
  /** virtio device id (1 net, 2 block). */
  virtioId: number;
  /** The device's IOMMU source id (its slot). */
  sourceId: number;
}

export interface BootInfo {
  memSize: number;
  cmdline: string;
  kernelEntry: number;
  /** First byte above the loaded kernel: where the kernel may start allocating. */
  kernelEnd: number;
  /** Index into `devices` of the disk booted from; BOOT_NO_DEVICE (the default) for a direct boot. */
  bootDevice?: number;
  devices?: readonly BootDevice[];
  /** 0 (the default): no IOMMU. */
  iommuBase?: number;
  iommuIrq?: number;
  /** Defaults to the standard map of `standardMemmap(memSize)`. */
  memmap?: readonly MemmapEntry[];
}

export class BootInfoError extends Error {}

/** The first megabyte reserved (firmware, boot data), the rest usable. */
export function standardMemmap(memSize: number): MemmapEntry[] {
  return [
    { base: 0, length: Math.min(memSize, KERNEL_MIN_ADDR), type: MEMMAP_RESERVED },
    ...(memSize > KERNEL_MIN_ADDR ? [{ base: KERNEL_MIN_ADDR, length: memSize - KERNEL_MIN_ADDR, type: MEMMAP_USABLE }] : []),
  ];
}

/** bits 15:0 the virtio device id, bits 31:16 the IOMMU source id. */
export function deviceKind(d: Pick<BootDevice, 'virtioId' | 'sourceId'>): number {
  return ((d.virtioId & 0xffff) | ((d.sourceId & 0xffff) << 16)) >>> 0;
}

export function writeBootInfo(mem: GuestMemory, info: BootInfo): void {
  const cmd = new TextEncoder().encode(info.cmdline);
  if (cmd.length >= CMDLINE_MAX) throw new BootInfoError(`command line is ${cmd.length} bytes; at most ${CMDLINE_MAX - 1} fit`);
  const devices = info.devices ?? [];
  const memmap = info.memmap ?? standardMemmap(info.memSize);
  if (devices.length > BOOT_MAX_DEVICES) throw new BootInfoError(`${devices.length} devices; the boot-information block has room for ${BOOT_MAX_DEVICES}`);
  if (memmap.length > BOOT_MAX_MEMMAP) throw new BootInfoError(`${memmap.length} memory-map entries; the boot-information block has room for ${BOOT_MAX_MEMMAP}`);
  const o = BOOT_INFO_OFFSETS;
  const dv = new DataView(mem.ram.buffer, mem.ram.byteOffset, mem.ram.byteLength);
  mem.ram.fill(0, BOOT_INFO_ADDR, BOOT_INFO_ADDR + BOOT_INFO_SIZE);
  const put = (off: number, v: number): void => dv.setUint32(BOOT_INFO_ADDR + off, v >>> 0, true);
  put(o.magic, BOOT_MAGIC);
  put(o.mem_size, info.memSize);
  put(o.cmdline, CMDLINE_ADDR);
  put(o.cmdline_len, cmd.length);
  put(o.kernel_entry, info.kernelEntry);
  put(o.kernel_end, info.kernelEnd);
  put(o.boot_device, info.bootDevice ?? BOOT_NO_DEVICE);
  put(o.device_count, devices.length);
  put(o.iommu_base, info.iommuBase ?? 0);
  put(o.iommu_irq, info.iommuBase ? (info.iommuIrq ?? 0) : 0);
  put(o.memmap_count, memmap.length);
  memmap.forEach((m, i) => {
    const at = o.memmap + i * BOOT_MEMMAP_SIZE;
    put(at, m.base);
    put(at + 4, m.length);
    put(at + 8, m.type);
  });
  devices.forEach((d, i) => {
    const at = o.devices + i * BOOT_DEVICE_SIZE;
    put(at, d.mmioBase);
    put(at + 4, d.mmioSize);
    put(at + 8, d.irq);
    put(at + 12, deviceKind(d));
  });
  mem.ram.set(cmd, CMDLINE_ADDR);
  mem.ram[CMDLINE_ADDR + cmd.length] = 0;
  mem.written(BOOT_INFO_ADDR, BOOT_INFO_SIZE);
  mem.written(CMDLINE_ADDR, cmd.length + 1);
}

/** What a block in guest memory says (tests, debugging); undefined when the magic is missing. */
export interface DecodedBootInfo {
  magic: number;
  memSize: number;
  cmdlineAddr: number;
  cmdline: string;
  kernelEntry: number;
  kernelEnd: number;
  bootDevice: number;
  iommuBase: number;
  iommuIrq: number;
  memmap: MemmapEntry[];
  devices: BootDevice[];
}

export function readBootInfo(mem: GuestMemory, at = BOOT_INFO_ADDR): DecodedBootInfo | undefined {
  const dv = new DataView(mem.ram.buffer, mem.ram.byteOffset, mem.ram.byteLength);
  const get = (off: number): number => dv.getUint32(at + off, true);
  const o = BOOT_INFO_OFFSETS;
  if (get(o.magic) !== BOOT_MAGIC) return undefined;
  const cmdAddr = get(o.cmdline);
  const cmdLen = Math.min(get(o.cmdline_len), CMDLINE_MAX);
  const memmap: MemmapEntry[] = [];
  for (let i = 0; i < Math.min(get(o.memmap_count), BOOT_MAX_MEMMAP); i++) {
    const a = o.memmap + i * BOOT_MEMMAP_SIZE;
    memmap.push({ base: get(a), length: get(a + 4), type: get(a + 8) });
  }
  const devices: BootDevice[] = [];
  for (let i = 0; i < Math.min(get(o.device_count), BOOT_MAX_DEVICES); i++) {
    const a = o.devices + i * BOOT_DEVICE_SIZE;
    const kind = get(a + 12);
    devices.push({ mmioBase: get(a), mmioSize: get(a + 4), irq: get(a + 8), virtioId: kind & 0xffff, sourceId: kind >>> 16 });
  }
  return {
    magic: get(o.magic), memSize: get(o.mem_size), cmdlineAddr: cmdAddr,
    cmdline: cmdAddr + cmdLen <= mem.ram.length ? new TextDecoder().decode(mem.ram.subarray(cmdAddr, cmdAddr + cmdLen)) : '',
    kernelEntry: get(o.kernel_entry), kernelEnd: get(o.kernel_end), bootDevice: get(o.boot_device),
    iommuBase: get(o.iommu_base), iommuIrq: get(o.iommu_irq), memmap, devices,
  };
}
