/**
 * Expression code generation. Every subexpression is generated with at least two temporaries
 * free: an operation holding a value while it generates another operand spills the held value
 * to the stack first when fewer than two are free, and takes it back afterwards.
 */
import type { CmpOp, Expr } from './ast.js';
import { Emitter, imm, InternalError, loadOp, POOL, type Addr, type Reg, type Val } from './emitter.js';
import { INT, is64, isInt, sizeOf, type Type } from './types.js';
import { genBuiltin } from './builtins.js';
import { genAssign, genIncDec, genInit, genOpAssign, loadField, fieldExtend } from './genassign.js';

type Held = { kind: 'kept'; v: Val } | { kind: 'pushed'; wide: boolean };
type HeldAddr = { kind: 'kept'; a: Addr } | { kind: 'pushed'; a: Addr };

export function hold(g: Emitter, v: Val): Held {
  if (g.freeCount() >= 2) return { kind: 'kept', v };
  if (v.hi) g.emit(`push ${v.hi}`);
  g.emit(`push ${v.lo}`);
  g.releaseVal(v);
  return { kind: 'pushed', wide: v.hi !== undefined };
}

/** Takes a held value back: into fresh temporaries when there are any, else eax (and edx). */
export function unhold(g: Emitter, h: Held): Val {
  if (h.kind === 'kept') return h.v;
  const lo: Reg = g.freeCount() >= (h.wide ? 2 : 1) ? g.alloc() : 'eax';
  g.emit(`pop ${lo}`);
  if (!h.wide) return { lo };
  const hi: Reg = lo !== 'eax' ? g.alloc() : 'edx';
  g.emit(`pop ${hi}`);
  return { lo, hi };
}

export function holdAddr(g: Emitter, a0: Addr): HeldAddr {
  let a = a0;
  if (g.freeCount() >= 2) return { kind: 'kept', a };
  if (a.index) a = { base: g.lea(a), off: 0 };
  if (!a.base || a.base === 'ebp' || a.base === 'esp') return { kind: 'kept', a };
  g.emit(`push ${a.base}`);
  g.release(a.base);
  return { kind: 'pushed', a };
}

export function unholdAddr(g: Emitter, h: HeldAddr): Addr {
  if (h.kind === 'kept') return h.a;
  const r: Reg = g.freeCount() >= 1 ? g.alloc() : 'edx';
  g.emit(`pop ${r}`);
  return { ...h.a, base: r };
}

/** An lvalue whose address needs no register (a variable or a member of one). */
export function isSimple(e: Expr): boolean {
  if (e.e === 'var' || e.e === 'str') return true;
  return e.e === 'member' && isSimple(e.a);
}

function isWord(t: Type): boolean {
  return (t.k === 'int' && t.size === 4) || t.k === 'ptr';
}

export function genAddr(g: Emitter, e: Expr): Addr {
  switch (e.e) {
    case 'var':
      return e.v.kind === 'local' ? { base: 'ebp', off: e.v.off } : { sym: e.v.asm, off: 0 };
    case 'str':
      return { sym: e.label, off: 0 };
    case 'member': {
      const a = genAddr(g, e.a);
      return { ...a, off: a.off + e.off };
    }
    case 'compound': {
      const a: Addr = { base: 'ebp', off: e.v.off };
      genInit(g, a, e.ty, e.entries, e.zero);
      return a;
    }
    case 'deref': {
      const p = e.a;
      if (p.e === 'bin' && p.op === '+' && p.b.e !== 'num' && !is64(p.ty)) return indexed(g, p.a, p.b);
      if (p.e === 'bin' && (p.op === '+' || p.op === '-') && p.b.e === 'num' && !is64(p.ty)) {
        const k = Number(BigInt.asIntN(32, p.b.val));
        const base = gen(g, p.a)!.lo;
        return { base, off: p.op === '+' ? k : -k };
      }
      if (p.e === 'addr') return genAddr(g, p.a);
      return { base: gen(g, p)!.lo, off: 0 };
    }
    default:
      return { base: gen(g, e)!.lo, off: 0 };
  }
}

