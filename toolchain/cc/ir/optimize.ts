/**
 * IR passes (docs/cc-optimizer.md). Each one keeps the meaning of the function exactly:
 * loads, stores, calls and divisions are never removed, moved or merged (memory may be volatile
 * or MMIO, and a division may trap), so every pass works on register arithmetic only.
 *
 * - removeUnreachable: blocks no path reaches (code after return, unused labels).
 * - localValues: per block, constant and copy propagation, constant folding, algebraic
 *   simplification, common subexpressions, and folding a materialised comparison into the
 *   branch that tests it.
 * - deadCode: pure instructions whose result is never read (global liveness).
 * - hoistInvariants: loop-invariant pure instructions move to the loop's pre-header.
 * - threadJumps: branches to empty blocks go straight to where those jump.
 */
import {
  insDef, insDef2, insUses, mapTermUses, mapUses, NOT_CC, successors, termUses, vreg,
  type Block, type Cc, type Ins, type IrFunction, type Term, type V, type Val,
} from './ir.js';

export function optimize(fn: IrFunction, level: number): void {
  removeUnreachable(fn);
  if (level < 1) return;
  // Before copy propagation spreads uses of the temporary (`t = load; x = t`: x = load).
  coalesceCopies(fn);
  localValues(fn);
  deadCode(fn);
  if (level >= 2) {
    hoistInvariants(fn);
    localValues(fn);
    deadCode(fn);
  }
  coalesceCopies(fn);
  threadJumps(fn);
  removeUnreachable(fn);
  layout(fn);
}

// ---- flow graph -----------------------------------------------------------------------------------

export function blockMap(fn: IrFunction): Map<number, Block> {
  return new Map(fn.blocks.map((b) => [b.id, b]));
}

export function predecessors(fn: IrFunction): Map<number, number[]> {
  const preds = new Map<number, number[]>(fn.blocks.map((b) => [b.id, []]));
  for (const b of fn.blocks) for (const s of successors(b.term)) preds.get(s)?.push(b.id);
  return preds;
}

export function removeUnreachable(fn: IrFunction): void {
  const byId = blockMap(fn);
  const seen = new Set<number>();
  const work = [fn.blocks[0]!.id];
  while (work.length) {
    const id = work.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const s of successors(byId.get(id)!.term)) work.push(s);
  }
  fn.blocks = fn.blocks.filter((b) => seen.has(b.id));
}

/** A set of registers as a bit string (liveness is the optimizer's hottest loop). */
export type Bits = Uint32Array;

/**
 * Per block, by position in fn.blocks: which registers are live on entry and on exit, each an
 * ascending list.
 *
 * Only a register some block reads before defining it can be live across a block boundary;
 * most registers are temporaries born and dead within one block. The bit strings of the
 * fixpoint cover just those "global" registers (numbered densely in ascending order), which
 * keeps them a few words long in functions with thousands of registers. Runs three times per
 * function at -O2, so it builds flat arrays, not a list, set or closure per block.
 */
