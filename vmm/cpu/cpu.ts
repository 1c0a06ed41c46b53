/**
 * The mx86 vCPU, modelled on VT-x non-root mode: the guest kernel runs at ring 0, its page
 * tables translate without exits, and what hardware would trap is returned from `run()` as a
 * VM exit record (design §3). Event delivery (exceptions, `int n`, injected interrupts), the
 * privilege switch through the kernel-stack register and the interrupt shadow live here; the
 * instruction semantics are generated from the ISA table (codegen.ts).
 */
import type { AccessSize, VmExit } from '../exits.js';
import { RESET_VECTOR, type GuestMemory } from '../memory.js';
import { BY_OPCODE } from '../isa/table.js';
import { lengthOf } from '../isa/encoding.js';
import { HOT_MASK, interpreter } from './codegen.js';
import { EFLAGS, WRITABLE_EFLAGS } from './flags.js';
import { CR0_PG, CR0_WP, ExitSignal, GuestFault, Mmu, ShutdownSignal, VEC } from './mmu.js';
import { Jit, defaultCpuMode, type CpuMode } from './jit.js';
import { S_EFLAGS_HIGH, S_EIP, S_FLAGS, S_PAGE_PA, S_PAGE_VA, S_SLOW } from './jit-state.js';
import { PAGE_END } from './jit-emit.js';

/** IDT gate flag bits (docs/isa.md): present, DPL for `int n`, trap gate (keeps IF). */
const GATE_PRESENT = 1, GATE_DPL_SHIFT = 1, GATE_TRAP = 8;

const LENGTH = new Uint8Array(256).map((_, op) => (BY_OPCODE[op] ? lengthOf(BY_OPCODE[op]!) : 4));

const HLT_EXIT: VmExit = Object.freeze({ reason: 'hlt' });

export interface CpuSnapshot {
  regs: number[];
  eip: number;
  eflags: number;
  cpl: number;
  cr0: number;
  cr2: number;
  cr3: number;
  ksp: number;
  idtBase: number;
  idtLimit: number;
}

export class Vcpu extends Mmu {
  eip = RESET_VECTOR;
  ksp = 0;
  idtBase = 0;
  idtLimit = 0;
  /** Instructions retired since creation. */
  retired = 0;
  /** Virtual cycle count at the start of the current run, and cycles per instruction (rdtsc). */
  tsc = 0;
  cpi = 1;

  /** Set by the VMM when it has an interrupt to inject but the guest has IF=0. */
  wantInterruptWindow = false;
  /** After sti, interrupts stay blocked until one more instruction retires. */
  interruptShadow = false;

  /** Register awaiting the value of an `in` (set at the io exit, filled by completeIo). */
  private pendingIn = -1;
  private pendingInMask = 0;
  private shutdownCause: string | undefined;

  // Interpreter plumbing (read by the generated code).
  exit: VmExit | null = null;
  /**
   * Where the last exit came from: the exiting instruction for io, hlt, vmcall, cpuid and mmio;
   * the next instruction to run for interrupts, windows and preemption. Traces map it to a symbol.
   */
  exitEip = 0;
  caught: unknown = null;
  fmem: Int32Array;
  fbase = 0;
  private readonly scratch = new Int32Array(3);
  readonly hltExit = HLT_EXIT;
  private readonly interpret: (cpu: unknown, budget: number) => number;
  /** The region compiler (null with --cpu interp). */
  readonly jit: Jit | null;
  readonly cpuMode: CpuMode;
  /** Set by the JIT variant of the interpreter when it stopped at a hot branch target. */
  hotStop = false;
  /** Where the JIT variant of the interpreter stops at a hot branch target (read at each call). */
  get hotThreshold(): number { return this.jit?.reuseThreshold ?? 0; }
  /** Hotness counters the JIT variant of the interpreter updates (the JIT's). */
  readonly hot: Int32Array | null;
  /** The state area as i32 words (lazy flags, region exit eip and slow flag). */
  private readonly jstate: Int32Array;

