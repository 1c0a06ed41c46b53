/**
 * The optimizer's intermediate representation (docs/cc-optimizer.md): three-address code over
 * virtual registers, in basic blocks that end in one terminator. Values are 32-bit; narrow C
 * values are kept extended to 32 bits as their type says (as the -O0 code generator keeps them).
 * Memory is touched only by load, store and call, and those are never removed or reordered, so
 * accesses through volatile (or MMIO) pointers keep their meaning without the type knowing it.
 */

/** A virtual register. */
export type V = number;

/** An operand: a virtual register or a constant (a number, or a symbol's address plus a number). */
export type Val = { k: 'v'; v: V } | { k: 'i'; n: number; sym?: string };

/** [base + index*scale + sym + disp]; `frame` means the base is ebp (a local in the frame). */
export interface Addr {
  base?: V;
  index?: V;
  scale: 1 | 2 | 4 | 8;
  disp: number;
  sym?: string;
  frame?: boolean;
}

export type BinK = 'add' | 'sub' | 'mul' | 'and' | 'or' | 'xor' | 'shl' | 'shr' | 'sar';
export type DivK = 'sdiv' | 'udiv' | 'srem' | 'urem';
export type ExtK = 'sx8' | 'zx8' | 'sx16' | 'zx16';
/** x86 condition codes (of `cmp a, b`). */
export type Cc = 'e' | 'ne' | 'l' | 'le' | 'g' | 'ge' | 'b' | 'be' | 'a' | 'ae';

export type Ins =
  | { op: 'mov'; d: V; a: Val }
  | { op: 'bin'; k: BinK; d: V; a: Val; b: Val }
  | { op: 'div'; k: DivK; d: V; a: Val; b: Val }
  | { op: 'un'; k: 'neg' | 'not'; d: V; a: Val }
  | { op: 'ext'; k: ExtK; d: V; a: Val }
  /** d = (a cc b) ? 1 : 0 */
  | { op: 'set'; cc: Cc; d: V; a: Val; b: Val }
  | { op: 'load'; d: V; addr: Addr; size: 1 | 2 | 4; signed: boolean }
  | { op: 'store'; addr: Addr; a: Val; size: 1 | 2 | 4 }
  | { op: 'lea'; d: V; addr: Addr }
  /**
   * Arguments in C order (pushed last first; a 64-bit one is two, low word first); the result
   * (eax) in d and, for a 64-bit result, its high word (edx) in d2. `tail`: the block's return
   * returns what this call returns, and it is emitted as a jump (tail.ts).
   */
  | { op: 'call'; d: V | undefined; d2?: V; fn: Val; args: Val[]; tail?: boolean };

export type Term =
  | { t: 'jmp'; to: number }
  /** cmp a, b; jcc yes; else no. */
  | { t: 'br'; cc: Cc; a: Val; b: Val; yes: number; no: number }
  /** a in eax and, for a 64-bit result, a2 in edx. */
  | { t: 'ret'; a: Val | undefined; a2?: Val }
  /** A jump table over a - min in [0, targets.length); anything else goes to dflt. */
  | { t: 'jtab'; a: Val; min: number; targets: number[]; dflt: number };

export interface Block {
  id: number;
  ins: Ins[];
  term: Term;
}

export interface IrFunction {
  /** Blocks in layout order; blocks[0] is the entry. Ids index `byId`, not this array. */
  blocks: Block[];
  nextV: number;
  /**
   * Loops found while lowering, inner ones first: the pre-header (the one way in from outside),
   * the header it jumps to, and the blocks lowered inside the loop (a hint: optimize.ts
   * recomputes the natural loop from the flow graph before trusting it).
   */
  loops: { pre: number; header: number; body: Set<number> }[];
}

export const vreg = (v: V): Val => ({ k: 'v', v });
export const imm = (n: number): Val => ({ k: 'i', n: n | 0 });