export function liveness(fn: IrFunction): { liveIn: V[][]; liveOut: V[][] } {
  const blocks = fn.blocks;
  const n = blocks.length;
  const index = new Int32Array(blockIdLimit(fn)).fill(-1);
  for (let k = 0; k < n; k++) index[blocks[k]!.id] = k;
  // Stamps (block index + 1) instead of per-block sets: defined here / already listed as used here.
  const definedIn = new Int32Array(fn.nextV);
  const usedIn = new Int32Array(fn.nextV);
  const isGlobal = new Uint8Array(fn.nextV);
  // Block k's upward-exposed uses are exposed[exposedAt[k] .. exposedAt[k + 1]), its definitions likewise.
  const exposed: V[] = [], exposedAt = new Int32Array(n + 1);
  const defined: V[] = [], definedAt = new Int32Array(n + 1);
  for (let k = 0; k < n; k++) {
    const b = blocks[k]!, stamp = k + 1;
    for (const i of b.ins) {
      for (const x of insUses(i)) {
        if (definedIn[x] === stamp || usedIn[x] === stamp) continue;
        usedIn[x] = stamp;
        exposed.push(x);
        isGlobal[x] = 1;
      }
      const d = insDef(i);
      if (d !== undefined && definedIn[d] !== stamp) { definedIn[d] = stamp; defined.push(d); }
      const d2 = insDef2(i);
      if (d2 !== undefined && definedIn[d2] !== stamp) { definedIn[d2] = stamp; defined.push(d2); }
    }
    for (const x of termUses(b.term)) {
      if (definedIn[x] === stamp || usedIn[x] === stamp) continue;
      usedIn[x] = stamp;
      exposed.push(x);
      isGlobal[x] = 1;
    }
    exposedAt[k + 1] = exposed.length;
    definedAt[k + 1] = defined.length;
  }
  const globals: V[] = [];
  const bit = new Int32Array(fn.nextV);
  for (let v = 0; v < fn.nextV; v++) if (isGlobal[v]) { bit[v] = globals.length; globals.push(v); }
  const words = (globals.length + 31) >>> 5;
  // Block k's bit string is words [k * words, (k + 1) * words) of each.
  const use = new Uint32Array(n * words), def = new Uint32Array(n * words);
  for (let k = 0; k < n; k++) {
    const base = k * words;
    for (let p = exposedAt[k]!; p < exposedAt[k + 1]!; p++) setBitAt(use, base, bit[exposed[p]!]!);
    for (let p = definedAt[k]!; p < definedAt[k + 1]!; p++) {
      const v = defined[p]!;
      if (isGlobal[v]) setBitAt(def, base, bit[v]!);
    }
  }
  const liveIn = Uint32Array.from(use);
  const liveOut = new Uint32Array(n * words);
  // Block k's successors (as block positions) are succ[succAt[k] .. succAt[k + 1]).
  const succ: number[] = [], succAt = new Int32Array(n + 1);
  for (let k = 0; k < n; k++) {
    for (const s of successors(blocks[k]!.term)) {
      const x = s < index.length ? index[s]! : -1;
      if (x >= 0) succ.push(x);
    }
    succAt[k + 1] = succ.length;
  }
  let changed = true;
  while (changed) {
    changed = false;
    for (let k = n - 1; k >= 0; k--) {
      const base = k * words, s0 = succAt[k]!, s1 = succAt[k + 1]!;
      for (let w = 0; w < words; w++) {
        let o = 0;
        for (let p = s0; p < s1; p++) o |= liveIn[succ[p]! * words + w]!;
        liveOut[base + w] = o;
        const x = (use[base + w]! | (o & ~def[base + w]!)) >>> 0;
        if (x !== liveIn[base + w]) { liveIn[base + w] = x; changed = true; }
      }
    }
  }
  const list = (s: Bits, base: number): V[] => {
    const out: V[] = [];
    for (let w = 0; w < words; w++) {
      let x = s[base + w]!;
      while (x !== 0) {
        out.push(globals[w * 32 + 31 - Math.clz32(x & -x)]!);
        x &= x - 1;
      }
    }
    return out;
  };
  const inLists: V[][] = [], outLists: V[][] = [];
  for (let k = 0; k < n; k++) {
    inLists.push(list(liveIn, k * words));
    outLists.push(list(liveOut, k * words));
  }
  return { liveIn: inLists, liveOut: outLists };
}

const setBitAt = (s: Bits, base: number, v: V): void => { s[base + (v >>> 5)]! |= 1 << (v & 31); };

/** One more than the largest block id (ids are small integers, so arrays can be indexed by them). */
function blockIdLimit(fn: IrFunction): number {
  let m = 0;
  for (const b of fn.blocks) if (b.id >= m) m = b.id + 1;
  return m;
}

// ---- local values ----------------------------------------------------------------------------------

const pow2 = (n: number): number => (n > 0 && (n & (n - 1)) === 0 ? 31 - Math.clz32(n) : -1);
const isNum = (x: Val): x is { k: 'i'; n: number } => x.k === 'i' && x.sym === undefined;
const same = (a: Val, b: Val): boolean => (a.k === 'v' ? b.k === 'v' && a.v === b.v : b.k === 'i' && a.n === b.n && a.sym === b.sym);

