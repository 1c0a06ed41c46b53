/**
 * Test harness for the vCPU: a small machine (guest memory + Vcpu) with helpers to load code,
 * set up state, build page tables and an IDT in guest memory, and read results back.
 *
 * Default physical layout (1 MiB of RAM), chosen so that the pieces never overlap:
 *   0x01000  IDT (256 gates × 8 bytes)
 *   0x02000  trap stubs (one `hlt` per vector, 4 bytes apart)
 *   0x10000  code          0x40000  data
 *   0x6f000  kernel stack (top 0x70000)      0x7f000  stack (top 0x80000)
 *   0x80000  page directory, then page tables allocated upwards
 */
import { GuestMemory } from '../../vmm/memory.js';
import { Vcpu } from '../../vmm/cpu/cpu.js';
import type { CpuMode } from '../../vmm/cpu/jit.js';
import { EFLAGS } from '../../vmm/cpu/flags.js';
import { CR0_PG, CR0_WP } from '../../vmm/cpu/mmu.js';
import { REGISTERS } from '../../vmm/isa/table.js';
import type { VmExit } from '../../vmm/exits.js';
import { assembleRaw } from '../../toolchain/as/assemble.js';

export const IDT = 0x1000;
export const STUBS = 0x2000;
export const CODE = 0x10000;
export const DATA = 0x40000;
export const KSTACK = 0x70000;
export const STACK = 0x80000;
export const PT_POOL = 0x80000;

export type RegName = (typeof REGISTERS)[number];
export type Regs = Partial<Record<RegName, number>>;

export const PTE = { P: 1, RW: 2, US: 4, A: 0x20, D: 0x40 } as const;
export const PF = { P: 1, W: 2, U: 4, I: 16 } as const;
export const GATE = { P: 1, TRAP: 8, dpl: (d: number) => (d & 3) << 1 } as const;
export { EFLAGS, CR0_PG, CR0_WP };

/** The arithmetic flags by letter; `flagString` and `parseFlags` use these. */
export const FLAG_BITS = { C: EFLAGS.CF, P: EFLAGS.PF, Z: EFLAGS.ZF, S: EFLAGS.SF, O: EFLAGS.OF } as const;
export type FlagLetter = keyof typeof FLAG_BITS;

/**
 * Flags written as letters: upper case set, lower case clear, e.g. 'C z s o P'. Letters not
 * mentioned are not constrained. Returns [mask, value].
 */
export function parseFlags(spec: string): [number, number] {
  let mask = 0, value = 0;
  for (const ch of spec.replace(/\s+/g, '')) {
    const bit = FLAG_BITS[ch.toUpperCase() as FlagLetter];
    if (bit === undefined) throw new Error(`flag spec '${spec}': unknown letter ${ch}`);
    mask |= bit;
    if (ch === ch.toUpperCase()) value |= bit;
  }
  return [mask, value];
}

/** 'CZsoP'-style rendering of eflags' arithmetic bits (for messages). */
export function flagString(eflags: number): string {
  return (Object.keys(FLAG_BITS) as FlagLetter[])
    .map((k) => (eflags & FLAG_BITS[k] ? k : k.toLowerCase())).join('');
}

export function asm(source: string, base: number): Uint8Array {
  return assembleRaw(source, base);
}

export interface Trap {
  vector: number;
  error: number;
  /** Return eip in the frame. */
  eip: number;
  /** Ring the event interrupted. */
  ring: number;
  eflags: number;
  esp: number;
  /** esp of the handler (where the frame starts). */
  frame: number;
}

export class Machine {
  readonly mem: GuestMemory;
  readonly cpu: Vcpu;
  /** Page tables, once `paging()` has built them. */
  pt: PageTables | undefined;

  constructor(ramSize = 1 << 20, cpu?: CpuMode) {
    this.mem = new GuestMemory(ramSize);
    this.cpu = new Vcpu(this.mem, { cpu });
    this.cpu.eip = CODE;
    this.cpu.regs[4] = STACK;
    this.cpu.ksp = KSTACK;
  }

  // ---- physical memory ---------------------------------------------------------------------

  /** Host writes report themselves (GuestMemory.written), as every writer outside the vCPU must. */
  load(pa: number, bytes: Uint8Array): void {
    this.mem.ram.set(bytes, pa);
    this.mem.written(pa, bytes.length);
  }

  /** Assembles `source` for virtual address `va` and loads it at physical `pa` (default va). */
  code(source: string, va = CODE, pa = va): Uint8Array {
    const bytes = asm(source, va);
    this.load(pa, bytes);
    return bytes;
  }

