/**
 * Region building: from a hot entry address, decode the blocks reachable by direct branches,
 * calls and fallthrough inside the entry's 4 KiB page, and assemble them into one Wasm function
 * `run(budget) → retired`.
 *
 * Staying inside one virtual page is what makes a region valid for exactly one translation: the
 * vCPU checks, at every entry, that the entry's page still maps to the physical page the region
 * was built from (the same check the interpreter's instruction fetch makes), and nothing in the
 * region can change the mapping (no mov crN, invlpg, iret or int). Leaving the page leaves the
 * region; the vCPU chains to the next region from its dispatch loop. The exception: a block that
 * reaches the page end may run on into the next page, checking the TLB where the interpreter's
 * fetch translates (docs/jit.md, "Page ends").
 *
 * Shape of the function (a "loop + br_table" over the blocks, forward branches as direct br):
 *
 *   load registers and lazy flags into locals
 *   block $exit  loop $dispatch  block $b[K-1] … block $b0
 *     br_table blk → $b0 … $b[K-1]
 *   end $b0  code of block 0   end $b1  code of block 1 …   end loop  end $exit
 *   store locals back; return the number of instructions retired
 *
 * Every block starts with a budget check (the whole block must fit, else leave at its first
 * instruction), so a region never runs past its budget.
 */
import { decode, lengthOf } from '../isa/encoding.js';
import { BY_OPCODE } from '../isa/table.js';
import {
  CODE_LINE_SHIFT, FLAG_FIELDS, S_EIP, S_FLAGS, S_PAGE_PA, S_PAGE_VA, S_REGS, S_SLOW, S_TLB_KERNEL, S_TLB_USER, TLB_FRAME, TLB_READ,
} from './jit-state.js';
import { Cached, Emitter, FLAGS, I32_LOCALS, I64_LOCALS, L, PAGE_PA_GLOBAL, PAGE_END, type CachedPage, type Mode } from './jit-emit.js';
import { UNKNOWN, emitCond, helperBody } from './jit-flags.js';
import { load, loadTop, push, regionLowering, type DInsn, type Lowering, PLAIN_LOWER } from './jit-lower.js';
import { Code, I32, I64, Op, moduleBytes, type FuncDef } from './wasm-encoder.js';

export const MAX_BLOCKS = 16;
export const MAX_INSNS = 192;
const MAX_BLOCK_INSNS = 64;

/** A decoded instruction of a region, with the physical word indices it was decoded from. */
interface RInsn extends DInsn {
  readonly words: readonly number[];
  /** In the last 12 bytes of the page (the interpreter fetches it word by word, caching no page). */
  readonly pageEnd: boolean;
  /** Some of its words are on the next virtual page, found at run time in frame `frame2`. */
  readonly straddles: boolean;
  /** It is on the next virtual page (a block ran on past the page end), compiled from `frame2`. */
  readonly onNext: boolean;
}

/** The interpreter's cached code page once `i` has retired. */
const cachedAfter = (i: RInsn): CachedPage => (i.pageEnd ? Cached.None : i.onNext ? Cached.Next : Cached.Page);

interface Block {
  start: number;
  insns: RInsn[];
  /** The last instruction is a branch of this kind, or the block falls / stops at `next`. */
  term: Lowering | 'fall' | 'stop';
  next: number;
}

export interface RegionCode {
  bytes: Uint8Array;
  /** Physical word indices of every instruction word compiled, and their values. */
  wordIdx: Int32Array;
  wordVal: Int32Array;
  /** Code lines (pa >>> CODE_LINE_SHIFT) the region was made from. */
  lines: number[];
  insns: number;
  blocks: number;
  /** Virtual address of each block (block k is entered with blk = k). */
  starts: number[];
  /**
   * The region looked at the page's last 12 bytes, so it depends on the next page's frame
   * (page ends); otherwise it is the same whatever that frame is.
   */
  usesNextPage: boolean;
}

/**
 * Decodes the instruction at virtual `va` of the page whose words start at ram32[pbase]; words
 * beyond the page come from `p2` (word index of the next virtual page's frame, or -1 when it is
 * not known at compile time: then an instruction straddling into it is not compiled). Page
 * ends matter only with paging on (`pageEnds`; see discover).
 */
