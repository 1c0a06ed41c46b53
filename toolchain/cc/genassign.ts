/**
 * Stores: assignment, compound assignment, ++/--, bit-fields and initializers of automatic
 * objects. Values are combined in eax (the scratch register), so an update needs no temporary
 * beyond the address and the operand.
 */
import type { Expr, InitEntry } from './ast.js';
import { type Addr, type Emitter, imm, type Reg, type Val } from './emitter.js';
import {
  ALU, gen, genAddr, holdAddr, isSimple, op64OnStack, pushVal, resultPair, unholdAddr,
} from './genexpr.js';
import { is64, sizeOf, type Type } from './types.js';

/** Sign-extends (or masks) the low `width` bits of r to a full int. */
export function fieldExtend(g: Emitter, r: Reg, width: number, signed: boolean): void {
  if (width >= 32) return;
  if (signed) { g.emit(`shl ${r}, ${32 - width}`); g.emit(`sar ${r}, ${32 - width}`); }
  else g.emit(`and ${r}, ${(2 ** width - 1) | 0}`);
}

function unsignedUnit(t: Type): Type {
  return t.k === 'int' ? { ...t, signed: false } : t;
}

export function loadField(g: Emitter, e: Extract<Expr, { e: 'bitfield' }>): Val {
  const a = g.addrOff(genAddr(g, e.a), e.off);
  const r = g.load(a, unsignedUnit(e.unit)).lo;
  const signed = e.unit.k === 'int' && e.unit.signed;
  if (signed) {
    if (32 - e.bit - e.width) g.emit(`shl ${r}, ${32 - e.bit - e.width}`);
    if (32 - e.width) g.emit(`sar ${r}, ${32 - e.width}`);
  } else {
    if (e.bit) g.emit(`shr ${r}, ${e.bit}`);
    fieldExtend(g, r, e.width, false);
  }
  return { lo: r };
}

/** Read-modify-write of a bit-field's unit; v (a pool register) ends up as the field's new value. */
export function storeField(g: Emitter, a: Addr, f: { bit: number; width: number; unit: Type }, v: Reg): void {
  const mask = f.width >= 32 ? 0xffffffff : 2 ** f.width - 1;
  g.loadInto('eax', a, unsignedUnit(f.unit));
  g.emit(`and eax, ${~(mask * 2 ** f.bit) | 0}`);
  g.emit(`and ${v}, ${mask | 0}`);
  if (f.bit) g.emit(`shl ${v}, ${f.bit}`);
  g.emit(`or eax, ${v}`);
  g.store(a, f.unit, { lo: 'eax' });
  if (f.bit) g.emit(`shr ${v}, ${f.bit}`);
  fieldExtend(g, v, f.width, f.unit.k === 'int' && f.unit.signed);
}

function genFieldAssign(g: Emitter, f: Extract<Expr, { e: 'bitfield' }>, b: Expr, want: boolean): Val | undefined {
  let a: Addr;
  let v: Reg;
  if (isSimple(f.a)) {
    v = gen(g, b)!.lo;
    a = genAddr(g, f.a);
  } else {
    const h = holdAddr(g, genAddr(g, f.a));
    v = gen(g, b)!.lo;
    a = unholdAddr(g, h);
  }
  storeField(g, g.addrOff(a, f.off), f, v);
  g.releaseAddr(a);
  if (!want) { g.release(v); return undefined; }
  return { lo: v };
}