/** Looks through conversions that do not change a 32-bit value. */
function strip32(e: Expr): Expr {
  let x = e;
  while (x.e === 'cast' && sizeOf(x.ty) === 4 && x.a.ty.k !== 'struct' && x.a.ty.k !== 'void' && sizeOf(x.a.ty) === 4) x = x.a;
  return x;
}

/** [base + index*scale]: an array element or pointer plus offset, without an add. */
function indexed(g: Emitter, p: Expr, off: Expr): Addr {
  let idx = strip32(off);
  let scale = 1;
  if (idx.e === 'bin' && idx.op === '*' && idx.b.e === 'num' && [1n, 2n, 4n, 8n].includes(idx.b.val) && sizeOf(idx.ty) === 4) {
    scale = Number(idx.b.val);
    idx = strip32(idx.a);
  }
  const base: Addr = p.e === 'addr' && isSimple(p.a) ? genAddr(g, p.a) : { base: gen(g, p)!.lo, off: 0 };
  const h = holdAddr(g, base);
  const i = gen(g, idx)!.lo;
  const a = unholdAddr(g, h);
  return { ...a, index: i, scale };
}

function numVal(g: Emitter, val: bigint, ty: Type): Val {
  const lo = g.alloc();
  g.emit(`mov ${lo}, ${imm(val)}`);
  if (!is64(ty)) return { lo };
  const hi = g.alloc();
  g.emit(`mov ${hi}, ${imm(val >> 32n)}`);
  return { lo, hi };
}

/** Generates a value (undefined for void). The result is always in pool registers. */
export function gen(g: Emitter, e: Expr): Val | undefined {
  g.loc = e.loc;
  switch (e.e) {
    case 'num': return numVal(g, e.val, e.ty);
    case 'var': case 'deref': case 'member': case 'str': case 'compound':
      return g.load(genAddr(g, e), e.ty);
    case 'bitfield': return loadField(g, e);
    case 'bfpost': {
      const r = gen(g, e.a)!.lo;
      g.emit(`add ${r}, ${imm(-e.delta)}`);
      fieldExtend(g, r, e.width, e.signed);
      return { lo: r };
    }
    case 'addr':
      return { lo: g.lea(genAddr(g, e.a)) };
    case 'cast': {
      if (e.ty.k === 'void') { genVoid(g, e.a); return undefined; }
      const v = gen(g, e.a);
      if (!v) throw new InternalError('cast of a void value');
      return g.convert(v, e.a.ty, e.ty);
    }
    case 'unop': return genUnop(g, e);
    case 'bin':
      return is64(e.ty) ? gen64(g, e.op, e.a, e.b, e.ty) : genBin32(g, e.op, e.a, e.b, e.ty);
    case 'cmp': {
      const cc = genCompare(g, e.op, e.a, e.b);
      const r = g.alloc();
      g.emit(`set${cc} ${r}`);
      return { lo: r };
    }
    case 'logic': {
      const f = g.newLabel(), end = g.newLabel();
      branch(g, e, f, false);
      const r = g.alloc();
      g.emit(`mov ${r}, 1`);
      g.emit(`jmp ${end}`);
      g.label(f);
      g.emit(`mov ${r}, 0`);
      g.label(end);
      return { lo: r };
    }
    case 'assign': return genAssign(g, e, true);
    case 'opassign': return genOpAssign(g, e, true);
    case 'incdec': return genIncDec(g, e, true);
    case 'call': return genCall(g, e);
    case 'cond': return genCond(g, e);
    case 'comma':
      genVoid(g, e.a);
      return gen(g, e.b);
    case 'builtin': return genBuiltin(g, e);
    case 'vaarg': {
      const a = g.compact(genAddr(g, e.ap));
      const r = g.alloc();
      g.emit(`mov ${r}, ${g.fmt(a)}`);
      g.emit(`lea eax, [${r} + ${Math.ceil(sizeOf(e.ty) / 4) * 4}]`);
      g.emit(`mov ${g.fmt(a)}, eax`);
      g.releaseAddr(a);
      return g.load({ base: r, off: 0 }, e.ty);
    }
    case 'vastart': {
      const a = genAddr(g, e.ap);
      g.emit(`lea eax, [ebp + ${e.off}]`);
      g.emit(`mov ${g.fmt(a)}, eax`);
      g.releaseAddr(a);
      return undefined;
    }
  }
}