  r8(pa: number): number { return this.mem.ram[pa]!; }
  r16(pa: number): number { return this.mem.ram[pa]! | (this.mem.ram[pa + 1]! << 8); }
  r32(pa: number): number {
    return (this.mem.ram[pa]! | (this.mem.ram[pa + 1]! << 8) | (this.mem.ram[pa + 2]! << 16) | (this.mem.ram[pa + 3]! << 24)) >>> 0;
  }
  w8(pa: number, v: number): void { this.mem.ram[pa] = v; this.mem.written(pa, 1); }
  w16(pa: number, v: number): void { this.w8(pa, v); this.w8(pa + 1, v >>> 8); }
  w32(pa: number, v: number): void { for (let k = 0; k < 4; k++) this.w8(pa + k, v >>> (8 * k)); }

  /** Physical address of `va` through the guest's page tables, without touching A/D or the TLB. */
  phys(va: number): number | undefined {
    const c = this.cpu;
    if (!c.paging) return va >>> 0;
    const pde = this.r32(((c.cr3 & ~0xfff) + ((va >>> 22) << 2)) >>> 0);
    if (!(pde & PTE.P)) return undefined;
    const pte = this.r32(((pde & ~0xfff) + (((va >>> 12) & 0x3ff) << 2)) >>> 0);
    if (!(pte & PTE.P)) return undefined;
    return ((pte & ~0xfff) | (va & 0xfff)) >>> 0;
  }

  /** Reads a dword at a virtual address (each byte translated separately). */
  v32(va: number): number {
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const pa = this.phys((va + k) >>> 0);
      if (pa === undefined) throw new Error(`v32: 0x${((va + k) >>> 0).toString(16)} is not mapped`);
      v |= this.r8(pa) << (8 * k);
    }
    return v >>> 0;
  }

  // ---- registers and flags -----------------------------------------------------------------

  setRegs(r: Regs): void {
    for (const [name, v] of Object.entries(r)) {
      const k = REGISTERS.indexOf(name as RegName);
      if (k < 0) throw new Error(`unknown register ${name}`);
      this.cpu.regs[k] = v!;
    }
  }

  reg(name: RegName): number {
    return this.cpu.regs[REGISTERS.indexOf(name)]! >>> 0;
  }

  regs(): Record<RegName, number> {
    return Object.fromEntries(REGISTERS.map((n, k) => [n, this.cpu.regs[k]! >>> 0])) as Record<RegName, number>;
  }

  /** Sets eflags (arithmetic bits and IF). Call before switching to ring 3: ring 3 keeps IF. */
  setEflags(v: number): void {
    this.cpu.setEflags(v);
  }

  get eflags(): number {
    return this.cpu.eflags;
  }

  flag(letter: FlagLetter): 0 | 1 {
    return this.cpu.eflags & FLAG_BITS[letter] ? 1 : 0;
  }

  // ---- running -----------------------------------------------------------------------------

  run(budget = 100_000): VmExit {
    return this.cpu.run(budget);
  }

  // ---- paging ------------------------------------------------------------------------------

  /**
   * Builds page tables at PT_POOL, identity-maps [0, identityEnd) (default: all of RAM) with `flags`, and (unless
   * `enable` is false) loads CR3 and sets CR0.PG (and WP when asked).
   */
  paging(opts: { identityEnd?: number; flags?: number; enable?: boolean; wp?: boolean } = {}): PageTables {
    const pt = new PageTables(this, PT_POOL);
    pt.identity(0, opts.identityEnd ?? this.mem.ramSize, opts.flags ?? (PTE.P | PTE.RW | PTE.US));
    this.pt = pt;
    if (opts.enable !== false) {
      this.cpu.writeCr(3, pt.pd);
      this.cpu.writeCr(0, CR0_PG | (opts.wp ? CR0_WP : 0));
    }
    return pt;
  }

  // ---- interrupts --------------------------------------------------------------------------

  /** Loads the IDT register directly (tests of `lidt` itself use the instruction). */
  setIdtr(base = IDT, limit = 256 * 8 - 1): void {
    this.cpu.idtBase = base;
    this.cpu.idtLimit = limit;
  }

  gate(vector: number, handler: number, opts: { dpl?: number; trap?: boolean; present?: boolean } = {}, base = IDT): void {
    this.w32(base + vector * 8, handler);
    this.w32(base + vector * 8 + 4,
      (opts.present === false ? 0 : GATE.P) | GATE.dpl(opts.dpl ?? 0) | (opts.trap ? GATE.TRAP : 0));
  }

  /**
   * Installs a recording handler for every vector: gate v points at STUBS + 4v, a lone `hlt`.
   * After the hlt exit, `trap()` says which vector ran and what its frame holds. Gates are
   * interrupt gates of DPL `dpl` (default 0); `except` lists vectors left without a gate.
   */
  installTraps(opts: { dpl?: number; except?: readonly number[]; limit?: number } = {}): void {
    const hlt = asm('hlt', 0);
    for (let v = 0; v < 256; v++) {
      this.load(STUBS + 4 * v, hlt);
      if (opts.except?.includes(v)) this.gate(v, 0, { present: false });
      else this.gate(v, STUBS + 4 * v, { dpl: opts.dpl ?? 0 });
    }
    this.setIdtr(IDT, opts.limit ?? 256 * 8 - 1);
  }

  /** The event whose stub the vCPU halted in (after a hlt exit), or undefined. */
  trap(): Trap | undefined {
    const c = this.cpu;
    const at = (c.eip - 4 - STUBS) >>> 0;
    if (at >= 256 * 4 || at % 4 !== 0 || c.cpl !== 0) return undefined;
    const sp = c.regs[4]! >>> 0;
    return {
      vector: at / 4,
      error: this.v32(sp), eip: this.v32(sp + 4), ring: this.v32(sp + 8), eflags: this.v32(sp + 12),
      esp: this.v32(sp + 16), frame: sp,
    };
  }

  /** Runs until an exit and returns the trap it stopped in; throws if it stopped otherwise. */
  runToTrap(budget = 100_000): Trap {
    const x = this.run(budget);
    const t = x.reason === 'hlt' ? this.trap() : undefined;
    if (!t) throw new Error(`expected a trap, got exit ${JSON.stringify(x)} at eip 0x${this.cpu.eip.toString(16)}`);
    return t;
  }
}