  constructor(mem: GuestMemory, opts: { cpu?: CpuMode } = {}) {
    super(mem);
    this.fmem = mem.ram32;
    this.eflagsHigh = 0;
    this.cpuMode = opts.cpu ?? defaultCpuMode();
    this.jstate = new Int32Array(mem.buffer, mem.ramSize, 32);
    if (this.cpuMode === 'jit') {
      const jit = new Jit(mem.ram32, this.codeMap, mem.ramSize, mem.wasm, (va, write) => this.refill(va, write));
      this.jit = jit;
      this.hot = jit.hot;
      this.codeWritten = (pa) => { jit.invalidateAt(pa); };
    } else {
      this.jit = null;
      this.hot = null;
    }
    this.interpret = interpreter(this.jit !== null);
  }

  // ---- state the VMM and tests use ---------------------------------------------------------

  get eflags(): number {
    return this.getEflags();
  }

  get interruptsEnabled(): boolean {
    return (this.eflagsHigh & EFLAGS.IF) !== 0;
  }

  /** The VMM may inject an external interrupt now. */
  get interruptible(): boolean {
    // An instruction waiting to be restarted after an MMIO exit must finish first: its replayed
    // values belong to it, not to the handler.
    return this.interruptsEnabled && !this.interruptShadow && this.shutdownCause === undefined &&
      this.replay.length === 0;
  }

  get isShutdown(): boolean {
    return this.shutdownCause !== undefined;
  }

  snapshot(): CpuSnapshot {
    return {
      regs: Array.from(this.regs), eip: this.eip, eflags: this.getEflags(), cpl: this.cpl,
      cr0: this.cr0 >>> 0, cr2: this.cr2 >>> 0, cr3: this.cr3 >>> 0, ksp: this.ksp >>> 0,
      idtBase: this.idtBase, idtLimit: this.idtLimit,
    };
  }

  /** For tests and loaders: enter ring 3 directly. */
  setPrivilege(cpl: 0 | 3): void {
    this.setCpl(cpl);
  }

  getEflags(): number {
    return this.arithFlags() | this.eflagsHigh | EFLAGS.RESERVED1;
  }

  /** Returns true when IF went from 0 to 1 (the run loop then checks for an interrupt window). */
  setEflags(v: number): boolean {
    const wasOn = this.interruptsEnabled;
    this.setArithFlags(v);
    let high = v & (EFLAGS.IF | EFLAGS.DF);
    // At ring 3 popf cannot change IF (x86 with IOPL 0 ignores it silently).
    if (this.cpl !== 0) high = (high & ~EFLAGS.IF) | (this.eflagsHigh & EFLAGS.IF);
    this.eflagsHigh = high;
    return !wasOn && this.interruptsEnabled;
  }

  setIF(on: boolean): void {
    this.eflagsHigh = on ? this.eflagsHigh | EFLAGS.IF : this.eflagsHigh & ~EFLAGS.IF;
  }

  sti(): boolean {
    if (this.interruptsEnabled) return false;
    this.setIF(true);
    this.interruptShadow = true;
    return true;
  }

  readCr(n: number): number {
    switch (n) {
      case 0: return this.cr0;
      case 2: return this.cr2;
      case 3: return this.cr3;
      default: return this.ud();
    }
  }

  writeCr(n: number, v: number): void {
    switch (n) {
      case 0:
        this.cr0 = v & (CR0_PG | CR0_WP | 1);
        this.paging = (this.cr0 & CR0_PG) !== 0;
        this.flushTlb();
        return;
      case 2: this.cr2 = v; return;
      case 3: this.cr3 = v & ~0xfff; this.flushTlb(); return;
      default: this.ud();
    }
  }

  lidt(va: number): void {
    const base = this.ld32(va) >>> 0;
    const limit = this.ld32((va + 4) >>> 0) >>> 0;
    this.idtBase = base;
    this.idtLimit = limit;
  }

  // ---- one-operand multiply and divide (edx:eax) ------------------------------------------