function decodeAt(ram32: Int32Array, pageEnds: boolean, pbase: number, p2: number, va: number, onNext = false): RInsn | null {
  const off = va & 4095;
  const first = pbase + (off >> 2);
  const def = BY_OPCODE[ram32[first] & 255];
  if (!def) return null;
  const words: number[] = [];
  for (let k = 0; k < lengthOf(def) >> 2; k++) {
    const o = (off >> 2) + k;
    if (o < 1024) words.push(pbase + o);
    else if (p2 >= 0) words.push(p2 + o - 1024);
    else return null;
  }
  const r = decode(ram32[words[0]], (k) => ram32[words[k]]);
  if (!r.ok) return null;
  return {
    addr: va, len: r.length, def: r.insn.def, ops: r.insn.operands, words,
    pageEnd: pageEnds && off > PAGE_END, straddles: off + r.length > 4096, onNext,
  };
}

/**
 * Word index of the frame the next virtual page maps to, as instruction fetch would find it
 * now without walking (paging off: the next physical page; paging on: the current ring's TLB),
 * or -1 (not RAM, not in the TLB, or the end of the address space). Compiled code checks at run
 * time that the TLB still gives this frame before it runs an instruction that straddles into it.
 */
export function nextPageFrame(ram32: Int32Array, mode: Mode, entryVa: number, pbase: number): number {
  const vpn2 = (entryVa >>> 12) + 1;
  if (vpn2 > 0xfffff) return -1;
  let frame: number;
  if (!mode.paging) {
    frame = (pbase << 2) + 4096;
  } else {
    const tlb = new Int32Array(ram32.buffer, mode.ramSize + (mode.cpl === 0 ? S_TLB_KERNEL : S_TLB_USER), 3 * 256);
    const s = vpn2 & 255;
    if (tlb[(TLB_READ >> 2) + s] !== vpn2) return -1;
    frame = tlb[(TLB_FRAME >> 2) + s] >>> 0;
  }
  return frame + 4096 <= mode.ramSize ? frame >>> 2 : -1;
}

const samePage = (a: number, b: number): boolean => ((a ^ b) & ~4095) === 0;

function relTarget(i: DInsn): number {
  const rel = i.ops.find((o) => o.kind === 'rel') as { value: number };
  return (i.addr + i.len + rel.value) >>> 0;
}

/**
 * Finds the blocks of a region; null when the entry instruction itself cannot be compiled.
 * `near.end` is set when it looked at the page's last 12 bytes or beyond, where what it finds
 * depends on the next page's frame `p2`.
 *
 * With paging off, instruction fetch has no side effect (no TLB, no walk, no fault on RAM) and
 * the interpreter's cached code page is only a cache of the same words, so the page-end rules,
 * which make compiled code walk and fault where the interpreter's fetch does, have nothing to
 * reproduce: there a region spans its page and the next one, with blocks on both (a loop that
 * straddles a page boundary, like the engine module's memcmp, stays in one region instead of
 * chaining twice per iteration). Blocks on the next page are not entries (jit.ts registers
 * the entry page's only).
 */
