/**
 * Guest memory access as the vCPU sees it: two-level x86 paging (non-PAE, 4 KiB pages) with a
 * direct-mapped TLB per privilege level, and the split between RAM/ROM (plain array access) and
 * everything else (an MMIO exit). Faults and exits leave the instruction by throwing; the run
 * loop catches them outside its hot path.
 */
import type { AccessSize, VmExit } from '../exits.js';
import type { GuestMemory } from '../memory.js';
import { LazyFlags } from './flags.js';
import { CODE_LINE_SHIFT, S_REGS, S_TLB_KERNEL, S_TLB_USER, TLB_FRAME, TLB_READ, TLB_WRITE } from './jit-state.js';

export const VEC = { DE: 0, UD: 6, DF: 8, GP: 13, PF: 14 } as const;

/** An architectural exception raised by the instruction in progress. */
export class GuestFault {
  constructor(readonly vector: number, readonly error: number) {}
}

/** The instruction needs the VMM (an MMIO access); it restarts after the exit is handled. */
export class ExitSignal {
  constructor(readonly exit: VmExit) {}
}

/** The VM cannot go on (triple fault, fetch from unbacked memory). */
export class ShutdownSignal {
  constructor(readonly cause: string) {}
}

export const CR0_PG = 0x80000000 | 0;
export const CR0_WP = 1 << 16;
const PTE_P = 1, PTE_RW = 2, PTE_US = 4, PTE_A = 0x20, PTE_D = 0x40;
const PF_P = 1, PF_W = 2, PF_U = 4, PF_I = 16;

export const TLB_SIZE = 256;

/**
 * One direct-mapped TLB: a slot holds the virtual page number it maps (-1: empty). Its arrays
 * live in the guest memory's state area, where compiled code looks them up inline.
 */
class Tlb {
  readonly read: Int32Array;
  /** Tag present only when writes are allowed and the dirty bit is already set. */
  readonly write: Int32Array;
  readonly frame: Int32Array;

  constructor(buf: ArrayBuffer, at: number) {
    this.read = new Int32Array(buf, at + TLB_READ, TLB_SIZE).fill(-1);
    this.write = new Int32Array(buf, at + TLB_WRITE, TLB_SIZE).fill(-1);
    this.frame = new Int32Array(buf, at + TLB_FRAME, TLB_SIZE);
  }

  flush(): void {
    this.read.fill(-1);
    this.write.fill(-1);
  }
}

export class Mmu extends LazyFlags {
  /** The register file, in the state area of guest memory (shared with compiled code). */
  readonly regs: Int32Array;
  cpl = 0;
  cr0 = 0;
  cr2 = 0;
  cr3 = 0;
  paging = false;
  /** The interpreter's cached code page (see codegen.ts); 1 means none. */
  cpage = 1;

  readonly ram: Uint8Array;
  readonly ram16: Uint16Array;
  readonly ram32: Int32Array;
  readonly ramSize: number;

  private readonly kernelTlb: Tlb;
  private readonly userTlb: Tlb;
  /** The TLB of the current privilege level. */
  protected tlb: Tlb;
  /**
   * One byte per 128-byte line of RAM: non-zero when compiled code was made from the line.
   * Every store checks it and reports a hit to `codeWritten` (the JIT drops that code).
   */
  readonly codeMap: Uint8Array;
  /** Called on a store to a line marked in codeMap (set by the JIT). */
  codeWritten: (pa: number) => void = () => {};
  tlbMisses = 0;

  /**
   * Completed MMIO accesses of the instruction being restarted: read values, or 0 for writes
   * already carried out. A restarted instruction consumes them in order instead of exiting again.
   */
  protected readonly replay: number[] = [];
  protected replayPos = 0;

  constructor(readonly mem: GuestMemory) {
    super();
    this.ram = mem.ram;
    this.ram16 = mem.ram16;
    this.ram32 = mem.ram32;
    this.ramSize = mem.ramSize;
    const state = mem.ramSize;
    this.regs = new Int32Array(mem.buffer, state + S_REGS, 8);
    this.kernelTlb = new Tlb(mem.buffer, state + S_TLB_KERNEL);
    this.userTlb = new Tlb(mem.buffer, state + S_TLB_USER);
    this.tlb = this.kernelTlb;
    this.codeMap = mem.codeMap;
    // Writers outside the vCPU (DMA, loaders) report to the same hook as the vCPU's stores.
    mem.onCodeWrite = (pa) => { this.codeWritten(pa); };
  }