function evalCc(cc: Cc, a: number, b: number): boolean {
  const ua = a >>> 0, ub = b >>> 0;
  switch (cc) {
    case 'e': return a === b;
    case 'ne': return a !== b;
    case 'l': return a < b;
    case 'le': return a <= b;
    case 'g': return a > b;
    case 'ge': return a >= b;
    case 'b': return ua < ub;
    case 'be': return ua <= ub;
    case 'a': return ua > ub;
    case 'ae': return ua >= ub;
  }
}

/** A pure instruction with constant operands (or an identity) as a simpler one, else itself. */
export function simplify(i: Ins): Ins {
  const mov = (a: Val): Ins => ({ op: 'mov', d: (i as { d: V }).d, a });
  const k = (n: number): Ins => mov({ k: 'i', n: n | 0 });
  switch (i.op) {
    case 'bin': {
      const { a, b } = i;
      if (isNum(a) && isNum(b)) {
        switch (i.k) {
          case 'add': return k(a.n + b.n);
          case 'sub': return k(a.n - b.n);
          case 'mul': return k(Math.imul(a.n, b.n));
          case 'and': return k(a.n & b.n);
          case 'or': return k(a.n | b.n);
          case 'xor': return k(a.n ^ b.n);
          case 'shl': return k(a.n << (b.n & 31));
          case 'shr': return k(a.n >>> (b.n & 31));
          case 'sar': return k(a.n >> (b.n & 31));
        }
      }
      if (i.k === 'add' && a.k === 'i' && b.k === 'i' && (a.sym === undefined || b.sym === undefined)) return mov({ k: 'i', n: (a.n + b.n) | 0, sym: a.sym ?? b.sym });
      if (i.k === 'sub' && a.k === 'i' && isNum(b) && a.sym !== undefined) return mov({ k: 'i', n: (a.n - b.n) | 0, sym: a.sym });
      if (isNum(b)) {
        if (b.n === 0 && ['add', 'sub', 'or', 'xor', 'shl', 'shr', 'sar'].includes(i.k)) return mov(a);
        if (b.n === 0 && (i.k === 'and' || i.k === 'mul')) return k(0);
        if (b.n === 1 && i.k === 'mul') return mov(a);
        if (b.n === -1 && i.k === 'and') return mov(a);
        if (i.k === 'mul' && pow2(b.n) > 0) return { ...i, k: 'shl', b: { k: 'i', n: pow2(b.n) } };
      }
      if (isNum(a) && (i.k === 'add' || i.k === 'mul' || i.k === 'and' || i.k === 'or' || i.k === 'xor') && !isNum(b)) {
        return simplify({ ...i, a: b, b: a });
      }
      return i;
    }
    case 'div': {
      const { a, b } = i;
      if (isNum(b) && b.n !== 0) {
        if (isNum(a)) {
          // Signed overflow (-2^31 / -1) traps at run time: leave it to the machine.
          if ((i.k === 'sdiv' || i.k === 'srem') && a.n === -0x80000000 && b.n === -1) return i;
          switch (i.k) {
            case 'sdiv': return k(Math.trunc(a.n / b.n));
            case 'srem': return k(a.n % b.n);
            case 'udiv': return k(Math.floor((a.n >>> 0) / (b.n >>> 0)));
            case 'urem': return k((a.n >>> 0) % (b.n >>> 0));
          }
        }
        if (b.n === 1 && (i.k === 'sdiv' || i.k === 'udiv')) return mov(a);
        const p = pow2(b.n);
        if (p >= 0 && i.k === 'udiv') return { op: 'bin', k: 'shr', d: i.d, a, b: { k: 'i', n: p } };
        if (p >= 0 && i.k === 'urem') return { op: 'bin', k: 'and', d: i.d, a, b: { k: 'i', n: b.n - 1 } };
      }
      return i;
    }
    case 'un':
      if (isNum(i.a)) return k(i.k === 'neg' ? -i.a.n : ~i.a.n);
      return i;
    case 'ext':
      if (isNum(i.a)) {
        const n = i.a.n;
        return k(i.k === 'sx8' ? (n << 24) >> 24 : i.k === 'zx8' ? n & 0xff : i.k === 'sx16' ? (n << 16) >> 16 : n & 0xffff);
      }
      return i;
    case 'set':
      if (isNum(i.a) && isNum(i.b)) return k(evalCc(i.cc, i.a.n, i.b.n) ? 1 : 0);
      if (isNum(i.a) && !isNum(i.b)) return { ...i, a: i.b, b: i.a, cc: SWAP[i.cc] };
      return i;
    default:
      return i;
  }
}