  mul1(b: number): void {
    const [lo, hi] = Mmu.mulU64(this.regs[0], b);
    this.regs[0] = lo;
    this.regs[2] = hi;
    this.mulFlags(lo, hi !== 0);
  }

  imul1(m: number): void {
    const a = this.regs[0], b = m | 0;
    const [lo, u] = Mmu.mulU64(a, b);
    // Signed high half from the unsigned one: subtract each operand's weight of its sign bit.
    const hi = (u - (a < 0 ? b : 0) - (b < 0 ? a : 0)) | 0;
    this.regs[0] = lo;
    this.regs[2] = hi;
    this.mulFlags(lo, hi !== ((lo | 0) >> 31));
  }

  div1(d: number): void {
    const divisor = d >>> 0;
    if (divisor === 0) throw new GuestFault(VEC.DE, 0);
    const lo = this.regs[0] >>> 0, hi = this.regs[2] >>> 0;
    if (hi === 0) {
      this.regs[0] = Math.floor(lo / divisor);
      this.regs[2] = lo % divisor;
      return;
    }
    // The quotient fits in 32 bits only when the high half is below the divisor.
    if (hi >= divisor) throw new GuestFault(VEC.DE, 0);
    const n = (BigInt(hi) << 32n) | BigInt(lo), dv = BigInt(divisor);
    this.regs[0] = Number(n / dv);
    this.regs[2] = Number(n % dv);
  }

  idiv1(d: number): void {
    const divisor = d | 0;
    if (divisor === 0) throw new GuestFault(VEC.DE, 0);
    const lo = this.regs[0], hi = this.regs[2];
    if (hi === lo >> 31) {
      // edx:eax is the sign extension of eax: plain doubles are exact.
      const q = Math.trunc(lo / divisor);
      if (q > 0x7fffffff) throw new GuestFault(VEC.DE, 0); // -2^31 / -1
      this.regs[0] = q;
      this.regs[2] = lo % divisor;
      return;
    }
    const n = (BigInt(hi) << 32n) | BigInt(lo >>> 0), dv = BigInt(divisor);
    const q = n / dv;
    if (q > 0x7fffffffn || q < -0x80000000n) throw new GuestFault(VEC.DE, 0);
    this.regs[0] = Number(q);
    this.regs[2] = Number(n % dv);
  }

  rdtsc(retiredThisRun: number): void {
    const t = this.tsc + (this.retired + retiredThisRun - this.runStartRetired) * this.cpi;
    this.regs[0] = t % 4294967296;
    this.regs[2] = Math.floor(t / 4294967296);
  }
  private runStartRetired = 0;

  inExit(reg: number, port: number, size: AccessSize): VmExit {
    this.pendingIn = reg;
    this.pendingInMask = size === 4 ? -1 : (1 << (8 * size)) - 1;
    return { reason: 'io', port, size, write: false, value: 0 };
  }

  /** Answers the `in` of the last io exit. */
  completeIo(value: number): void {
    if (this.pendingIn < 0) throw new Error('completeIo: the last exit was not an io read');
    this.regs[this.pendingIn] = value & this.pendingInMask;
    this.pendingIn = -1;
  }

  /** Answers the read of the last mmio exit; the instruction restarts and consumes the value. */
  completeMmioRead(value: number): void {
    this.replay.push(value);
  }

  // ---- instruction fetch (called by the generated interpreter on a page change) -------------

  /**
   * Points fmem/fbase at the words of the instruction at eip. Returns true when the whole page
   * can be cached; near the page end the instruction may straddle two pages, so its words are
   * gathered one by one (each may fault on its own page) into a scratch buffer.
   */
  fetchSetup(eip: number): boolean {
    const off = eip & 4095;
    if (off <= 4084) {
      const pa = this.fetchTranslate(eip);
      this.pointAt(pa - off);
      return true;
    }
    const w0 = this.fetchWord(eip);
    this.scratch[0] = w0;
    const words = LENGTH[w0 & 255] >> 2;
    for (let k = 1; k < words; k++) this.scratch[k] = this.fetchWord((eip + 4 * k) >>> 0);
    this.fmem = this.scratch;
    this.fbase = -(off >> 2);
    return false;
  }