  /** A store is about to change RAM at [pa, pa+size): drop compiled code made from it. */
  protected noteStore(pa: number, size: number): void {
    const a = pa >>> CODE_LINE_SHIFT, b = (pa + size - 1) >>> CODE_LINE_SHIFT;
    if (this.codeMap[a] !== 0) this.codeWritten(pa);
    if (b !== a && b < this.codeMap.length && this.codeMap[b] !== 0) this.codeWritten(pa + size - 1);
  }

  protected setCpl(cpl: number): void {
    this.cpage = 1;
    this.cpl = cpl;
    this.tlb = cpl === 0 ? this.kernelTlb : this.userTlb;
  }

  flushTlb(): void {
    this.cpage = 1;
    this.kernelTlb.flush();
    this.userTlb.flush();
  }

  invlpg(va: number): void {
    this.cpage = 1;
    const vpn = va >>> 12;
    for (const t of [this.kernelTlb, this.userTlb]) {
      const s = vpn & (TLB_SIZE - 1);
      if (t.read[s] === vpn) { t.read[s] = -1; t.write[s] = -1; }
    }
  }

  ud(): never {
    throw new GuestFault(VEC.UD, 0);
  }

  gp(error: number): never {
    throw new GuestFault(VEC.GP, error);
  }

  private pageFault(va: number, error: number): never {
    this.cr2 = va | 0;
    throw new GuestFault(VEC.PF, error);
  }

  /** Page-table entries live in RAM; a walk that leaves RAM reads "not present". */
  private readPte(pa: number): number {
    return pa + 4 <= this.ramSize ? this.ram32[pa >>> 2] : 0;
  }

  /**
   * Walks the page tables for `va`, sets accessed/dirty bits, fills the TLB and returns the
   * physical address. `supervisor` forces a ring-0 access (IDT reads, interrupt frames).
   */
  walk(va: number, write: boolean, fetch: boolean, supervisor = false): number {
    this.tlbMisses++;
    const user = this.cpl === 3 && !supervisor;
    const err = (write ? PF_W : 0) | (user ? PF_U : 0) | (fetch ? PF_I : 0);
    const pdeAddr = ((this.cr3 & ~0xfff) + ((va >>> 22) << 2)) >>> 0;
    const pde = this.readPte(pdeAddr);
    if (!(pde & PTE_P)) this.pageFault(va, err);
    const pteAddr = ((pde & ~0xfff) + (((va >>> 12) & 0x3ff) << 2)) >>> 0;
    const pte = this.readPte(pteAddr);
    if (!(pte & PTE_P)) this.pageFault(va, err);
    const both = pde & pte;
    if (user && !(both & PTE_US)) this.pageFault(va, err | PF_P);
    const writable = (both & PTE_RW) !== 0 || (!user && !(this.cr0 & CR0_WP));
    if (write && !writable) this.pageFault(va, err | PF_P);
    if (!(pde & PTE_A)) { this.noteStore(pdeAddr, 4); this.ram32[pdeAddr >>> 2] = pde | PTE_A; }
    const newPte = pte | PTE_A | (write ? PTE_D : 0);
    if (newPte !== pte) { this.noteStore(pteAddr, 4); this.ram32[pteAddr >>> 2] = newPte; }
    const frame = pte & ~0xfff;
    if (!supervisor || this.cpl === 0) {
      const vpn = va >>> 12, s = vpn & (TLB_SIZE - 1), t = this.tlb;
      t.read[s] = vpn;
      t.frame[s] = frame;
      t.write[s] = writable && newPte & PTE_D ? vpn : -1;
    }
    return ((frame | (va & 0xfff)) >>> 0);
  }