const SWAP: Record<Cc, Cc> = { e: 'e', ne: 'ne', l: 'g', le: 'ge', g: 'l', ge: 'le', b: 'a', be: 'ae', a: 'b', ae: 'be' };

const PURE = new Set(['mov', 'bin', 'un', 'ext', 'set', 'lea']);
export const isPure = (i: Ins): boolean => PURE.has(i.op);

function valKey(x: Val): string { return x.k === 'v' ? `v${x.v}` : `${x.n}${x.sym ? `@${x.sym}` : ''}`; }

/** A key for a pure computation, so a second one in the block can reuse the first's result. */
function exprKey(i: Ins): string | undefined {
  switch (i.op) {
    case 'bin': return `${i.k} ${valKey(i.a)} ${valKey(i.b)}`;
    case 'un': case 'ext': return `${i.k} ${valKey(i.a)}`;
    case 'set': return `set${i.cc} ${valKey(i.a)} ${valKey(i.b)}`;
    case 'lea': {
      const a = i.addr;
      return `lea ${a.frame ? 'F' : ''} ${a.base ?? ''} ${a.index ?? ''} ${a.scale} ${a.disp} ${a.sym ?? ''}`;
    }
    default: return undefined;
  }
}

/**
 * The registers whose redefinition invalidates an available expression key: those it names
 * as `v<n> ` or ends with as `v<n>` (bin/un/ext/set operands) and the bare numbers ` <n> ` (lea
 * bases and indices). Purely textual, as a scan of every key for each definition would be, so
 * that the index gives the same answers (including harmless extra matches on constants).
 */
function keyMentions(k: string): V[] {
  const out: V[] = [];
  const n = k.length;
  for (let p = 0; p < n; p++) {
    const c = k.charCodeAt(p);
    if (c !== 118 /* v */ && c !== 32 /* space */) continue;
    let q = p + 1;
    while (q < n && k.charCodeAt(q) >= 48 && k.charCodeAt(q) <= 57) q++;
    // A run of digits, without a leading zero (String(d) has none), ended by a space (or, after
    // a v, by the end of the key).
    if (q === p + 1 || (k.charCodeAt(p + 1) === 48 && q > p + 2)) continue;
    if ((q < n && k.charCodeAt(q) === 32) || (q === n && c === 118)) out.push(Number(k.slice(p + 1, q)));
  }
  return out;
}

/** A map from a register to the keys to look at when it is redefined. */
class KeyIndex<K> {
  private readonly m = new Map<V, K[]>();
  add(v: V, k: K): void {
    const l = this.m.get(v);
    if (l) l.push(k); else this.m.set(v, [k]);
  }
  clear(): void { if (this.m.size) this.m.clear(); }
  take(v: V): K[] {
    const l = this.m.get(v);
    if (!l) return [];
    this.m.delete(v);
    return l;
  }
}