/** Generates for side effects only. */
export function genVoid(g: Emitter, e: Expr): void {
  g.loc = e.loc;
  switch (e.e) {
    case 'assign': genAssign(g, e, false); return;
    case 'opassign': genOpAssign(g, e, false); return;
    case 'incdec': genIncDec(g, e, false); return;
    case 'comma': genVoid(g, e.a); genVoid(g, e.b); return;
    case 'cast': genVoid(g, e.a); return;
    case 'num': case 'var': case 'str': return;
    case 'cond': {
      const f = g.newLabel(), end = g.newLabel();
      branch(g, e.c, f, false);
      genVoid(g, e.a);
      g.emit(`jmp ${end}`);
      g.label(f);
      genVoid(g, e.b);
      g.label(end);
      return;
    }
    case 'logic': {
      const end = g.newLabel();
      branch(g, e.a, end, e.op === '||');
      genVoid(g, e.b);
      g.label(end);
      return;
    }
    default:
      g.releaseVal(gen(g, e));
  }
}

function genUnop(g: Emitter, e: Extract<Expr, { e: 'unop' }>): Val {
  const v = gen(g, e.a)!;
  if (e.op === '!') {
    if (v.hi) { g.emit(`or ${v.lo}, ${v.hi}`); g.release(v.hi); }
    g.emit(`test ${v.lo}, ${v.lo}`);
    g.emit(`sete ${v.lo}`);
    return { lo: v.lo };
  }
  if (e.op === '~') {
    g.emit(`not ${v.lo}`);
    if (v.hi) g.emit(`not ${v.hi}`);
    return v;
  }
  g.emit(`neg ${v.lo}`);
  if (v.hi) { g.emit(`adc ${v.hi}, 0`); g.emit(`neg ${v.hi}`); }
  return v;
}

export const ALU: Record<string, string> = { '+': 'add', '-': 'sub', '*': 'imul', '&': 'and', '|': 'or', '^': 'xor' };

function genBin32(g: Emitter, op: string, a: Expr, b: Expr, ty: Type): Val {
  const signed = ty.k === 'int' && ty.signed;
  const shift = op === '<<' ? 'shl' : op === '>>' ? (signed ? 'sar' : 'shr') : undefined;
  const x0 = gen(g, a)!.lo;
  if (b.e === 'num' && op !== '/' && op !== '%') {
    if (shift) g.emit(`${shift} ${x0}, ${Number(b.val & 31n)}`);
    else g.emit(`${ALU[op]} ${x0}, ${imm(b.val)}`);
    return { lo: x0 };
  }
  if (ALU[op] && isSimple(b) && isWord(b.ty)) {
    g.emit(`${ALU[op]} ${x0}, ${g.fmt(genAddr(g, b))}`);
    return { lo: x0 };
  }
  const h = hold(g, { lo: x0 });
  const y = gen(g, b)!.lo;
  const x = unhold(g, h).lo;
  if (op === '/' || op === '%') {
    if (x !== 'eax') g.emit(`mov eax, ${x}`);
    if (signed) { g.emit('cdq'); g.emit(`idiv ${y}`); } else { g.emit('mov edx, 0'); g.emit(`div ${y}`); }
    const dst = x !== 'eax' ? x : y;
    g.emit(`mov ${dst}, ${op === '/' ? 'eax' : 'edx'}`);
    if (dst !== y) g.release(y);
    return { lo: dst };
  }
  g.emit(`${shift ?? ALU[op]} ${x}, ${y}`);
  if (x === 'eax') { g.emit(`mov ${y}, eax`); return { lo: y }; }
  g.release(y);
  return { lo: x };
}

/** Pushes a value (hi first, so lo ends up at the lower address) and frees its registers. */
export function pushVal(g: Emitter, v: Val): void {
  if (v.hi) g.emit(`push ${v.hi}`);
  g.emit(`push ${v.lo}`);
  g.releaseVal(v);
}

