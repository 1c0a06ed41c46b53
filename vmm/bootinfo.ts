/**
 * The boot-information block the VMM leaves for the firmware and the firmware hands to the
 * kernel (in ebx, with BOOT_MAGIC in eax), in the spirit of multiboot. docs/boot.md.
 */
import type { GuestMemory } from './memory.js';

export const BOOT_INFO_ADDR = 0x7000;
export const BOOT_MAGIC = 0x31494256; // "VBI1"
export const CMDLINE_ADDR = 0x7100;
export const CMDLINE_MAX = 0xf00;
/** The firmware's stack grows down from here, below the boot-information page. */
export const FIRMWARE_STACK_TOP = 0x7000;
/** Kernels load at or above 1 MiB; everything below belongs to firmware and boot data. */
export const KERNEL_MIN_ADDR = 0x100000;

export const BOOT_INFO = {
  magic: 0x00,
  memSize: 0x04,
  cmdline: 0x08,
  cmdlineLen: 0x0c,
  kernelEntry: 0x10,
  kernelEnd: 0x14,
} as const;

export interface BootInfo {
  memSize: number;
  cmdline: string;
  kernelEntry: number;
  /** First byte above the loaded kernel: where the kernel may start allocating. */
  kernelEnd: number;
}

export class BootInfoError extends Error {}

export function writeBootInfo(mem: GuestMemory, info: BootInfo): void {
  const cmd = new TextEncoder().encode(info.cmdline);
  if (cmd.length >= CMDLINE_MAX) throw new BootInfoError(`command line is ${cmd.length} bytes; at most ${CMDLINE_MAX - 1} fit`);
  const dv = new DataView(mem.ram.buffer);
  const put = (off: number, v: number): void => dv.setUint32(BOOT_INFO_ADDR + off, v >>> 0, true);
  put(BOOT_INFO.magic, BOOT_MAGIC);
  put(BOOT_INFO.memSize, info.memSize);
  put(BOOT_INFO.cmdline, CMDLINE_ADDR);
  put(BOOT_INFO.cmdlineLen, cmd.length);
  put(BOOT_INFO.kernelEntry, info.kernelEntry);
  put(BOOT_INFO.kernelEnd, info.kernelEnd);
  mem.ram.set(cmd, CMDLINE_ADDR);
  mem.ram[CMDLINE_ADDR + cmd.length] = 0;
}