export function localValues(fn: IrFunction): void {
  // Registers defined more than once (C variables) can be copies' sources only within the block
  // and up to their next definition; the maps below are cleared of them at each definition.
  // Indexed by register, so a definition costs what it invalidates, not the size of the maps
  // (a long block, such as one of long long arithmetic, would otherwise take quadratic time).
  // One set of maps for the function, emptied at each block (most blocks are short: making
  // seven maps per block was a good part of the pass's cost).
  const copy = new Map<V, Val>();
  const avail = new Map<string, V>();
  const setOf = new Map<V, Extract<Ins, { op: 'set' }>>();
  const copiesOf = new KeyIndex<V>(), keysNaming = new KeyIndex<string>(), keysValued = new KeyIndex<string>(), setsReading = new KeyIndex<V>();
  const get = (x: Val): Val => (x.k === 'v' ? copy.get(x.v) ?? x : x);
  const kill = (d: V): void => {
    copy.delete(d);
    for (const k of copiesOf.take(d)) { const v = copy.get(k); if (v?.k === 'v' && v.v === d) copy.delete(k); }
    for (const k of keysNaming.take(d)) avail.delete(k);
    for (const k of keysValued.take(d)) if (avail.get(k) === d) avail.delete(k);
    setOf.delete(d);
    for (const k of setsReading.take(d)) {
      const st = setOf.get(k);
      if (st && ((st.a.k === 'v' && st.a.v === d) || (st.b.k === 'v' && st.b.v === d))) setOf.delete(k);
    }
  };
  for (const b of fn.blocks) {
    if (copy.size) copy.clear();
    if (avail.size) avail.clear();
    if (setOf.size) setOf.clear();
    copiesOf.clear(); keysNaming.clear(); keysValued.clear(); setsReading.clear();
    const out: Ins[] = [];
    for (const i0 of b.ins) {
      let i = simplify(mapUses(i0, get));
      const d = insDef(i);
      const key = exprKey(i);
      if (key !== undefined && d !== undefined) {
        const prev = avail.get(key);
        if (prev !== undefined && prev !== d) i = { op: 'mov', d, a: vreg(prev) };
      }
      if (d !== undefined) kill(d);
      const d2 = insDef2(i);
      if (d2 !== undefined) kill(d2);
      out.push(i);
      if (i.op === 'mov' && d !== undefined && !(i.a.k === 'v' && i.a.v === d)) {
        copy.set(d, i.a);
        if (i.a.k === 'v') copiesOf.add(i.a.v, d);
      } else if (key !== undefined && d !== undefined && !insUses(i).includes(d)) {
        avail.set(key, d);
        keysValued.add(d, key);
        for (const v of keyMentions(key)) keysNaming.add(v, key);
      }
      if (i.op === 'set' && !insUses(i).includes(i.d)) {
        setOf.set(i.d, i);
        if (i.a.k === 'v') setsReading.add(i.a.v, i.d);
        if (i.b.k === 'v') setsReading.add(i.b.v, i.d);
      }
    }
    b.ins = out;
    let t = mapTermUses(b.term, get);
    if (t.t === 'br') {
      // br ne (set cc a, b), 0 is br cc a, b: the boolean need not exist.
      if (t.a.k === 'v' && isNum(t.b) && t.b.n === 0 && (t.cc === 'ne' || t.cc === 'e')) {
        const s = setOf.get(t.a.v);
        if (s) t = { ...t, cc: t.cc === 'ne' ? s.cc : NOT_CC[s.cc], a: s.a, b: s.b };
      }
      if (isNum(t.a) && isNum(t.b)) t = { t: 'jmp', to: evalCc(t.cc, t.a.n, t.b.n) ? t.yes : t.no };
      else if (isNum(t.a) && !isNum(t.b)) t = { ...t, a: t.b, b: t.a, cc: SWAP[t.cc] };
      else if (t.t === 'br' && t.yes === t.no) t = { t: 'jmp', to: t.yes };
    }
    b.term = t;
  }
}

// ---- dead code ----------------------------------------------------------------------------------------

