/**
 * Guest-physical address space: RAM from 0, a boot ROM just below 4 GiB, and everything else
 * unbacked, so that an access there is an MMIO exit (the EPT-violation path of design §3).
 *
 * RAM lives at offset 0 of a fixed-size `WebAssembly.Memory` so that compiled guest code
 * (vmm/cpu/jit-*.ts, docs/jit.md) addresses it directly. Above RAM the same memory holds the
 * vCPU state that compiled code reads and writes (registers, lazy flags, TLBs, the code-line
 * map; layout in vmm/cpu/jit-state.ts). The memory is never grown, so every view stays valid.
 */
import { CODE_LINE_SHIFT, S_CODEMAP, STATE_BYTES } from './cpu/jit-state.js';

export const ROM_SIZE = 0x10000;
export const ROM_BASE = 0xffff0000;
/** x86's reset vector: the last 16 bytes of the ROM. */
export const RESET_VECTOR = 0xfffffff0;
/** RAM may not reach into the window where the MMIO devices and the ROM live. */
export const MAX_RAM = 0xc0000000;
export const MIN_RAM = 0x10000;

export class MemoryLayoutError extends Error {}

/**
 * Memories given back by guests that are done (GuestMemory.release), by size in 64 KiB pages,
 * reused by the next guest of the thread after zeroing: the first touch of each page of a new
 * memory is a page fault, and on this machine (a VM itself, so two levels of faults) touching
 * 20 MiB of a new memory took 60 ms against 14 ms for zeroing a used 65 MiB one and touching the
 * same. A paper sweep boots 135 guests of 64 MiB, each touching 10-20 MiB. A zeroed memory is
 * indistinguishable from a new one, so reuse changes no result.
 */
const spare = new Map<number, WebAssembly.Memory[]>();
const SPARE_PER_SIZE = 2;

export class GuestMemory {
  readonly ram: Uint8Array;
  readonly ram16: Uint16Array;
  readonly ram32: Int32Array;
  readonly rom: Uint8Array;
  readonly rom32: Int32Array;
  readonly romBase = ROM_BASE;
  /** Backing store of RAM (offset 0) and of the vCPU state (offset ramSize). */
  readonly wasm: WebAssembly.Memory;
  /** The whole backing buffer, including the state area above RAM. */
  readonly buffer: ArrayBuffer;
  /**
   * The code-line map in the state area (jit-state.ts): one byte per 128 bytes of RAM, non-zero
   * where compiled code was made from. The vCPU's stores and `written` both check it.
   */
  readonly codeMap: Uint8Array;
  /**
   * Told of each code line that a writer outside the vCPU changed (the vCPU's compiler drops
   * the code made from it). Set by the vCPU; one vCPU per memory (its registers live here too).
   */
  onCodeWrite: ((pa: number) => void) | null = null;

  constructor(readonly ramSize: number) {
    if (!Number.isInteger(ramSize) || ramSize < MIN_RAM || ramSize > MAX_RAM || ramSize % 4096 !== 0) {
      throw new MemoryLayoutError(
        `RAM size ${ramSize} must be a multiple of 4 KiB between ${MIN_RAM} and ${MAX_RAM} bytes`);
    }
    const pages = Math.ceil((ramSize + STATE_BYTES(ramSize)) / 65536);
    const reused = spare.get(pages)?.pop();
    if (reused !== undefined) new Uint8Array(reused.buffer).fill(0);
    this.wasm = reused ?? new WebAssembly.Memory({ initial: pages, maximum: pages });
    const buf = this.wasm.buffer;
    this.buffer = buf;
    // Views cover RAM only: code that sizes guest memory by `ram.length` keeps seeing RAM.
    this.ram = new Uint8Array(buf, 0, ramSize);
    this.ram16 = new Uint16Array(buf, 0, ramSize >>> 1);
    this.ram32 = new Int32Array(buf, 0, ramSize >>> 2);
    this.rom = new Uint8Array(ROM_SIZE);
    this.rom32 = new Int32Array(this.rom.buffer);
    this.codeMap = new Uint8Array(buf, ramSize + S_CODEMAP, ramSize >>> CODE_LINE_SHIFT);
  }

  private released = false;

  /**
   * Gives the memory back for the next guest of this thread to reuse (zeroed). Only the owner
   * of a guest that is done calls it (the experiment's runPoint): nothing may read or write
   * this memory, or run its vCPU, afterwards.
   */
  release(): void {
    if (this.released) return;
    this.released = true;
    const pages = this.wasm.buffer.byteLength / 65536;
    const list = spare.get(pages) ?? [];
    if (list.length < SPARE_PER_SIZE) list.push(this.wasm);
    spare.set(pages, list);
  }

  /**
   * Every writer of RAM other than the vCPU (device DMA, hypercall and module responses, image
   * and boot-information loaders) reports the range it changed here, after writing, before the
   * vCPU runs again: compiled code made from those bytes is dropped, as QEMU's memory API does
   * for DMA. The vCPU's own stores report themselves (mmu.ts). A writer that skips this leaves
   * stale compiled code behind; `VAMOS_JIT_AUDIT=1` (on in the test suite) checks every region
   * against RAM at each run and fails loudly on such a write (docs/jit.md, "Invalidation").
   */
  written(pa: number, len: number): void {
    if (this.onCodeWrite === null || len <= 0) return;
    const m = this.codeMap;
    const first = Math.max(0, pa) >>> CODE_LINE_SHIFT;
    const last = Math.min(this.ramSize, pa + len) - 1;
    if (last < 0) return;
    for (let l = first; l <= last >>> CODE_LINE_SHIFT; l++) if (m[l] !== 0) this.onCodeWrite(l << CODE_LINE_SHIFT);
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