export const SWAP_CC: Record<Cc, Cc> = { e: 'e', ne: 'ne', l: 'g', le: 'ge', g: 'l', ge: 'le', b: 'a', be: 'ae', a: 'b', ae: 'be' };
export const NOT_CC: Record<Cc, Cc> = { e: 'ne', ne: 'e', l: 'ge', le: 'g', g: 'le', ge: 'l', b: 'ae', be: 'a', a: 'be', ae: 'b' };

/** The registers an instruction reads. (Called for every instruction by every pass: no closures.) */
export function insUses(i: Ins): V[] {
  switch (i.op) {
    case 'mov': case 'un': case 'ext': return i.a.k === 'v' ? [i.a.v] : [];
    case 'bin': case 'div': case 'set': {
      const out: V[] = [];
      if (i.a.k === 'v') out.push(i.a.v);
      if (i.b.k === 'v') out.push(i.b.v);
      return out;
    }
    case 'load': case 'lea': return addrUses(i.addr, []);
    case 'store': {
      const out = addrUses(i.addr, []);
      if (i.a.k === 'v') out.push(i.a.v);
      return out;
    }
    case 'call': {
      const out: V[] = [];
      if (i.fn.k === 'v') out.push(i.fn.v);
      for (const x of i.args) if (x.k === 'v') out.push(x.v);
      return out;
    }
  }
}

function addrUses(a: Addr, out: V[]): V[] {
  if (a.base !== undefined) out.push(a.base);
  if (a.index !== undefined) out.push(a.index);
  return out;
}

export function insDef(i: Ins): V | undefined {
  return i.op === 'store' ? undefined : i.d;
}

/** The second register an instruction defines: a call's 64-bit result's high word. */
export function insDef2(i: Ins): V | undefined {
  return i.op === 'call' ? i.d2 : undefined;
}

export function termUses(t: Term): V[] {
  const out: V[] = [];
  const val = (x: Val | undefined): void => { if (x?.k === 'v') out.push(x.v); };
  if (t.t === 'br') { val(t.a); val(t.b); }
  if (t.t === 'ret' || t.t === 'jtab') val(t.a);
  if (t.t === 'ret') val(t.a2);
  return out;
}

export function successors(t: Term): number[] {
  switch (t.t) {
    case 'jmp': return [t.to];
    case 'br': return t.yes === t.no ? [t.yes] : [t.yes, t.no];
    case 'ret': return [];
    case 'jtab': return [...new Set([...t.targets, t.dflt])];
  }
}

/**
 * Rewrites every register an instruction reads through f. The instruction itself comes back
 * when f changes nothing (f returns the value it was given), so a pass over a block that
 * rewrites little allocates little.
 */
export function mapUses(i: Ins, f: (x: Val) => Val): Ins {
  switch (i.op) {
    case 'mov': case 'un': case 'ext': {
      const a = f(i.a);
      return a === i.a ? i : { ...i, a };
    }
    case 'bin': case 'div': case 'set': {
      const a = f(i.a), b = f(i.b);
      return a === i.a && b === i.b ? i : { ...i, a, b };
    }
    case 'load': case 'lea': {
      const addr = mapAddr(i.addr, f);
      return addr === i.addr ? i : { ...i, addr };
    }
    case 'store': {
      const addr = mapAddr(i.addr, f), a = f(i.a);
      return addr === i.addr && a === i.a ? i : { ...i, addr, a };
    }
    case 'call': {
      const fn = f(i.fn);
      let args: Val[] | undefined;
      for (let k = 0; k < i.args.length; k++) {
        const x = f(i.args[k]!);
        if (x !== i.args[k] && !args) args = i.args.slice(0, k);
        args?.push(x);
      }
      return fn === i.fn && !args ? i : { ...i, fn, args: args ?? i.args };
    }
  }
}

