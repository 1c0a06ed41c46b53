/**
 * The code-emission context of one region: local-variable layout, the label depths of the
 * region's control structure, exits, and inline guest memory access (RAM bounds check with
 * paging off, TLB lookup with paging on). Every path that cannot be done exactly here leaves the
 * region with the state of the start of the instruction, and the interpreter runs it.
 */
import { CODE_LINE_SHIFT, S_CODEMAP, S_TLB_KERNEL, S_TLB_USER, TLB_FRAME, TLB_READ, TLB_WRITE } from './jit-state.js';
import { UNKNOWN, type FlagLocals } from './jit-flags.js';
import { Code, Op } from './wasm-encoder.js';

/**
 * Function indices in every region module (jit-region.ts): the imported TLB refill (Mmu.refill)
 * and chaining function (the vCPU's `out`, jit-chain.ts), then the region's own: `run`, the
 * flag helpers (jit-flags.ts), and the helpers that store the state at an exit.
 */
export const FN_REFILL = 0;
export const FN_OUT = 1;
export const FN_LEAVE = 5;
/**
 * The interpreter's cached code page at a point of compiled code (statically known): the
 * region's page, none (right after a page-end instruction), or the next page (a block that ran
 * on past the page end). Each has its own `leave` helper (FN_LEAVES[cached]); `out` is told
 * the page by its arguments.
 */
export const Cached = { Page: 0, None: 1, Next: 2 } as const;
export type CachedPage = (typeof Cached)[keyof typeof Cached];
const FN_LEAVES = [FN_LEAVE, FN_LEAVE + 1, FN_LEAVE + 2];
/** The imported global holding the physical base of the region's page (wasm-encoder.ts). */
export const PAGE_PA_GLOBAL = 0;
/**
 * Instructions at a page offset above this are fetched by the interpreter word by word, each
 * word translated on its own (they may straddle into the next page), and leave no cached code
 * page (codegen.ts, cpu.ts fetchSetup).
 */
export const PAGE_END = 4084;

/**
 * Local indices. Locals 0-2 are the parameters: the instruction budget, the block to start at
 * (every block start is an entry) and the instructions already retired by the regions chained
 * before this one (the count goes on across a chain; the budget is the chain's).
 */
export const L = {
  budget: 0, blk: 1, n: 2,
  reg0: 3, // eight registers: 3..10
  fop: 11, fa: 12, fb: 13, fres: 14, fcf: 15, fof: 16, fbits: 17,
  ea: 18, pa: 19, t0: 20, t1: 21, t2: 22, eipOut: 23, slow: 24, tgt: 25, nEntry: 26,
  // i64
  q0: 27, q1: 28,
} as const;
export const I32_LOCALS = 24; // locals 3..26 are i32
export const I64_LOCALS = 2;

export const FLAGS: FlagLocals = { fop: L.fop, fa: L.fa, fb: L.fb, fres: L.fres, fcf: L.fcf, fof: L.fof, fbits: L.fbits };

export interface Mode {
  paging: boolean;
  cpl: number;
  ramSize: number;
}

export class Emitter {
  readonly c = new Code();
  /** Labels opened inside the current block's code (ifs, blocks). */
  extra = 0;
  /** Index of the block being emitted and the number of blocks. */
  block = 0;
  blocks = 0;
  /** Statically known kind of the lazy-flag record (UNKNOWN at block entries). */
  kfop = UNKNOWN;
  /** Address of the instruction being emitted and how many instructions of the block remain (it included). */
  insnAddr = 0;
  remaining = 0;
  /** Memory accesses of the current instruction emitted so far (only the first may refill the TLB). */
  accesses = 0;
  /**
   * The interpreter's cached code page for exits emitted now: they store it for the vCPU, and
   * chain without a TLB lookup only to targets on it.
   */
  cached: CachedPage = Cached.Page;
  private readonly state: number;
  private readonly tlb: number;

  /**
   * @param pageVa the region's virtual page
   * @param nextPa the physical base the next virtual page was compiled for (page ends), or -1
   */
  constructor(readonly mode: Mode, private readonly pageVa: number, private readonly nextPa: number) {
    this.state = mode.ramSize;
    this.tlb = this.state + (mode.cpl === 0 ? S_TLB_KERNEL : S_TLB_USER);
  }

  reg(r: number): number {
    return L.reg0 + r;
  }

  /** br depth of the dispatch loop and of the exit block, from inside the current block code. */
  private dispatchDepth(): number { return this.blocks - 1 - this.block + this.extra; }

  /** Opens an `if` on the condition on the stack. */
  if(): void { this.c.op(Op.if).byte(0x40); this.extra++; }
  else(): void { this.c.op(Op.else); }
  end(): void { this.c.op(Op.end); this.extra--; }