  /**
   * The TLB refill that compiled code calls on a miss (jit-emit.ts `translate`): when the walk
   * for `va` would succeed, walks (exactly as the access in the interpreter would: tlbMisses,
   * accessed/dirty bits, the TLB slot) and returns 1; when it would fault, or would set an
   * accessed or dirty bit in a line holding compiled code (which must be dropped outside
   * compiled code), changes nothing and returns 0, and the interpreter runs the instruction.
   */
  refill(va: number, write: number): number {
    const user = this.cpl === 3;
    const pdeAddr = ((this.cr3 & ~0xfff) + ((va >>> 22) << 2)) >>> 0;
    const pde = this.readPte(pdeAddr);
    if (!(pde & PTE_P)) return 0;
    const pteAddr = ((pde & ~0xfff) + (((va >>> 12) & 0x3ff) << 2)) >>> 0;
    const pte = this.readPte(pteAddr);
    if (!(pte & PTE_P)) return 0;
    const both = pde & pte;
    if (user && !(both & PTE_US)) return 0;
    if (write !== 0 && !(both & PTE_RW) && (user || (this.cr0 & CR0_WP) !== 0)) return 0;
    if (!(pde & PTE_A) && this.codeMap[pdeAddr >>> CODE_LINE_SHIFT] !== 0) return 0;
    const newPte = pte | PTE_A | (write !== 0 ? PTE_D : 0);
    if (newPte !== pte && this.codeMap[pteAddr >>> CODE_LINE_SHIFT] !== 0) return 0;
    this.walk(va >>> 0, write !== 0, false);
    return 1;
  }

  protected translateRead(va: number): number {
    if (!this.paging) return va;
    const vpn = va >>> 12, s = vpn & (TLB_SIZE - 1), t = this.tlb;
    return t.read[s] === vpn ? ((t.frame[s] | (va & 0xfff)) >>> 0) : this.walk(va, false, false);
  }

  protected translateWrite(va: number): number {
    if (!this.paging) return va;
    const vpn = va >>> 12, s = vpn & (TLB_SIZE - 1), t = this.tlb;
    return t.write[s] === vpn ? ((t.frame[s] | (va & 0xfff)) >>> 0) : this.walk(va, true, false);
  }

  ld32(va: number): number {
    const pa = this.translateRead(va);
    if ((pa & 3) === 0 && pa < this.ramSize) return this.ram32[pa >>> 2];
    return this.loadSlow(va, pa, 4);
  }

  ld16(va: number): number {
    const pa = this.translateRead(va);
    if ((pa & 1) === 0 && pa < this.ramSize) return this.ram16[pa >>> 1];
    return this.loadSlow(va, pa, 2);
  }

  ld8(va: number): number {
    const pa = this.translateRead(va);
    if (pa < this.ramSize) return this.ram[pa];
    return this.loadSlow(va, pa, 1);
  }

  st32(va: number, v: number): void {
    const pa = this.translateWrite(va);
    if ((pa & 3) === 0 && pa < this.ramSize) {
      if (this.codeMap[pa >>> CODE_LINE_SHIFT] !== 0) this.codeWritten(pa);
      this.ram32[pa >>> 2] = v;
      return;
    }
    this.storeSlow(va, pa, 4, v);
  }

  st16(va: number, v: number): void {
    const pa = this.translateWrite(va);
    if ((pa & 1) === 0 && pa < this.ramSize) {
      if (this.codeMap[pa >>> CODE_LINE_SHIFT] !== 0) this.codeWritten(pa);
      this.ram16[pa >>> 1] = v;
      return;
    }
    this.storeSlow(va, pa, 2, v);
  }

  st8(va: number, v: number): void {
    const pa = this.translateWrite(va);
    if (pa < this.ramSize) {
      if (this.codeMap[pa >>> CODE_LINE_SHIFT] !== 0) this.codeWritten(pa);
      this.ram[pa] = v;
      return;
    }
    this.storeSlow(va, pa, 1, v);
  }

  push(v: number): void {
    const sp = (this.regs[4] - 4) >>> 0;
    this.st32(sp, v);
    this.regs[4] = sp;
  }

  /** Unaligned, page-crossing, ROM and MMIO loads. */
  private loadSlow(va: number, pa: number, size: AccessSize): number {
    if (this.paging && (va & 0xfff) + size > 0x1000) {
      // Each byte may live on a different page (and fault there, with CR2 pointing at it).
      let v = 0;
      for (let k = 0; k < size; k++) v |= this.ld8((va + k) >>> 0) << (8 * k);
      return size === 4 ? v | 0 : v;
    }
    if (pa + size <= this.ramSize) return this.readBytes(this.ram, pa, size);
    const m = this.mem;
    if (m.isRom(pa, size)) return this.readBytes(m.rom, pa - m.romBase, size);
    return this.mmioRead(pa, size);
  }