export function deadCode(fn: IrFunction): void {
  // One pass against liveness (a definition nothing reads before the next one is dead)...
  const { liveOut } = liveness(fn);
  const liveAt = new Int32Array(fn.nextV);
  let stamp = 0;
  for (const [k, b] of fn.blocks.entries()) {
    // live[v] === stamp: v is live at this point of this block's backward walk.
    stamp++;
    const live = (v: V): boolean => liveAt[v] === stamp;
    for (const x of liveOut[k]!) liveAt[x] = stamp;
    for (const x of termUses(b.term)) liveAt[x] = stamp;
    const keep: Ins[] = [];
    for (let k = b.ins.length - 1; k >= 0; k--) {
      const i = b.ins[k]!;
      const d = insDef(i);
      if (d !== undefined && isPure(i) && (!live(d) || (i.op === 'mov' && i.a.k === 'v' && i.a.v === d))) continue;
      // A call's unused result need not be kept anywhere.
      if (i.op === 'call' && d !== undefined && !live(d)) i.d = undefined;
      if (i.op === 'call' && i.d2 !== undefined) {
        if (!live(i.d2)) i.d2 = undefined;
        else liveAt[i.d2] = 0;
      }
      if (d !== undefined) liveAt[d] = 0;
      for (const x of insUses(i)) liveAt[x] = stamp;
      keep.push(i);
    }
    b.ins = keep.reverse();
  }
  // ...then whole chains that only fed the removed code: pure definitions of registers that
  // nothing reads at all, until none is left (cheaper than repeating the liveness pass).
  const uses = new Int32Array(fn.nextV);
  for (const b of fn.blocks) {
    for (const i of b.ins) for (const u of insUses(i)) uses[u]!++;
    for (const u of termUses(b.term)) uses[u]!++;
  }
  let removed = true;
  while (removed) {
    removed = false;
    for (const b of fn.blocks) {
      b.ins = b.ins.filter((i) => {
        const d = insDef(i);
        if (d === undefined || !isPure(i) || uses[d] !== 0) return true;
        for (const u of insUses(i)) uses[u]!--;
        removed = true;
        return false;
      });
    }
  }
}

// ---- copies ------------------------------------------------------------------------------------------

/**
 * `t = op ...; x = t` with t read nowhere else becomes `x = op ...` (an assignment's value is
 * computed into a temporary first; this puts it straight into the variable).
 */
export function coalesceCopies(fn: IrFunction): void {
  const uses = new Int32Array(fn.nextV);
  const defs = new Int32Array(fn.nextV);
  for (const b of fn.blocks) {
    for (const i of b.ins) {
      for (const u of insUses(i)) uses[u]!++;
      const d = insDef(i);
      if (d !== undefined) defs[d]!++;
      const d2 = insDef2(i);
      if (d2 !== undefined) defs[d2]!++;
    }
    for (const u of termUses(b.term)) uses[u]!++;
  }
  for (const b of fn.blocks) {
    const out: Ins[] = [];
    for (const i of b.ins) {
      const prev = out[out.length - 1];
      const t = prev ? insDef(prev) : undefined;
      if (prev && t !== undefined && i.op === 'mov' && i.a.k === 'v' && i.a.v === t && i.d !== t
        && uses[t] === 1 && defs[t] === 1) {
        (prev as { d: V }).d = i.d;
        continue;
      }
      out.push(i);
    }
    b.ins = out;
  }
}

// ---- loop-invariant code motion --------------------------------------------------------------------------

/** The blocks of the natural loop with this header, given the lowering's hint of which blocks are inside. */
function naturalLoop(header: number, hint: Set<number>, preds: Map<number, number[]>): Set<number> {
  const body = new Set<number>([header]);
  const work = (preds.get(header) ?? []).filter((p) => hint.has(p) || p === header);
  while (work.length) {
    const x = work.pop()!;
    if (body.has(x)) continue;
    body.add(x);
    for (const p of preds.get(x) ?? []) work.push(p);
  }
  return body;
}