export function resultPair(g: Emitter): Val {
  const lo = g.alloc(), hi = g.alloc();
  g.emit(`mov ${lo}, eax`);
  g.emit(`mov ${hi}, edx`);
  return { lo, hi };
}

const INLINE64: Record<string, [string, string]> = {
  '+': ['add', 'adc'], '-': ['sub', 'sbb'], '&': ['and', 'and'], '|': ['or', 'or'], '^': ['xor', 'xor'],
};

/** Applies op to the two 64-bit operands on the stack (a pushed first); result in edx:eax. */
export function op64OnStack(g: Emitter, op: string, signed: boolean): void {
  const inl = INLINE64[op];
  if (inl) {
    g.emit('mov eax, [esp + 8]');
    g.emit('mov edx, [esp + 12]');
    g.emit(`${inl[0]} eax, [esp]`);
    g.emit(`${inl[1]} edx, [esp + 4]`);
    g.emit('add esp, 16');
    return;
  }
  if (op === '<<' || op === '>>') {
    g.emit(`call ${g.helper(op === '<<' ? 'shl64' : signed ? 'sar64' : 'shr64')}`);
    g.emit('add esp, 12');
    return;
  }
  const name = op === '*' ? 'mul64' : `${signed ? 's' : 'u'}${op === '/' ? 'div' : 'mod'}64`;
  g.emit(`call ${g.helper(name)}`);
  g.emit('add esp, 16');
}

function gen64(g: Emitter, op: string, a: Expr, b: Expr, ty: Type): Val {
  pushVal(g, gen(g, a)!);
  pushVal(g, gen(g, b)!);
  op64OnStack(g, op, ty.k === 'int' && ty.signed);
  return resultPair(g);
}

const CC: Record<CmpOp, [string, string]> = {
  '<': ['l', 'b'], '<=': ['le', 'be'], '>': ['g', 'a'], '>=': ['ge', 'ae'], '==': ['e', 'e'], '!=': ['ne', 'ne'],
};
const NEGATE: Record<string, string> = { l: 'ge', ge: 'l', le: 'g', g: 'le', b: 'ae', ae: 'b', be: 'a', a: 'be', e: 'ne', ne: 'e' };

/** Emits a comparison that sets the flags; returns the condition code meaning "true". */
function genCompare(g: Emitter, op: CmpOp, a: Expr, b: Expr): string {
  const signed = isInt(a.ty) && a.ty.signed;
  if (is64(a.ty)) {
    pushVal(g, gen(g, a)!);
    pushVal(g, gen(g, b)!);
    g.emit(`call ${g.helper(signed ? 'scmp64' : 'ucmp64')}`);
    g.emit('add esp, 16');
    g.emit('cmp eax, 0');
    return CC[op][0];
  }
  const cc = CC[op][signed ? 0 : 1];
  const x0 = gen(g, a)!.lo;
  if (b.e === 'num') {
    g.emit(`cmp ${x0}, ${imm(b.val)}`);
    g.release(x0);
    return cc;
  }
  if (isSimple(b) && isWord(b.ty)) {
    g.emit(`cmp ${x0}, ${g.fmt(genAddr(g, b))}`);
    g.release(x0);
    return cc;
  }
  const h = hold(g, { lo: x0 });
  const y = gen(g, b)!.lo;
  const x = unhold(g, h).lo;
  g.emit(`cmp ${x}, ${y}`);
  g.release(x);
  g.release(y);
  return cc;
}