  private storeSlow(va: number, pa: number, size: AccessSize, v: number): void {
    if (this.paging && (va & 0xfff) + size > 0x1000) {
      // Translate every byte first so that a fault on the second page writes nothing.
      const pas: number[] = [];
      for (let k = 0; k < size; k++) pas.push(this.translateWrite((va + k) >>> 0));
      if (pas.every((p) => p < this.ramSize)) {
        pas.forEach((p, k) => { this.noteStore(p, 1); this.ram[p] = v >>> (8 * k); });
        return;
      }
      for (let k = 0; k < size; k++) this.st8((va + k) >>> 0, v >>> (8 * k));
      return;
    }
    if (pa + size <= this.ramSize) {
      this.noteStore(pa, size);
      for (let k = 0; k < size; k++) this.ram[pa + k] = v >>> (8 * k);
      return;
    }
    // ROM is read-only to the guest: like a KVM read-only memslot, a write exits to the VMM.
    this.mmioWrite(pa, size, v);
  }

  private readBytes(bytes: Uint8Array, off: number, size: AccessSize): number {
    let v = 0;
    for (let k = 0; k < size; k++) v |= bytes[off + k] << (8 * k);
    return size === 4 ? v | 0 : v;
  }

  private mmioRead(pa: number, size: AccessSize): number {
    if (this.replayPos < this.replay.length) {
      // The VMM may answer with an unsigned or wider value; the flag helpers expect a load's range.
      const v = this.replay[this.replayPos++];
      return size === 4 ? v | 0 : v & ((1 << (8 * size)) - 1);
    }
    throw new ExitSignal({ reason: 'mmio', address: pa, size, write: false, value: 0 });
  }

  private mmioWrite(pa: number, size: AccessSize, v: number): void {
    if (this.replayPos < this.replay.length) { this.replayPos++; return; }
    // The VMM carries the write out while handling the exit; the restart must not repeat it.
    this.replay.push(0);
    this.replayPos++;
    const mask = size === 4 ? 0xffffffff : (1 << (8 * size)) - 1;
    throw new ExitSignal({ reason: 'mmio', address: pa, size, write: true, value: (v & mask) >>> 0 });
  }

  /** A ring-0 read of a linear address, whatever the current ring (IDT, interrupt frames). */
  protected sysRead32(va: number): number {
    if (this.paging && (va & 0xfff) > 0xffc) return this.sysCrossing(va, false, 0);
    const pa = this.paging ? this.walk(va, false, false, true) : va;
    if (pa + 4 <= this.ramSize && (pa & 3) === 0) return this.ram32[pa >>> 2];
    if (pa + 4 <= this.ramSize) return this.readBytes(this.ram, pa, 4);
    if (this.mem.isRom(pa, 4)) return this.readBytes(this.mem.rom, pa - this.mem.romBase, 4);
    throw new ShutdownSignal(`interrupt delivery read unbacked guest-physical address 0x${pa.toString(16)}`);
  }

  protected sysWrite32(va: number, v: number): void {
    if (this.paging && (va & 0xfff) > 0xffc) { this.sysCrossing(va, true, v); return; }
    const pa = this.paging ? this.walk(va, true, false, true) : va;
    if (pa + 4 <= this.ramSize) {
      this.noteStore(pa, 4);
      for (let k = 0; k < 4; k++) this.ram[pa + k] = v >>> (8 * k);
      return;
    }
    throw new ShutdownSignal(`interrupt delivery wrote unbacked guest-physical address 0x${pa.toString(16)}`);
  }

  /**
   * A ring-0 dword access that crosses a page boundary (a misaligned esp or IDT): each byte is
   * translated through its own page, all before any is written, as for a guest store.
   */
  private sysCrossing(va: number, write: boolean, v: number): number {
    const pas: number[] = [];
    for (let k = 0; k < 4; k++) pas.push(this.walk((va + k) >>> 0, write, false, true));
    for (const pa of pas) {
      if (pa >= this.ramSize && (write || !this.mem.isRom(pa, 1))) {
        throw new ShutdownSignal(`interrupt delivery ${write ? 'wrote' : 'read'} unbacked guest-physical address 0x${pa.toString(16)}`);
      }
    }
    let r = 0;
    pas.forEach((pa, k) => {
      if (write) { this.noteStore(pa, 1); this.ram[pa] = v >>> (8 * k); }
      else r |= (pa < this.ramSize ? this.ram[pa] : this.mem.rom[pa - this.mem.romBase]) << (8 * k);
    });
    return r | 0;
  }
}