  private fetchTranslate(va: number): number {
    if (!this.paging) return va;
    const vpn = va >>> 12, s = vpn & 255, t = this.tlb;
    return t.read[s] === vpn ? ((t.frame[s] | (va & 0xfff)) >>> 0) : this.walk(va, false, true);
  }

  private pointAt(pageBase: number): void {
    if (pageBase + 4096 <= this.ramSize) {
      this.fmem = this.ram32;
      this.fbase = pageBase >>> 2;
    } else if (this.mem.isRom(pageBase, 4096)) {
      this.fmem = this.mem.rom32;
      this.fbase = (pageBase - this.mem.romBase) >>> 2;
    } else {
      throw new ShutdownSignal(`instruction fetch from unbacked guest-physical address 0x${pageBase.toString(16)}`);
    }
  }

  private fetchWord(va: number): number {
    const pa = this.fetchTranslate(va);
    this.pointAt((pa & ~0xfff) >>> 0); // unsigned: the ROM's pages are above 2 GiB
    return this.fmem[this.fbase + ((pa & 0xfff) >> 2)];
  }

  // ---- event delivery ----------------------------------------------------------------------

  /**
   * Delivers vector through the IDT. Frame (always five words, lowest address last):
   * old esp, old eflags, old ring, return eip, error code. From ring 3 the frame goes on the
   * kernel stack (ksp). Returns the handler address.
   */
  private deliver(vector: number, error: number, returnEip: number, software: boolean): number {
    if (vector * 8 + 7 > this.idtLimit) this.gp(vector * 8 + 2);
    const gateAddr = (this.idtBase + vector * 8) >>> 0;
    const handler = this.sysRead32(gateAddr) >>> 0;
    const flags = this.sysRead32((gateAddr + 4) >>> 0);
    if (!(flags & GATE_PRESENT)) this.gp(vector * 8 + 2);
    if (software && this.cpl > ((flags >>> GATE_DPL_SHIFT) & 3)) this.gp(vector * 8 + 2);
    if (handler & 3) this.gp(vector * 8 + 2);
    const oldEsp = this.regs[4], oldEflags = this.getEflags(), oldCpl = this.cpl;
    let sp = oldCpl === 3 ? this.ksp >>> 0 : oldEsp >>> 0;
    for (const v of [oldEsp, oldEflags, oldCpl, returnEip, error]) {
      sp = (sp - 4) >>> 0;
      this.sysWrite32(sp, v);
    }
    this.regs[4] = sp;
    this.setCpl(0);
    if (!(flags & GATE_TRAP)) this.setIF(false);
    this.interruptShadow = false;
    return handler;
  }

  /**
   * Delivers an exception; a fault while doing so becomes #DF, and a fault while delivering #DF
   * shuts the VM down (triple fault).
   */
  private deliverException(f: GuestFault): void {
    try {
      this.eip = this.deliver(f.vector, f.error, this.eip, false);
    } catch (e) {
      if (!(e instanceof GuestFault)) throw e;
      if (f.vector === VEC.DF) throw new ShutdownSignal('triple fault');
      this.deliverException(new GuestFault(VEC.DF, 0));
    }
  }

  /** `int n`: returns the handler; a gate problem is a #GP at the int instruction. */
  softInt(vector: number, next: number): number {
    return this.deliver(vector, 0, next, true);
  }

  /** Injects an external interrupt (the VMM checked `interruptible`). */
  injectInterrupt(vector: number): void {
    try {
      this.deliverException(new GuestFault(vector, 0));
    } catch (e) {
      if (e instanceof ShutdownSignal) this.shutdownCause = e.cause;
      else throw e;
    }
  }

