/**
 * Register allocation over the whole function (docs/cc-optimizer.md): a priority allocator on
 * live ranges with holes.
 *
 * Positions number the instructions in layout order. A virtual register's live range is the
 * list of segments, block by block, where it is live (so a C variable reused by two loops does
 * not hold a register between them). Ranges are taken in order of weight (what spilling
 * would cost in instructions, spillCosts, each counting 8 times per enclosing loop) and each gets the first allowed register none of
 * whose ranges overlaps it, or else a 4-byte frame slot for its whole life ("spill everywhere";
 * mx86 instructions take a memory operand almost everywhere, so a spilled value costs little).
 *
 * The allocatable registers are ecx, edx, ebx, esi and edi; eax is never allocated: emit.ts uses
 * it as scratch, for call results and for division. The calling convention shows up as
 * constraints: a range that lives across a call cannot be in ecx or edx (the callee may clobber
 * them), one that is live into a division cannot be in edx (div/idiv write edx:eax). A range may
 * share a register with one that ends where it starts (an instruction reads its operands before
 * it writes its result; emit.ts keeps to that).
 */
import { insDef, termUses, type Addr, type Ins, type IrFunction, type V, type Val } from './ir.js';
import { liveness } from './optimize.js';

export type Reg = 'ecx' | 'edx' | 'ebx' | 'esi' | 'edi';
export type Loc = { r: Reg } | { slot: number };

export interface Allocation {
  loc: Map<V, Loc>;
  /** Bytes below ebp: the parser's locals plus the spill slots. */
  frame: number;
  /** Callee-saved registers the function writes (to save in the prologue). */
  saved: Reg[];
}

const ALL: Reg[] = ['ecx', 'edx', 'ebx', 'esi', 'edi'];
const CALLEE_SAVED: Reg[] = ['ebx', 'esi', 'edi'];

/** [start, end] positions, inclusive. */
type Segment = [number, number];

interface Range { v: V; segs: Segment[]; weight: number; crossesCall: boolean; intoDiv: boolean }

/**
 * What keeping each operand of i in memory instead of a register costs, in instructions (about):
 * most instructions take a memory operand for free, while addresses, stored values, pushed
 * arguments and shift counts need the value in a register. Reported operand by operand, in
 * operand order, to `f` (called for every instruction: no list is built).
 */
function spillCosts(i: Ins, f: (v: V, cost: number) => void): void {
  const val = (x: Val, cost: number): void => { if (x.k === 'v') f(x.v, cost); };
  const addr = (a: Addr): void => {
    if (a.base !== undefined) f(a.base, 1);
    if (a.index !== undefined) f(a.index, 1);
  };
  switch (i.op) {
    case 'mov': case 'ext': val(i.a, 0.25); break;
    case 'un': val(i.a, 0.5); break;
    case 'bin': val(i.a, 0.5); val(i.b, i.k === 'shl' || i.k === 'shr' || i.k === 'sar' ? 3 : 0.25); break;
    case 'set': val(i.a, 0.5); val(i.b, 0.25); break;
    case 'div': val(i.a, 0.25); val(i.b, 3); break;
    case 'load': case 'lea': addr(i.addr); break;
    case 'store': addr(i.addr); val(i.a, 1); break;
    case 'call': val(i.fn, 0.25); for (const x of i.args) val(x, 1); break;
  }
}

/**
 * The live segments of every register, and the weight of each. Indexed by register in arrays,
 * not maps (a function has thousands of registers, each touched at every use).
 */