  /**
   * Leaves the region at `eip`; `unretired` instructions counted at block entry did not run.
   * Every exit path hands the state to the `leave` helper and returns on its own: paths that all
   * merged into one epilogue made V8's optimizing compiler build a phi per local per path, and
   * compile time grew with (exits × locals).
   */
  exit(eip: number, slow: boolean, unretired: number): void {
    this.leave(() => { this.c.i32(eip); }, slow, unretired);
    this.c.op(Op.return);
  }

  /**
   * Leaves the region after a completed block for `eip` (a branch out of the region): the state
   * goes to memory as for any exit, then the chaining helper tail-calls the region that has an
   * entry there if the entry cache has one valid now, or returns to the dispatcher.
   */
  exitTo(eip: number): void {
    this.leave(() => { this.c.i32(eip); }, false, 0);
    this.c.get(L.budget).i32(eip);
    this.chain();
  }

  /** Tail-calls `out` (n, budget and eip on the stack) with the interpreter's cached page. */
  private chain(): void {
    const c = this.c;
    switch (this.cached) {
      case Cached.Page: c.i32(this.pageVa).op(Op.global_get).u32(PAGE_PA_GLOBAL); break;
      case Cached.None: c.i32(0).i32(-1); break;
      case Cached.Next: c.i32((this.pageVa + 4096) | 0).i32(this.nextPa); break;
    }
    c.op(Op.return_call).u32(FN_OUT);
  }

  /** Leaves (the state stored, the retired count on the stack). */
  private leave(eip: () => void, slow: boolean, unretired: number): void {
    const c = this.c;
    for (let r = 0; r < 8; r++) c.get(L.reg0 + r);
    for (let k = 0; k < 7; k++) c.get(L.fop + k);
    eip();
    c.i32(slow ? 1 : 0).get(L.n);
    if (unretired > 0) c.i32(unretired).op(Op.i32_sub);
    c.get(L.nEntry).op(Op.call).u32(FN_LEAVES[this.cached]);
  }

  /** Leaves at the current instruction, which the interpreter then runs (fault, miss, MMIO...). */
  slowExit(): void {
    this.exit(this.insnAddr, true, this.remaining);
  }

  /**
   * Leaves after the current instruction, the block's last, to an address computed at run time
   * (on the stack), chaining like `exitTo`.
   */
  exitDynamic(): void {
    if (this.remaining !== 1) throw new Error('exitDynamic: not the last instruction of its block');
    this.c.set(L.eipOut);
    this.leave(() => { this.c.get(L.eipOut); }, false, 0);
    this.c.get(L.budget).get(L.eipOut);
    this.chain();
  }

  /**
   * Instruction fetch of a page-end instruction at `va`, as the interpreter does it: each word
   * is translated on its own (no cached page), so the current ring's TLB must give the region's
   * frame for `va`'s page and, when the instruction straddles, the frame `frame2` (its bytes
   * were compiled from there) for the next page. A miss or another frame leaves before the
   * instruction (the interpreter then walks, faults or fetches the new bytes itself). A hit
   * changes nothing, so the interpreter's fetch would have had no side effect either. Paging
   * off, the pages are the region's and the next one, both RAM (checked at compile time).
   */
  fetchCheck(va: number, frame2: number): void {
    if (!this.mode.paging) return;
    this.tlbMismatch(va >>> 12, -1);
    if (frame2 >= 0) {
      this.tlbMismatch((va >>> 12) + 1, frame2);
      this.c.op(Op.i32_or);
    }
    this.if(); this.slowExit(); this.end();
  }

  /**
   * Pushes 1 when the current ring's TLB does not map page `vpn` to `frame` (-1: the region's
   * page) for reading, as the interpreter's instruction fetch would find it; 0 on a hit.
   */
  tlbMismatch(vpn: number, frame: number): void {
    const c = this.c, s = (vpn & 255) << 2;
    c.i32(0).mem(Op.i32_load, 2, this.tlb + TLB_READ + s).i32(vpn).op(Op.i32_ne);
    c.i32(0).mem(Op.i32_load, 2, this.tlb + TLB_FRAME + s);
    if (frame < 0) c.op(Op.global_get).u32(PAGE_PA_GLOBAL); else c.i32(frame);
    c.op(Op.i32_ne).op(Op.i32_or);
  }

  /**
   * Continues at block `j` after the current instruction (which must be the block's last).
   * Forward targets are reached by a direct `br` to the block's label; backward ones through
   * the dispatch loop's br_table.
   */
  goto(j: number): void {
    const c = this.c;
    if (j === this.block + 1 && this.extra === 0) return; // falls through
    if (j > this.block) { c.op(Op.br).u32(j - this.block - 1 + this.extra); return; }
    c.i32(j).set(L.blk).op(Op.br).u32(this.dispatchDepth());
  }