export function genAssign(g: Emitter, e: Extract<Expr, { e: 'assign' }>, want: boolean): Val | undefined {
  const ty = e.a.ty;
  if (e.a.e === 'bitfield') return genFieldAssign(g, e.a, e.b, want);
  if (ty.k === 'struct') {
    let dst: Addr;
    let src: Reg;
    if (isSimple(e.a)) {
      src = gen(g, e.b)!.lo;
      dst = genAddr(g, e.a);
    } else {
      const h = holdAddr(g, genAddr(g, e.a));
      src = gen(g, e.b)!.lo;
      dst = unholdAddr(g, h);
    }
    g.copy(dst, { base: src, off: 0 }, sizeOf(ty));
    g.release(src);
    if (!want) { g.releaseAddr(dst); return undefined; }
    return { lo: g.lea(dst) };
  }
  if (e.b.e === 'num' && !want) {
    const a = genAddr(g, e.a);
    g.storeImm(a, ty, e.b.val);
    g.releaseAddr(a);
    return undefined;
  }
  let a: Addr;
  let v: Val;
  if (isSimple(e.a)) {
    v = gen(g, e.b)!;
    a = genAddr(g, e.a);
  } else {
    const h = holdAddr(g, genAddr(g, e.a));
    v = gen(g, e.b)!;
    a = unholdAddr(g, h);
  }
  g.store(a, ty, v);
  g.releaseAddr(a);
  if (!want) { g.releaseVal(v); return undefined; }
  return v;
}

/** Narrows eax to the lvalue's type (for _Bool, the truth value) before a store. */
function fixForStore(g: Emitter, ty: Type): void {
  if (ty.k === 'int' && ty.rank === 0) { g.emit('test eax, eax'); g.emit('setne eax'); }
}

/** The value of an assignment expression: the stored value, read back at the lvalue's type. */
function resultFromEax(g: Emitter, ty: Type, r?: Reg): Val {
  const dst = r ?? g.alloc();
  if (ty.k === 'int' && ty.size < 4) g.emit(`${ty.signed ? 'movsx' : 'movzx'}${ty.size === 1 ? 'b' : 'w'} ${dst}, eax`);
  else g.emit(`mov ${dst}, eax`);
  return { lo: dst };
}

export function genOpAssign(g: Emitter, e: Extract<Expr, { e: 'opassign' }>, want: boolean): Val | undefined {
  const ty = e.a.ty;
  if (is64(ty) || is64(e.opTy)) return genOpAssign64(g, e, want);
  const signed = e.opTy.k === 'int' && e.opTy.signed;
  // A plain variable operand is used straight from memory (`add eax, [ebp - 8]`).
  const memB = ALU[e.op] !== undefined && isSimple(e.b) && (e.b.ty.k === 'ptr' || (e.b.ty.k === 'int' && e.b.ty.size === 4));
  const needReg = (e.b.e !== 'num' && !memB) || e.op === '/' || e.op === '%';
  let a: Addr;
  let w: Reg | undefined;
  if (isSimple(e.a)) {
    w = needReg ? gen(g, e.b)!.lo : undefined;
    a = genAddr(g, e.a);
  } else {
    const h = holdAddr(g, genAddr(g, e.a));
    w = needReg ? gen(g, e.b)!.lo : undefined;
    a = unholdAddr(g, h);
    if (a.base === 'edx') { const r = g.alloc(); g.emit(`mov ${r}, edx`); a = { ...a, base: r }; }
  }
  g.loadInto('eax', a, ty);
  const operand = w ?? (memB ? g.fmt(genAddr(g, e.b)) : imm((e.b as { val: bigint }).val));
  switch (e.op) {
    case '/': case '%':
      if (signed) { g.emit('cdq'); g.emit(`idiv ${w}`); } else { g.emit('mov edx, 0'); g.emit(`div ${w}`); }
      if (e.op === '%') g.emit('mov eax, edx');
      break;
    case '<<': g.emit(`shl eax, ${w ?? Number((e.b as { val: bigint }).val & 31n)}`); break;
    case '>>': g.emit(`${signed ? 'sar' : 'shr'} eax, ${w ?? Number((e.b as { val: bigint }).val & 31n)}`); break;
    default: g.emit(`${ALU[e.op]} eax, ${operand}`);
  }
  fixForStore(g, ty);
  g.store(a, ty, { lo: 'eax' });
  g.releaseAddr(a);
  if (!want) { g.release(w); return undefined; }
  return resultFromEax(g, ty, w);
}