function liveRanges(fn: IrFunction): { ranges: Range[] } {
  const { liveIn, liveOut } = liveness(fn);
  const segs: (Segment[] | undefined)[] = new Array(fn.nextV);
  const weight = new Float64Array(fn.nextV);
  // The segment a register has open in the current block: openSeg[v], valid when openIn[v] is the block's stamp.
  const openSeg: (Segment | undefined)[] = new Array(fn.nextV);
  const openIn = new Int32Array(fn.nextV);
  const calls: number[] = [];
  const divs: number[] = [];
  // A use or definition inside a loop counts as often as the loop nest suggests it runs.
  const depth = new Map<number, number>();
  for (const l of fn.loops) for (const id of l.body) depth.set(id, (depth.get(id) ?? 0) + 1);
  let pos = 0, stamp = 0, w = 1;
  const begin = (v: V, p: number): Segment => {
    const s: Segment = [p, p];
    openSeg[v] = s;
    openIn[v] = stamp;
    const list = segs[v];
    if (list) list.push(s); else segs[v] = [s];
    return s;
  };
  const open = (v: V, p: number): Segment => (openIn[v] === stamp ? openSeg[v]! : begin(v, p));
  const touch = (v: V, p: number, cost: number): void => {
    const s = open(v, p);
    if (p > s[1]) s[1] = p;
    weight[v]! += w * cost;
  };
  const touchHere = (v: V, cost: number): void => touch(v, pos, cost);
  for (const [k, b] of fn.blocks.entries()) {
    stamp++;
    w = 8 ** Math.min(depth.get(b.id) ?? 0, 6);
    // Live on entry: from just before the first instruction (odd positions are between
    // instructions), so it conflicts with a value the first instruction defines.
    for (const v of liveIn[k]!) begin(v, pos - 1);
    for (const i of b.ins) {
      spillCosts(i, touchHere);
      const d = insDef(i);
      if (d !== undefined) touch(d, pos, i.op === 'mov' && (i.a.k === 'i' || i.a.k === 'v') ? 0.5 : 1);
      if (i.op === 'call' && i.d2 !== undefined) touch(i.d2, pos, 1);
      if (i.op === 'call') calls.push(pos);
      if (i.op === 'div') divs.push(pos);
      pos += 2;
    }
    for (const u of termUses(b.term)) touch(u, pos, b.term.t === 'br' ? 0.5 : 0.25);
    for (const v of liveOut[k]!) open(v, pos)[1] = pos + 1;
    pos += 2;
  }
  // In register order (allocate sorts them by weight, ties by register).
  const ranges: Range[] = [];
  for (let v = 0; v < fn.nextV; v++) {
    const list = segs[v];
    if (list === undefined) continue;
    ranges.push({
      v, segs: list, weight: weight[v]!,
      crossesCall: list.some(([s, e]) => firstAfter(calls, s) < e),
      intoDiv: list.some(([s, e]) => firstAfter(divs, s) <= e),
    });
  }
  return { ranges };
}

/**
 * The first of the ascending positions after `s` (Infinity if none): a binary search, as a long
 * function has thousands of ranges and hundreds of calls.
 */
function firstAfter(sorted: number[], s: number): number {
  let lo = 0, hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! > s) hi = mid; else lo = mid + 1;
  }
  return lo < sorted.length ? sorted[lo]! : Infinity;
}

/** The segments one register holds, sorted and disjoint (touching ends allowed). */
class Occupancy {
  private readonly segs: Segment[] = [];

  /** The index of the first held segment that ends after `s`. */
  private firstEndingAfter(s: number): number {
    let lo = 0, hi = this.segs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.segs[mid]![1] > s) hi = mid; else lo = mid + 1;
    }
    return lo;
  }

  fits(list: Segment[]): boolean {
    for (const [s, e] of list) {
      const k = this.firstEndingAfter(s);
      const x = this.segs[k];
      if (x && x[0] < e) return false;
    }
    return true;
  }

  add(list: Segment[]): void {
    for (const seg of list) this.segs.splice(this.firstEndingAfter(seg[0]), 0, seg);
  }
}

export function allocate(fn: IrFunction, frameBase: number): Allocation {
  const { ranges } = liveRanges(fn);
  // Most valuable first. (Measured on the bench programs: ordering by weight per position
  // occupied, or per its square root, did worse.)
  ranges.sort((a, b) => b.weight - a.weight || a.v - b.v);
  const occ = new Map<Reg, Occupancy>(ALL.map((r) => [r, new Occupancy()]));
  const loc = new Map<V, Loc>();
  const used = new Set<Reg>();
  let frame = frameBase;
  for (const cur of ranges) {
    let ok = cur.crossesCall ? CALLEE_SAVED : ALL;
    if (cur.intoDiv) ok = ok.filter((r) => r !== 'edx');
    const r = ok.find((x) => occ.get(x)!.fits(cur.segs));
    if (r) {
      occ.get(r)!.add(cur.segs);
      loc.set(cur.v, { r });
      used.add(r);
    } else {
      frame += 4;
      loc.set(cur.v, { slot: -frame });
    }
  }
  return { loc, frame, saved: CALLEE_SAVED.filter((r) => used.has(r)) };
}
