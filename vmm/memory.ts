/**
 * Guest-physical address space: RAM from 0, a boot ROM just below 4 GiB, and everything else
 * unbacked, so that an access there is an MMIO exit (the EPT-violation path of design §3).
 */
export const ROM_SIZE = 0x10000;
export const ROM_BASE = 0xffff0000;
/** x86's reset vector: the last 16 bytes of the ROM. */
export const RESET_VECTOR = 0xfffffff0;
/** RAM may not reach into the window where the MMIO devices and the ROM live. */
export const MAX_RAM = 0xc0000000;
export const MIN_RAM = 0x10000;

export class MemoryLayoutError extends Error {}

export class GuestMemory {
  readonly ram: Uint8Array;
  readonly ram16: Uint16Array;
  readonly ram32: Int32Array;
  readonly rom: Uint8Array;
  readonly rom32: Int32Array;
  readonly romBase = ROM_BASE;

  constructor(readonly ramSize: number) {
    if (!Number.isInteger(ramSize) || ramSize < MIN_RAM || ramSize > MAX_RAM || ramSize % 4096 !== 0) {
      throw new MemoryLayoutError(
        `RAM size ${ramSize} must be a multiple of 4 KiB between ${MIN_RAM} and ${MAX_RAM} bytes`);
    }
    const buf = new ArrayBuffer(ramSize);
    this.ram = new Uint8Array(buf);
    this.ram16 = new Uint16Array(buf);
    this.ram32 = new Int32Array(buf);
    this.rom = new Uint8Array(ROM_SIZE);
    this.rom32 = new Int32Array(this.rom.buffer);
  }

  /** True when [pa, pa+len) is entirely RAM. */
  isRam(pa: number, len: number): boolean {
    return pa >= 0 && len >= 0 && pa + len <= this.ramSize;
  }

  /** Writes firmware bytes into the ROM (the guest itself cannot: its ROM writes are discarded). */
  writeRom(pa: number, bytes: Uint8Array): void {
    if (!this.isRom(pa, bytes.length)) {
      throw new MemoryLayoutError(`firmware bytes at 0x${pa.toString(16)}+${bytes.length} fall outside the boot ROM`);
    }
    this.rom.set(bytes, pa - this.romBase);
  }

  /** True when [pa, pa+len) is entirely ROM. */
  isRom(pa: number, len: number): boolean {
    return pa >= this.romBase && pa + len <= this.romBase + ROM_SIZE;
  }
}