/** 64-bit compound assignment through the stack: address, current value and operand. */
function genOpAssign64(g: Emitter, e: Extract<Expr, { e: 'opassign' }>, want: boolean): Val | undefined {
  const ty = e.a.ty;
  const simple = isSimple(e.a);
  let a: Addr;
  if (simple) a = genAddr(g, e.a);
  else {
    const p = g.lea(genAddr(g, e.a));
    g.emit(`push ${p}`);
    g.release(p);
    a = { base: 'edx', off: 0 };
    g.emit('mov edx, [esp]');
  }
  const cur = g.convert(g.load(a, ty), ty, e.opTy)!;
  pushVal(g, cur);
  const w = gen(g, e.b)!;
  pushVal(g, is64(e.b.ty) || e.op === '<<' || e.op === '>>' ? w : g.convert(w, e.b.ty, e.opTy)!);
  op64OnStack(g, e.op, e.opTy.k === 'int' && e.opTy.signed);
  const r = g.convert(resultPair(g), e.opTy, ty)!;
  if (!simple) { g.emit('pop edx'); a = { base: 'edx', off: 0 }; }
  g.store(a, ty, r);
  if (!want) { g.releaseVal(r); return undefined; }
  return r;
}

export function genIncDec(g: Emitter, e: Extract<Expr, { e: 'incdec' }>, want: boolean): Val | undefined {
  const ty = e.a.ty;
  const a = genAddr(g, e.a);
  if (is64(ty)) {
    g.emit(`mov eax, ${g.fmt(a)}`);
    g.emit(`mov edx, ${g.fmt(g.addrOff(a, 4))}`);
    if (want && e.post) { g.emit('push edx'); g.emit('push eax'); }
    g.emit(`add eax, ${imm(e.delta)}`);
    g.emit(`adc edx, ${e.delta < 0n ? -1 : 0}`);
    g.store(a, ty, { lo: 'eax', hi: 'edx' });
    g.releaseAddr(a);
    if (!want) return undefined;
    if (!e.post) return resultPair(g);
    const lo = g.alloc(), hi = g.alloc();
    g.emit(`pop ${lo}`);
    g.emit(`pop ${hi}`);
    return { lo, hi };
  }
  const b = want && e.post && g.freeCount() === 0 ? g.compact(a) : a;
  g.loadInto('eax', b, ty);
  let r: Reg | undefined;
  if (want && e.post) { r = g.alloc(); g.emit(`mov ${r}, eax`); }
  g.emit(`add eax, ${imm(e.delta)}`);
  fixForStore(g, ty);
  g.store(b, ty, { lo: 'eax' });
  g.releaseAddr(b);
  if (!want) return undefined;
  if (r) return { lo: r };
  return resultFromEax(g, ty);
}

export function genInit(g: Emitter, base: Addr, ty: Parameters<typeof sizeOf>[0], entries: InitEntry[], zero: boolean): void {
  if (zero) g.zero(base, sizeOf(ty));
  for (const en of entries) {
    const a = g.addrOff(base, en.off);
    if ('bytes' in en) {
      let k = 0;
      for (; k + 4 <= en.bytes.length; k += 4) {
        const w = en.bytes[k]! | (en.bytes[k + 1]! << 8) | (en.bytes[k + 2]! << 16) | (en.bytes[k + 3]! << 24);
        g.emit(`mov ${g.fmt(g.addrOff(a, k))}, ${w | 0}`);
      }
      for (; k < en.bytes.length; k++) g.emit(`movb ${g.fmt(g.addrOff(a, k))}, ${en.bytes[k]}`);
      continue;
    }
    if (en.bits) {
      const v = gen(g, en.expr)!.lo;
      storeField(g, a, { ...en.bits, unit: en.ty }, v);
      g.release(v);
      continue;
    }
    if (en.expr.e === 'num' && en.ty.k !== 'struct') {
      if (!(zero && en.expr.val === 0n)) g.storeImm(a, en.ty, en.expr.val);
      continue;
    }
    const v = gen(g, en.expr)!;
    g.store(a, en.ty, v);
    g.releaseVal(v);
    
  }
}