function discover(ram32: Int32Array, mode: Mode, pbase: number, p2: number, entry: number, near: { end: boolean }): Block[] | null {
  const blocks = new Map<number, Block>();
  const queue = [entry];
  let total = 0;
  const twoPages = !mode.paging && p2 >= 0;
  const inPage = (t: number): boolean => (samePage(t, entry) || (twoPages && (t >>> 12) === (entry >>> 12) + 1)) && (t & 3) === 0;
  while (queue.length > 0 && blocks.size < MAX_BLOCKS && total < MAX_INSNS) {
    const start = queue.shift()!;
    if (blocks.has(start)) continue;
    const b: Block = { start, insns: [], term: 'stop', next: start };
    let pc = start;
    for (;;) {
      // A block may run on into the next page (its frame known: p2), not to its end or beyond.
      const onNext = !samePage(pc, entry);
      if (onNext || (pc & 4095) > PAGE_END) near.end = true;
      if (onNext && (p2 < 0 || (pc >>> 12) !== (entry >>> 12) + 1 || (pc & 4095) > PAGE_END)) { b.term = 'fall'; b.next = pc; break; }
      const i = onNext ? decodeAt(ram32, mode.paging, p2, -1, pc, true) : decodeAt(ram32, mode.paging, pbase, p2, pc);
      const kind = i ? regionLowering(i.def, mode) : 'interpreted';
      if (!i || kind === 'interpreted') { b.term = 'stop'; b.next = pc; break; }
      // Direct branches to a misaligned target raise #GP: the interpreter does that.
      if ((kind === 'jmp' || kind === 'jcc' || kind === 'call') && (relTarget(i) & 3) !== 0) { b.term = 'stop'; b.next = pc; break; }
      b.insns.push(i);
      total++;
      pc = (pc + i.len) >>> 0;
      if (kind !== 'plain') { b.term = kind; b.next = pc; break; }
      if (b.insns.length >= MAX_BLOCK_INSNS || blocks.has(pc) || total >= MAX_INSNS) { b.term = 'fall'; b.next = pc; break; }
    }
    if (b.insns.length === 0) {
      if (start === entry) return null;
      continue; // predecessors leave the region at this address instead
    }
    blocks.set(start, b);
    const succ: number[] = [];
    // After a page-end instruction nothing continues in this region (it leaves: buildRegion).
    if (!b.insns[b.insns.length - 1].pageEnd) switch (b.term) {
      case 'fall': succ.push(b.next); break;
      case 'jmp': succ.push(relTarget(b.insns[b.insns.length - 1])); break;
      case 'jcc': case 'call': succ.push(relTarget(b.insns[b.insns.length - 1]), b.next); break;
      case 'call-r': case 'call-m': succ.push(b.next); break;
    }
    for (const t of succ) if (inPage(t) && !blocks.has(t)) queue.push(t);
  }
  return [...blocks.values()];
}