export function hoistInvariants(fn: IrFunction): void {
  const defCount = new Int32Array(fn.nextV);
  for (const b of fn.blocks) for (const i of b.ins) {
    const d = insDef(i);
    if (d !== undefined) defCount[d]!++;
    const d2 = insDef2(i);
    if (d2 !== undefined) defCount[d2]!++;
  }
  const byId = blockMap(fn);
  // Hoisting moves instructions, never edges: one flow graph serves every loop.
  const preds = predecessors(fn);
  for (const loop of fn.loops) {
    const pre = byId.get(loop.pre);
    if (!pre || !byId.has(loop.header) || pre.term.t !== 'jmp' || pre.term.to !== loop.header) continue;
    const body = naturalLoop(loop.header, loop.body, preds);
    // The walk must stay inside the loop the lowering saw (a goto into it from outside, or a
    // path back to the entry, means this is not a simple loop), and the header must be entered
    // from outside only through the pre-header.
    if (body.has(fn.blocks[0]!.id) || [...body].some((x) => !loop.body.has(x))) continue;
    const entries = [...body].flatMap((x) => (preds.get(x) ?? []).filter((p) => !body.has(p)).map((p) => [x, p] as const));
    if (entries.some(([x, p]) => x !== loop.header || p !== loop.pre)) continue;
    const definedInLoop = new Set<V>();
    for (const x of body) for (const i of byId.get(x)!.ins) {
      const d = insDef(i);
      if (d !== undefined) definedInLoop.add(d);
      const d2 = insDef2(i);
      if (d2 !== undefined) definedInLoop.add(d2);
    }
    let moved = true;
    while (moved) {
      moved = false;
      for (const blk of fn.blocks) {
        if (!body.has(blk.id)) continue;
        blk.ins = blk.ins.filter((i) => {
          const d = insDef(i);
          if (d === undefined || !isPure(i) || defCount[d] !== 1) return true;
          if (insUses(i).some((u) => definedInLoop.has(u))) return true;
          pre.ins.push(i);
          definedInLoop.delete(d);
          moved = true;
          return false;
        });
      }
    }
  }
}

// ---- jumps ----------------------------------------------------------------------------------------------

export function threadJumps(fn: IrFunction): void {
  const byId = blockMap(fn);
  const target = (id: number): number => {
    let x = id;
    for (let n = 0; n < 16; n++) {
      const b = byId.get(x)!;
      if (b.ins.length !== 0 || b.term.t !== 'jmp' || b.term.to === x) break;
      x = b.term.to;
    }
    return x;
  };
  for (const b of fn.blocks) {
    const t = b.term;
    if (t.t === 'jmp') t.to = target(t.to);
    else if (t.t === 'br') { t.yes = target(t.yes); t.no = target(t.no); if (t.yes === t.no) b.term = { t: 'jmp', to: t.yes }; }
    else if (t.t === 'jtab') { t.targets = t.targets.map(target); t.dflt = target(t.dflt); }
  }
  // A block jumping to a block with no other predecessor absorbs it.
  const preds = predecessors(fn);
  const gone = new Set<number>();
  for (const b of fn.blocks) {
    if (gone.has(b.id)) continue;
    for (;;) {
      const t = b.term;
      if (t.t !== 'jmp' || t.to === b.id || t.to === fn.blocks[0]!.id) break;
      const next = byId.get(t.to)!;
      if ((preds.get(next.id) ?? []).length !== 1 || gone.has(next.id)) break;
      b.ins.push(...next.ins);
      b.term = next.term;
      gone.add(next.id);
    }
  }
  fn.blocks = fn.blocks.filter((b) => !gone.has(b.id));
  // Merged blocks' successors now have the merging block as predecessor; nothing else refers to ids.
}

/**
 * Block order: a block whose only predecessor ends in a jump to it (or in a branch whose
 * false side it is) is placed right after that predecessor, so the jump becomes a fall-through.
 * Blocks with several predecessors keep their place (a loop's test stays at its bottom).
 */
export function layout(fn: IrFunction): void {
  const byId = blockMap(fn);
  const preds = predecessors(fn);
  const placed = new Set<number>();
  const order: Block[] = [];
  for (const b0 of fn.blocks) {
    let b: Block | undefined = b0;
    while (b && !placed.has(b.id)) {
      placed.add(b.id);
      order.push(b);
      const t: Term = b.term;
      const next: number | undefined = t.t === 'jmp' ? t.to : t.t === 'br' ? t.no : undefined;
      b = next !== undefined && next !== fn.blocks[0]!.id && preds.get(next)?.length === 1 ? byId.get(next) : undefined;
    }
  }
  fn.blocks = order;
}