/** An address with its registers rewritten through f (a constant folds into the displacement). */
function mapAddr(a: Addr, f: (x: Val) => Val): Addr {
  const baseIn = a.base === undefined ? undefined : vreg(a.base);
  const indexIn = a.index === undefined ? undefined : vreg(a.index);
  const b = baseIn && f(baseIn);
  const x = indexIn && f(indexIn);
  if (b === baseIn && x === indexIn) return a;
  const out: Addr = { ...a };
  if (b) {
    if (b.k === 'v') out.base = b.v;
    else if (b.sym === undefined || out.sym === undefined) { delete out.base; out.disp = (out.disp + b.n) | 0; if (b.sym) out.sym = b.sym; }
  }
  if (x) {
    if (x.k === 'v') out.index = x.v;
    else if (x.sym === undefined) { delete out.index; out.disp = (out.disp + Math.imul(x.n, a.scale)) | 0; }
  }
  return out;
}

export function mapTermUses(t: Term, f: (x: Val) => Val): Term {
  if (t.t === 'br') {
    const a = f(t.a), b = f(t.b);
    return a === t.a && b === t.b ? t : { ...t, a, b };
  }
  if (t.t === 'ret') {
    const a = t.a && f(t.a), a2 = t.a2 && f(t.a2);
    return a === t.a && a2 === t.a2 ? t : { ...t, a, a2 };
  }
  if (t.t === 'jtab') {
    const a = f(t.a);
    return a === t.a ? t : { ...t, a };
  }
  return t;
}

/** A readable listing, for tests and debugging. */
export function printIr(fn: IrFunction): string {
  const v = (x: Val): string => (x.k === 'v' ? `v${x.v}` : x.sym ? `${x.sym}+${x.n}` : `${x.n}`);
  const a = (m: Addr): string => `[${[m.frame ? 'ebp' : '', m.base !== undefined ? `v${m.base}` : '', m.index !== undefined ? `v${m.index}*${m.scale}` : '', m.sym ?? '', `${m.disp}`].filter(Boolean).join('+')}]`;
  const lines: string[] = [];
  for (const b of fn.blocks) {
    lines.push(`B${b.id}:`);
    for (const i of b.ins) {
      switch (i.op) {
        case 'mov': lines.push(`  v${i.d} = ${v(i.a)}`); break;
        case 'bin': case 'div': lines.push(`  v${i.d} = ${i.k} ${v(i.a)}, ${v(i.b)}`); break;
        case 'un': case 'ext': lines.push(`  v${i.d} = ${i.k} ${v(i.a)}`); break;
        case 'set': lines.push(`  v${i.d} = set${i.cc} ${v(i.a)}, ${v(i.b)}`); break;
        case 'load': lines.push(`  v${i.d} = load${i.size}${i.signed ? 's' : ''} ${a(i.addr)}`); break;
        case 'store': lines.push(`  store${i.size} ${a(i.addr)}, ${v(i.a)}`); break;
        case 'lea': lines.push(`  v${i.d} = lea ${a(i.addr)}`); break;
        case 'call': lines.push(`  ${i.d !== undefined ? `v${i.d}${i.d2 !== undefined ? `:v${i.d2}` : ''} = ` : ''}call ${v(i.fn)}(${i.args.map(v).join(', ')})`); break;
      }
    }
    const t = b.term;
    if (t.t === 'jmp') lines.push(`  jmp B${t.to}`);
    else if (t.t === 'br') lines.push(`  br ${t.cc} ${v(t.a)}, ${v(t.b)} ? B${t.yes} : B${t.no}`);
    else if (t.t === 'ret') lines.push(`  ret${t.a ? ` ${v(t.a)}` : ''}${t.a2 ? `:${v(t.a2)}` : ''}`);
    else lines.push(`  jtab ${v(t.a)} - ${t.min} [${t.targets.map((x) => `B${x}`).join(' ')}] else B${t.dflt}`);
  }
  return lines.join('\n');
}