export function buildRegion(ram32: Int32Array, mode: Mode, entryVa: number, entryPa: number,
  p2 = nextPageFrame(ram32, mode, entryVa, (entryPa & ~4095) >>> 2)): RegionCode | null {
  const pbase = (entryPa & ~4095) >>> 2;
  const near = { end: false };
  const blocks = discover(ram32, mode, pbase, p2, entryVa, near);
  if (blocks === null) return null;
  const index = new Map<number, number>();
  blocks.forEach((b, k) => index.set(b.start, k));
  const returnSites = blocks
    .filter((b) => (b.term === 'call' || b.term === 'call-r' || b.term === 'call-m') && index.has(b.next))
    .map((b) => b.next);

  const e = new Emitter(mode, entryVa & ~4095, p2 >= 0 ? p2 << 2 : -1);
  const c = e.c;
  const state = mode.ramSize;
  c.get(L.n).set(L.nEntry);
  for (let r = 0; r < 8; r++) c.i32(0).mem(Op.i32_load, 2, state + S_REGS + 4 * r).set(L.reg0 + r);
  FLAG_FIELDS.forEach((_, k) => { c.i32(0).mem(Op.i32_load, 2, state + S_FLAGS + 4 * k).set(L.fop + k); });
  const K = blocks.length;
  e.blocks = K;
  c.op(Op.block).byte(0x40).op(Op.loop).byte(0x40);
  for (let k = 0; k < K; k++) c.op(Op.block).byte(0x40);
  c.get(L.blk).op(Op.br_table).u32(K);
  for (let k = 0; k < K; k++) c.u32(k);
  c.u32(K + 1);

  // Branches follow the interpreter's fetch (e.cached: its cached code page). On the region's
  // page they go to the target block. After a page-end instruction it caches no page, so its
  // next fetch translates even on this page: such an instruction always leaves (chaining checks
  // the TLB for every target). From the next page, a target block on the region's page is
  // entered if the whole block fits the budget (else the interpreter goes on from the next
  // page's cached page) and the TLB gives the region's frame (the interpreter's fetch
  // translates it; a miss leaves, and the interpreter walks).
  const target = (t: number): void => {
    const j = index.get(t);
    if (j !== undefined && e.cached === Cached.Page) { e.goto(j); return; }
    if (j === undefined || e.cached !== Cached.Next) { e.exitTo(t); return; }
    c.get(L.n).i32(blocks[j].insns.length).op(Op.i32_add).get(L.budget).op(Op.i32_gt_s);
    e.if(); e.exit(t, false, 0); e.end();
    if (mode.paging) { e.tlbMismatch(t >>> 12, -1); e.if(); e.exit(t, false, 0); e.end(); }
    e.goto(j);
  };
  /** Continues at the run-time address in local tgt: a predicted block, else leave. */
  const dynamic = (predict: readonly number[]): void => {
    for (const t of e.cached === Cached.Page ? predict : []) {
      c.get(L.tgt).i32(t).op(Op.i32_eq);
      e.if(); e.goto(index.get(t)!); e.end();
    }
    c.get(L.tgt);
    e.exitDynamic();
  };
  const alignCheck = (): void => { c.get(L.tgt).i32(3).op(Op.i32_and); e.if(); e.slowExit(); e.end(); };

  blocks.forEach((b, k) => {
    c.op(Op.end);
    e.block = k;
    e.extra = 0;
    e.kfop = UNKNOWN;
    // Blocks are entered from the dispatcher, a chain, or a branch that found the region's page
    // where the interpreter's fetch would (see target). (A block on the next page, paging off,
    // may be entered from either page; there the cached page an exit reports is immaterial:
    // see discover.)
    e.cached = Cached.Page;
    const len = b.insns.length;
    c.get(L.n).i32(len).op(Op.i32_add).get(L.budget).op(Op.i32_gt_s);
    e.if(); e.exit(b.start, false, 0); e.end();
    c.get(L.n).i32(len).op(Op.i32_add).set(L.n);
    b.insns.forEach((i, j) => {
      e.insnAddr = i.addr;
      e.remaining = len - j;
      e.accesses = 0;
      const kind = regionLowering(i.def, mode);
      const next = (i.addr + i.len) >>> 0;
      // Exits before the instruction retires: the cached page is the last retired one's.
      e.cached = j > 0 ? cachedAfter(b.insns[j - 1]) : Cached.Page;
      if (i.pageEnd) {
        e.fetchCheck(i.addr, i.straddles ? p2 << 2 : -1);
      } else if (i.onNext && e.cached !== Cached.Next && mode.paging) {
        // The first instruction on the next page: the interpreter's fetch translates it.
        e.tlbMismatch(i.addr >>> 12, p2 << 2);
        e.if(); e.slowExit(); e.end();
      }
      // Exits after it (branch targets) follow it.
      const after = (): void => { e.cached = cachedAfter(i); };
      switch (kind) {
        case 'plain': PLAIN_LOWER[i.def.op]!(e, i); break;
        case 'jmp': after(); target(relTarget(i)); break;
        case 'jcc':
          emitCond(c, FLAGS, e.kfop, i.def.op & 15);
          after();
          e.if(); target(relTarget(i)); e.end();
          target(next);
          break;
        case 'call': push(e, () => { c.i32(next); }); after(); target(relTarget(i)); break;
        case 'call-r':
          c.get(e.reg((i.ops[0] as { reg: number }).reg)).set(L.tgt);
          alignCheck();
          push(e, () => { c.i32(next); });
          after();
          dynamic([]);
          break;
        case 'jmp-r':
          c.get(e.reg((i.ops[0] as { reg: number }).reg)).set(L.tgt);
          alignCheck();
          after();
          dynamic([]);
          break;
        case 'call-m':
        case 'jmp-m':
          // t ← [m] (may leave), #GP on a misaligned t before the push, as the interpreter.
          load(e, i, 4);
          c.get(L.t2).set(L.tgt);
          alignCheck();
          if (kind === 'call-m') push(e, () => { c.i32(next); });
          after();
          dynamic([]);
          break;
        case 'ret':
          // eip ← [esp] (a misaligned target is #GP before esp moves), then esp += 4
          loadTop(e);
          c.get(L.t2).set(L.tgt);
          alignCheck();
          c.get(e.reg(4)).i32(4).op(Op.i32_add).set(e.reg(4));
          after();
          dynamic(returnSites);
          break;
        case 'interpreted': throw new Error('unreachable: interpreted instruction in a region');
      }
    });
    e.cached = cachedAfter(b.insns[len - 1]);
    if (b.term === 'fall') target(b.next);
    else if (b.term === 'stop') e.exit(b.next, true, 0);
  });
  // Every block ends in a branch or an exit (which returns): the end is unreachable.
  c.op(Op.end).op(Op.end).op(Op.unreachable);

  const helper = (which: 'cf' | 'of') => {
    const body = new Code();
    helperBody(body, which);
    return { params: new Array(7).fill(I32), results: [I32], locals: [], body };
  };
  const bytes = moduleBytes([
    {
      params: [I32, I32, I32], results: [I32],
      locals: [...new Array(I32_LOCALS).fill(I32), ...new Array(I64_LOCALS).fill(I64)],
      body: c, export: 'run',
    },
    helper('cf'),
    helper('of'),
    // leave for each cached page (jit-emit.ts Cached): the region's, none, the next
    leaveFunction(state, { va: entryVa & ~4095, pa: null }),
    ...(blocks.some((b) => b.insns.some((i) => i.pageEnd || i.onNext)) ? [
      leaveFunction(state, null),
      leaveFunction(state, { va: ((entryVa & ~4095) + 4096) | 0, pa: p2 << 2 }),
    ] : []),
  ], `r${entryVa.toString(16).padStart(8, '0')}m${mode.paging ? (mode.cpl === 0 ? 1 : 2) : 0}`, { table: false, chain: true });

  const words = new Map<number, number>();
  let insns = 0;
  for (const b of blocks) {
    for (const i of b.insns) {
      insns++;
      for (const w of i.words) words.set(w, ram32[w]);
    }
  }
  const wordIdx = Int32Array.from(words.keys());
  const wordVal = Int32Array.from(words.values());
  const lines = [...new Set([...words.keys()].map((w) => w >>> (CODE_LINE_SHIFT - 2)))];
  return { bytes, wordIdx, wordVal, lines, insns, blocks: K, starts: blocks.map((b) => b.start), usesNextPage: near.end };
}