  /** iret at ring 0: pops eip, ring, eflags, esp; returns the new eip. */
  iret(): number {
    const sp = this.regs[4] >>> 0;
    const eip = this.ld32(sp) >>> 0;
    const ring = this.ld32((sp + 4) >>> 0);
    const eflags = this.ld32((sp + 8) >>> 0);
    const esp = this.ld32((sp + 12) >>> 0);
    if ((ring !== 0 && ring !== 3) || (eip & 3) !== 0) this.gp(0);
    this.setEflags(eflags & WRITABLE_EFLAGS);
    this.regs[4] = esp;
    this.setCpl(ring);
    return eip;
  }

  // ---- the run loop ------------------------------------------------------------------------

  /**
   * Runs guest code for at most `budget` instructions, until an exit, like KVM_RUN. Faults are
   * delivered to the guest inside the loop; they are not exits.
   */
  run(budget: number): VmExit {
    if (this.shutdownCause !== undefined) return { reason: 'shutdown', cause: this.shutdownCause };
    if (this.pendingIn >= 0) throw new Error('run: the io read of the last exit was not completed');
    this.runStartRetired = this.retired;
    if (this.jit !== null) this.jit.newRun();
    let left = budget;
    try {
      // A restarted MMIO instruction, or the instruction in the sti shadow, runs alone first.
      if (this.replay.length > 0 || this.interruptShadow) {
        const restarting = this.replay.length > 0;
        this.replayPos = 0;
        left -= this.step(1);
        // An instruction with several MMIO accesses exits once per access: keep what it has done.
        if (restarting && this.exit?.reason !== 'mmio') this.replay.length = 0;
        if (this.exit) return this.takeExit();
        this.interruptShadow = false;
        if (this.wantInterruptWindow && this.interruptsEnabled) return this.asyncExit({ reason: 'interrupt-window' });
      }
      while (left > 0) {
        left -= this.step(left);
        if (this.exit) return this.takeExit();
        if (this.interruptShadow && left > 0) {
          left -= this.step(1);
          if (this.exit) return this.takeExit();
          this.interruptShadow = false;
        }
        if (this.wantInterruptWindow && this.interruptsEnabled && !this.interruptShadow) {
          return this.asyncExit({ reason: 'interrupt-window' });
        }
      }
    } catch (e) {
      if (e instanceof ShutdownSignal) {
        this.shutdownCause = e.cause;
        return this.asyncExit({ reason: 'shutdown', cause: e.cause });
      }
      throw e;
    }
    return this.asyncExit({ reason: 'preemption' });
  }

  /** An exit that no instruction asked for: it happened at the next instruction to run. */
  private asyncExit(x: VmExit): VmExit {
    this.exitEip = this.eip;
    return x;
  }

  private takeExit(): VmExit {
    const x = this.exit!;
    this.exit = null;
    this.interruptShadow = false;
    return x;
  }

  /**
   * Runs the interpreter and handles what it caught; returns instructions attempted. With the
   * compiler, runs regions while there are any for eip, then the interpreter, which stops at the
   * next hot branch target ("hot stop"), and so on: it returns only where the interpreter alone
   * would (budget used up, an exit, STOP, a fault), so that run()'s checks after each step (the
   * interrupt window above all) see exactly the same points in both tiers.
   */
  private step(budget: number): number {
    if (this.jit === null || this.replay.length > 0) {
      const n = this.interpret(this, budget);
      this.retired += n;
      const e = this.caught;
      if (e === null) return n;
      return this.caughtInStep(n, e);
    }
    let done = 0;
    for (;;) {
      const r = this.runRegions(budget - done);
      this.retired += r;
      done += r;
      if (done >= budget) return done;
      this.hotStop = false;
      const n = this.interpret(this, budget - done);
      this.retired += n;
      const e = this.caught;
      if (e !== null) return done + this.caughtInStep(n, e);
      done += n;
      if (!this.hotStop || done >= budget) return done;
    }
  }