/** Jumps to target when e is true (whenTrue) or false; falls through otherwise. */
export function branch(g: Emitter, e: Expr, target: string, whenTrue: boolean): void {
  g.loc = e.loc;
  switch (e.e) {
    case 'num':
      if ((e.val !== 0n) === whenTrue) g.emit(`jmp ${target}`);
      return;
    case 'unop':
      if (e.op === '!') { branch(g, e.a, target, !whenTrue); return; }
      break;
    case 'logic': {
      const and = e.op === '&&';
      if (and !== whenTrue) {
        branch(g, e.a, target, whenTrue);
        branch(g, e.b, target, whenTrue);
      } else {
        const skip = g.newLabel();
        branch(g, e.a, skip, !whenTrue);
        branch(g, e.b, target, whenTrue);
        g.label(skip);
      }
      return;
    }
    case 'cmp': {
      const cc = genCompare(g, e.op, e.a, e.b);
      g.emit(`j${whenTrue ? cc : NEGATE[cc]} ${target}`);
      return;
    }
    default: break;
  }
  const v = gen(g, e)!;
  if (v.hi) { g.emit(`or ${v.lo}, ${v.hi}`); g.release(v.hi); }
  g.emit(`test ${v.lo}, ${v.lo}`);
  g.release(v.lo);
  g.emit(`j${whenTrue ? 'ne' : 'e'} ${target}`);
}

function genCall(g: Emitter, e: Extract<Expr, { e: 'call' }>): Val | undefined {
  const saved = g.liveCallerSaved();
  for (const r of saved) g.emit(`push ${r}`);
  let pushed = 0;
  const ret = e.fty.ret;
  const slot = ret.k === 'struct' ? g.tempSlot(sizeOf(ret)) : 0;
  for (let i = e.args.length - 1; i >= 0; i--) {
    const arg = e.args[i]!;
    g.loc = arg.loc;
    if (arg.ty.k === 'struct') {
      const n = Math.ceil(sizeOf(arg.ty) / 4) * 4;
      g.emit(`sub esp, ${n}`);
      pushed += n;
      const src = gen(g, arg)!.lo;
      g.copy({ base: 'esp', off: 0 }, { base: src, off: 0 }, sizeOf(arg.ty));
      g.release(src);
    } else if (arg.e === 'num') {
      if (is64(arg.ty)) { g.emit(`push ${imm(arg.val >> 32n)}`); pushed += 4; }
      g.emit(`push ${imm(arg.val)}`);
      pushed += 4;
    } else {
      const v = gen(g, arg)!;
      pushed += v.hi ? 8 : 4;
      pushVal(g, v);
    }
  }
  if (ret.k === 'struct') {
    g.emit(`lea eax, [ebp - ${-slot}]`);
    g.emit('push eax');
    pushed += 4;
  }
  const fn = e.fn;
  if (fn.e === 'addr' && fn.a.e === 'var' && fn.a.v.kind === 'global') {
    g.emit(`call ${fn.a.v.asm}`);
  } else {
    const r = gen(g, fn)!.lo;
    g.emit(`call ${r}`);
    g.release(r);
  }
  if (pushed) g.emit(`add esp, ${pushed}`);
  let result: Val | undefined;
  if (ret.k === 'struct') {
    const r = g.alloc();
    g.emit(`lea ${r}, [ebp - ${-slot}]`);
    result = { lo: r };
  } else if (is64(ret)) {
    result = resultPair(g);
  } else if (ret.k !== 'void') {
    const r = g.alloc();
    g.emit(`${ret.k === 'int' && ret.size < 4 ? `${loadOp(ret)}` : 'mov'} ${r}, eax`);
    result = { lo: r };
  }
  for (const r of [...saved].reverse()) g.emit(`pop ${r}`);
  return result;
}

function genCond(g: Emitter, e: Extract<Expr, { e: 'cond' }>): Val | undefined {
  const f = g.newLabel(), end = g.newLabel();
  branch(g, e.c, f, false);
  if (e.ty.k === 'void') {
    genVoid(g, e.a);
    g.emit(`jmp ${end}`);
    g.label(f);
    genVoid(g, e.b);
    g.label(end);
    return undefined;
  }
  const va = gen(g, e.a)!;
  g.releaseVal(va);
  g.emit(`jmp ${end}`);
  g.label(f);
  const vb = gen(g, e.b)!;
  g.moveTo(va, vb);
  g.releaseVal(vb);
  g.label(end);
  g.take(va.lo);
  if (va.hi) g.take(va.hi);
  return va;
}

export { POOL, INT };