/**
 * leave(regs[8], flags[7], eip, slow, n, nEntry) → n: stores the state for the vCPU, and the
 * region's code page when it retired an instruction (n ≠ nEntry): that page is the one the
 * interpreter would have cached last: `page` (pa null: the region's, from the imported global),
 * or with page null (exits right after a page-end instruction) "no cached page" (1).
 */
interface CodePage { va: number; pa: number | null }

/** Pushes the physical base of `page` (the region's page from the imported global). */
function pagePa(c: Code, page: CodePage): void {
  if (page.pa === null) c.op(Op.global_get).u32(PAGE_PA_GLOBAL);
  else c.i32(page.pa);
}

function leaveFunction(state: number, page: CodePage | null): FuncDef {
  const leave = new Code();
  for (let r = 0; r < 8; r++) leave.i32(0).get(r).mem(Op.i32_store, 2, state + S_REGS + 4 * r);
  FLAG_FIELDS.forEach((_, k) => { leave.i32(0).get(8 + k).mem(Op.i32_store, 2, state + S_FLAGS + 4 * k); });
  leave.i32(0).get(15).mem(Op.i32_store, 2, state + S_EIP);
  leave.i32(0).get(16).mem(Op.i32_store, 2, state + S_SLOW);
  leave.get(17).get(18).op(Op.i32_ne).op(Op.if).byte(0x40);
  leave.i32(0).i32(page?.va ?? 1).mem(Op.i32_store, 2, state + S_PAGE_VA);
  leave.i32(0);
  if (page === null) leave.i32(0); else pagePa(leave, page);
  leave.mem(Op.i32_store, 2, state + S_PAGE_PA);
  leave.op(Op.end).get(17);
  return { params: new Array(19).fill(I32), results: [I32], locals: [], body: leave };
}