  /**
   * Enters regions in a row (the dispatcher: one region leaving to another region's entry goes
   * straight on). Finds the physical address of eip exactly as the interpreter's fetch would,
   * with the same side effects (none: a TLB miss or a ROM page goes to the interpreter, which
   * walks itself). Near the page end the interpreter translates even on its cached page and
   * caches none: there the TLB must hit and the cached page stays as it is (the region's
   * first instruction checks the next page's frame too, when it straddles).
   */
  private runRegions(budget: number): number {
    const jit = this.jit!, st = this.jstate, f = S_FLAGS >> 2;
    let done = 0;
    // The lazy flags go into the state area before the first region and come back after the
    // last: between two chained regions they stay there.
    let inState = false;
    while (done < budget) {
      const eip = this.eip;
      const off = eip & 4095;
      const page = eip & -4096;
      let pa: number;
      if (off <= PAGE_END && this.cpage === page) {
        // The interpreter would keep fetching from the page it has cached.
        if (this.fmem !== this.ram32) { jit.notCompiled(eip); break; } // ROM
        pa = this.fbase * 4 + off;
      } else {
        if (this.paging) {
          const vpn = eip >>> 12, s = vpn & 255, t = this.tlb;
          // A miss: the interpreter's fetch would walk here and now, so walk as it would (when
          // the walk would fault, or would set a bit in compiled code, the interpreter does).
          if (t.read[s] !== vpn && this.refill(eip, 0) === 0) break;
          pa = (t.frame[s] | off) >>> 0;
        } else {
          pa = eip;
        }
        const base = pa - off;
        if (base + 4096 > this.ramSize) { jit.notCompiled(eip); break; } // ROM (or unbacked: the interpreter stops)
        if (off <= PAGE_END) {
          this.cpage = page;
          this.fmem = this.ram32;
          this.fbase = base >>> 2;
        }
      }
      if (!jit.find(this.paging ? (this.cpl === 0 ? 1 : 2) : 0, pa, eip)) {
        // Count eip as the interpreter counts branch targets, so that it compiles when hot: code
        // reached from compiled code (the interpreter never sees the branches regions took), and
        // code where the interpreter resumes after an exit, an interrupt or a slow instruction
        // (the next instruction after an MMIO access, an interrupt vector), which no branch reaches.
        jit.hot[(eip >>> 2) & HOT_MASK]++;
        break;
      }
      if (!inState) {
        st[f] = this.fop; st[f + 1] = this.fa; st[f + 2] = this.fb; st[f + 3] = this.fres;
        st[f + 4] = this.fcf; st[f + 5] = this.fof; st[f + 6] = this.fbits;
        st[S_EFLAGS_HIGH >> 2] = this.eflagsHigh;
        inState = true;
      }
      const n = jit.enter(Math.min(budget - done, 0x3fffffff), jit.found.block, 0, jit.found.slot);
      this.eip = st[S_EIP >> 2] >>> 0;
      if (n > 0) {
        // Regions may have chained across pages: the interpreter's cached code page is the page
        // of the last instruction retired, as it would be had the interpreter run them.
        this.cpage = st[S_PAGE_VA >> 2];
        this.fmem = this.ram32;
        this.fbase = st[S_PAGE_PA >> 2] >>> 2;
      }
      done += n;
      jit.stats.entries++;
      jit.stats.regionInsns += n;
      // slow: the instruction at eip is the interpreter's; n = 0: not even one block fitted.
      if (st[S_SLOW >> 2] !== 0 || n === 0) { jit.stats.slowExits++; break; }
    }
    if (inState) {
      this.fop = st[f]; this.fa = st[f + 1]; this.fb = st[f + 2]; this.fres = st[f + 3];
      this.fcf = st[f + 4]; this.fof = st[f + 5]; this.fbits = st[f + 6];
    }
    return done;
  }

  /** Handles what the interpreter caught after `n` instructions; returns instructions attempted. */
  private caughtInStep(n: number, e: unknown): number {
    this.caught = null;
    if (e instanceof GuestFault) {
      this.replay.length = 0;
      this.deliverException(e);
      return n + 1; // the faulting instruction consumed budget, so faults cannot loop forever
    }
    if (e instanceof ExitSignal) {
      this.exit = e.exit;
      this.exitEip = this.eip; // the instruction restarts: eip still points at it
      return n;
    }
    throw e;
  }
}