  /** Effective address of a memory operand into local ea. */
  ea(base: number | null, index: number | null, scale: number, disp: number): void {
    const c = this.c;
    let any = false;
    if (base !== null) { c.get(this.reg(base)); any = true; }
    if (index !== null) {
      c.get(this.reg(index));
      if (scale > 1) c.i32(Math.log2(scale)).op(Op.i32_shl);
      if (any) c.op(Op.i32_add);
      any = true;
    }
    if (!any) c.i32(disp);
    else if (disp !== 0) c.i32(disp).op(Op.i32_add);
    c.set(L.ea);
  }

  /**
   * Translates the address in local `addr` for an access of `size` bytes into local pa, or
   * leaves the region (slow path) when the interpreter would not take its fast path: unaligned,
   * outside RAM, a TLB miss that cannot be refilled here, or (for stores) a line that holds
   * compiled code.
   *
   * A TLB miss on the instruction's first access calls the imported refill (Mmu.refill): it
   * walks exactly as the interpreter's access would (tlbMisses, A/D bits, the TLB slot) when
   * the walk cannot fault, and the access goes on; otherwise it changes nothing and the region
   * leaves. Only the first access may refill: a later one could evict the first one's entry,
   * and a slow exit after that would make the interpreter, rerunning the instruction, walk
   * twice for it. After a refill, a slow exit (unaligned, MMIO, code) reruns the instruction
   * in the interpreter, whose access then hits the TLB where it would have walked: the same
   * walks, in the same order.
   */
  translate(addr: number, size: number, write: boolean): void {
    // The other checks are or-ed into one condition and one exit: every load below stays in
    // bounds whatever the address (the TLB slot is masked; the code-map index is clamped).
    const c = this.c;
    const rs = this.mode.ramSize;
    const refill = this.mode.paging && this.accesses === 0;
    this.accesses++;
    const tag = this.tlb + (write ? TLB_WRITE : TLB_READ);
    if (!this.mode.paging) {
      if (addr !== L.pa) c.get(addr).set(L.pa);
    } else {
      // vpn in t0, slot offset in t1; pa from the slot's frame (meaningful only on a tag match)
      c.get(addr).i32(12).op(Op.i32_shr_u).tee(L.t0).i32(255).op(Op.i32_and).i32(2).op(Op.i32_shl).set(L.t1);
      if (refill) {
        c.get(L.t1).mem(Op.i32_load, 2, tag).get(L.t0).op(Op.i32_ne);
        this.if();
        c.get(addr).i32(write ? 1 : 0).op(Op.call).u32(FN_REFILL).op(Op.i32_eqz);
        this.if(); this.slowExit(); this.end();
        this.end();
      }
      c.get(L.t1).mem(Op.i32_load, 2, this.tlb + TLB_FRAME).get(addr).i32(0xfff).op(Op.i32_and).op(Op.i32_or).set(L.pa);
      if (!refill) c.get(L.t1).mem(Op.i32_load, 2, tag).get(L.t0).op(Op.i32_ne);
    }
    if (size > 1) c.get(L.pa).i32(size - 1).op(Op.i32_and);
    c.get(L.pa).i32(rs).op(Op.i32_ge_u);
    if (size > 1) c.op(Op.i32_or);
    if (this.mode.paging && !refill) c.op(Op.i32_or);
    if (write) {
      c.get(L.pa).i32(rs - 1).get(L.pa).i32(rs).op(Op.i32_lt_u).op(Op.select)
        .i32(CODE_LINE_SHIFT).op(Op.i32_shr_u).mem(Op.i32_load8_u, 0, this.state + S_CODEMAP);
      c.op(Op.i32_or);
    }
    this.if(); this.slowExit(); this.end();
  }

  /** Pushes the value loaded from pa (zero-extended for 8/16 bits, like the interpreter's arrays). */
  loadPa(size: number): void {
    const c = this.c.get(L.pa);
    if (size === 4) c.mem(Op.i32_load, 2, 0);
    else if (size === 2) c.mem(Op.i32_load16_u, 1, 0);
    else c.mem(Op.i32_load8_u, 0, 0);
  }

  /** Stores the value pushed by `value` at pa. */
  storePa(size: number, value: () => void): void {
    this.c.get(L.pa);
    value();
    if (size === 4) this.c.mem(Op.i32_store, 2, 0);
    else if (size === 2) this.c.mem(Op.i32_store16, 1, 0);
    else this.c.mem(Op.i32_store8, 0, 0);
  }
}