/** Two-level page tables in guest memory; page tables are allocated from a pool after the PD. */
export class PageTables {
  readonly pd: number;
  private next: number;

  constructor(private readonly m: Machine, pool: number) {
    this.pd = pool;
    this.next = pool + 0x1000;
    m.mem.ram.fill(0, pool, pool + 0x1000);
  }

  pdeAddr(va: number): number {
    return this.pd + ((va >>> 22) << 2);
  }

  /** Physical address of the PTE for `va`, creating its page table when `create`. */
  pteAddr(va: number, create = false, pdeFlags: number = PTE.P | PTE.RW | PTE.US): number {
    let pde = this.m.r32(this.pdeAddr(va));
    if (!(pde & PTE.P)) {
      if (!create) throw new Error(`no page table for 0x${(va >>> 0).toString(16)}`);
      const t = this.next;
      this.next += 0x1000;
      this.m.mem.ram.fill(0, t, t + 0x1000);
      pde = t | pdeFlags;
      this.m.w32(this.pdeAddr(va), pde);
    }
    return (pde & ~0xfff) + (((va >>> 12) & 0x3ff) << 2);
  }

  map(va: number, pa: number, flags: number = PTE.P | PTE.RW | PTE.US): void {
    this.m.w32(this.pteAddr(va, true), ((pa & ~0xfff) | flags) >>> 0);
  }

  mapRange(va: number, pa: number, len: number, flags: number = PTE.P | PTE.RW | PTE.US): void {
    for (let off = 0; off < len; off += 0x1000) this.map(va + off, pa + off, flags);
  }

  identity(pa: number, len: number, flags: number = PTE.P | PTE.RW | PTE.US): void {
    this.mapRange(pa, pa, len, flags);
  }

  pte(va: number): number { return this.m.r32(this.pteAddr(va)); }
  setPte(va: number, v: number): void { this.m.w32(this.pteAddr(va), v >>> 0); }
  pde(va: number): number { return this.m.r32(this.pdeAddr(va)); }
  setPde(va: number, v: number): void { this.m.w32(this.pdeAddr(va), v >>> 0); }
  unmap(va: number): void { this.setPte(va, 0); }
}

/** A machine with `source` at CODE (followed by a `hlt`), registers set, run to its first exit. */
export function runCode(source: string, opts: { regs?: Regs; eflags?: number; budget?: number; setup?: (m: Machine) => void } = {}): { m: Machine; exit: VmExit } {
  const m = new Machine();
  m.code(source + '\nhlt\n');
  if (opts.eflags !== undefined) m.setEflags(opts.eflags);
  if (opts.regs) m.setRegs(opts.regs);
  opts.setup?.(m);
  return { m, exit: m.run(opts.budget) };
}
