/**
 * Typed node constructors: each one applies C's conversions (integer promotions, the usual
 * arithmetic conversions, array and function decay, pointer scaling) and folds constants, so the
 * tree the code generator sees is explicit about every conversion.
 */
import type { BinOp, CmpOp, Expr } from './ast.js';
import { fail, type Loc } from './errors.js';
import {
  commonType, findMember, INT, isInt, isPtr, isScalar, ptrTo, promote, sizeOf, typeName, ULONG, wrap,
  isComplete, type Type, LONG, UINT, sameType,
} from './types.js';

export function num(val: bigint, ty: Type, loc: Loc): Expr {
  return { e: 'num', val: wrap(val, ty), ty, loc };
}

/** Array-to-pointer and function-to-pointer decay. */
export function rval(e: Expr): Expr {
  if (e.ty.k === 'array') return { e: 'addr', a: e, ty: ptrTo(e.ty.of), loc: e.loc };
  if (e.ty.k === 'func') return { e: 'addr', a: e, ty: ptrTo(e.ty), loc: e.loc };
  return e;
}

export function isLvalue(e: Expr): boolean {
  if (e.e === 'var' || e.e === 'deref' || e.e === 'str' || e.e === 'compound') return true;
  if (e.e === 'member' || e.e === 'bitfield') return isLvalue(e.a);
  return false;
}

export function isNullConst(e: Expr): boolean {
  if (e.e === 'num' && e.val === 0n && isInt(e.ty)) return true;
  return e.e === 'cast' && isPtr(e.ty) && e.ty.to.k === 'void' && isNullConst(e.a);
}

function requireScalar(e: Expr, what: string): void {
  if (!isScalar(e.ty)) fail(e.loc, `${what} requires a scalar operand, not '${typeName(e.ty)}'`);
}

/** Any conversion written or implied; folds constants. */
export function cast(e0: Expr, ty: Type, loc: Loc): Expr {
  const e = rval(e0);
  if (ty.k === 'void') return { e: 'cast', a: e, ty, loc };
  if (ty.k === 'struct' && e.ty.k === 'struct' && e.ty.def === ty.def) return e;
  if (!isScalar(ty)) fail(loc, `cannot convert to '${typeName(ty)}'`);
  if (!isScalar(e.ty)) fail(loc, `cannot convert '${typeName(e.ty)}' to '${typeName(ty)}'`);
  if (e.e === 'num') return num(e.val, ty, loc);
  if (e.ty.k === ty.k && (ty.k === 'ptr' || sizeOf(ty) === sizeOf(e.ty) && (e.ty as { signed: boolean }).signed === (ty as { signed: boolean }).signed && (ty as { rank: number }).rank !== 0)) {
    return { ...e, ty };
  }
  return { e: 'cast', a: e, ty, loc };
}

/** Conversion as by assignment (arguments, return values, initializers). */
export function convertAssign(e0: Expr, ty: Type, loc: Loc, what = 'assignment'): Expr {
  const e = rval(e0);
  if (ty.k === 'struct') {
    if (e.ty.k !== 'struct' || e.ty.def !== ty.def) fail(loc, `incompatible types in ${what}: '${typeName(e.ty)}' to '${typeName(ty)}'`);
    return e;
  }
  if (ty.k === 'ptr' && isInt(e.ty) && !isNullConst(e)) {
    fail(loc, `${what} makes a pointer from an integer without a cast`);
  }
  if (isInt(ty) && isPtr(e.ty) && ty.rank !== 0) fail(loc, `${what} makes an integer from a pointer without a cast`);
  if (!isScalar(e.ty) || !isScalar(ty)) fail(loc, `incompatible types in ${what}: '${typeName(e.ty)}' to '${typeName(ty)}'`);
  return cast(e, ty, loc);
}

function fold(op: BinOp, a: bigint, b: bigint, ty: Type): bigint | undefined {
  const bits = BigInt(sizeOf(ty) * 8);
  switch (op) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    case '/': return b === 0n ? undefined : a / b;
    case '%': return b === 0n ? undefined : a % b;
    case '<<': return b < 0n || b >= bits ? undefined : a << b;
    case '>>': return b < 0n || b >= bits ? undefined : a >> b;
    case '&': return a & b;
    case '|': return a | b;
    case '^': return a ^ b;
  }
}

/** An integer operation on operands already converted to `ty` (b: promoted type for shifts). */
export function arith(op: BinOp, a: Expr, b: Expr, ty: Type, loc: Loc): Expr {
  if (a.e === 'num' && b.e === 'num') {
    const v = fold(op, wrap(a.val, ty), b.val, ty);
    if (v !== undefined) return num(v, ty, loc);
  }
  return { e: 'bin', op, a, b, ty, loc };
}

export function binary(op: BinOp, a0: Expr, b0: Expr, loc: Loc): Expr {
  const a = rval(a0);
  const b = rval(b0);
  if (op === '+' || op === '-') {
    if (isPtr(a.ty) && isInt(b.ty)) return ptrAdd(op, a, b, loc);
    if (op === '+' && isInt(a.ty) && isPtr(b.ty)) return ptrAdd(op, b, a, loc);
    if (op === '-' && isPtr(a.ty) && isPtr(b.ty)) {
      const size = elemSize(a.ty, loc);
      const diff = arith('-', cast(a, LONG, loc), cast(b, LONG, loc), LONG, loc);
      return size === 1 ? diff : arith('/', diff, num(BigInt(size), LONG, loc), LONG, loc);
    }
  }
  if (!isInt(a.ty) || !isInt(b.ty)) {
    fail(loc, `invalid operands to binary '${op}' ('${typeName(a.ty)}' and '${typeName(b.ty)}')`);
  }
  if (op === '<<' || op === '>>') {
    const ty = promote(a.ty);
    // A valid count is below 64, so a long long count can be narrowed; the code then needs one register.
    return arith(op, cast(a, ty, loc), cast(b, shiftCountType(b.ty), loc), ty, loc);
  }
  const ty = commonType(a.ty, b.ty);
  return arith(op, cast(a, ty, loc), cast(b, ty, loc), ty, loc);
}

function shiftCountType(t: Type): Type {
  const p = promote(t);
  return p.k === 'int' && p.size === 8 ? UINT : p;
}

function elemSize(t: Type, loc: Loc): number {
  if (t.k !== 'ptr') return 1;
  if (t.to.k === 'void' || t.to.k === 'func') return 1;
  if (!isComplete(t.to)) fail(loc, `arithmetic on a pointer to incomplete type '${typeName(t.to)}'`);
  return sizeOf(t.to);
}

function ptrAdd(op: '+' | '-', p: Expr, i: Expr, loc: Loc): Expr {
  const size = elemSize(p.ty, loc);
  // Pointer offsets wrap at 32 bits; a long long index is truncated, as on any ILP32 target.
  let off = cast(i, i.ty.k === 'int' && i.ty.signed ? LONG : ULONG, loc);
  if (size !== 1) off = arith('*', off, num(BigInt(size), off.ty, loc), off.ty, loc);
  if (p.e === 'num' && off.e === 'num') return num(op === '+' ? p.val + off.val : p.val - off.val, p.ty, loc);
  return { e: 'bin', op, a: p, b: cast(off, p.ty, loc), ty: p.ty, loc };
}

export function compare(op: CmpOp, a0: Expr, b0: Expr, loc: Loc): Expr {
  let a = rval(a0);
  let b = rval(b0);
  if (isInt(a.ty) && isInt(b.ty)) {
    const ty = commonType(a.ty, b.ty);
    a = cast(a, ty, loc);
    b = cast(b, ty, loc);
  } else if (isPtr(a.ty) && (isPtr(b.ty) || isNullConst(b))) {
    b = cast(b, a.ty, loc);
  } else if (isPtr(b.ty) && isNullConst(a)) {
    a = cast(a, b.ty, loc);
  } else if (isPtr(a.ty) && isInt(b.ty) || isInt(a.ty) && isPtr(b.ty)) {
    fail(loc, `comparison between pointer and integer`);
  } else {
    fail(loc, `invalid operands to '${op}' ('${typeName(a.ty)}' and '${typeName(b.ty)}')`);
  }
  if (a.e === 'num' && b.e === 'num') {
    const x = a.val, y = b.val;
    const r = op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : op === '>=' ? x >= y : op === '==' ? x === y : x !== y;
    return num(r ? 1n : 0n, INT, loc);
  }
  return { e: 'cmp', op, a, b, ty: INT, loc };
}

export function logic(op: '&&' | '||', a0: Expr, b0: Expr, loc: Loc): Expr {
  const a = rval(a0), b = rval(b0);
  requireScalar(a, `'${op}'`);
  requireScalar(b, `'${op}'`);
  if (a.e === 'num' && b.e === 'num') {
    const r = op === '&&' ? a.val !== 0n && b.val !== 0n : a.val !== 0n || b.val !== 0n;
    return num(r ? 1n : 0n, INT, loc);
  }
  return { e: 'logic', op, a, b, ty: INT, loc };
}

export function unary(op: '-' | '~' | '!' | '+', a0: Expr, loc: Loc): Expr {
  const a = rval(a0);
  if (op === '!') {
    requireScalar(a, "'!'");
    if (a.e === 'num') return num(a.val === 0n ? 1n : 0n, INT, loc);
    return { e: 'unop', op, a, ty: INT, loc };
  }
  if (!isInt(a.ty)) fail(loc, `invalid operand to unary '${op}' ('${typeName(a.ty)}')`);
  const ty = promote(a.ty);
  const c = cast(a, ty, loc);
  if (op === '+') return c;
  if (c.e === 'num') return num(op === '-' ? -c.val : ~c.val, ty, loc);
  return { e: 'unop', op, a: c, ty, loc };
}

export function deref(a0: Expr, loc: Loc): Expr {
  const a = rval(a0);
  if (!isPtr(a.ty)) fail(loc, `cannot dereference a value of type '${typeName(a.ty)}'`);
  if (a.ty.to.k === 'void') fail(loc, `dereferencing a 'void *' pointer`);
  if (a.e === 'addr' && a.a.ty.k !== 'array' && sameType(a.a.ty, a.ty.to)) return a.a;
  return { e: 'deref', a, ty: a.ty.to, loc };
}

/** The address of an lvalue based on a constant pointer (`&((T *)0)->m`, offsetof's classic form). */
function constAddress(e: Expr): bigint | undefined {
  if (e.e === 'deref' && e.a.e === 'num') return e.a.val;
  if (e.e === 'member') {
    const base = constAddress(e.a);
    return base === undefined ? undefined : base + BigInt(e.off);
  }
  return undefined;
}

export function addrOf(a: Expr, loc: Loc): Expr {
  if (a.ty.k === 'func') return rval(a);
  if (a.e === 'bitfield') fail(loc, 'cannot take the address of a bit-field');
  const k = constAddress(a);
  if (k !== undefined) return num(k, ptrTo(a.ty), loc);
  if (!isLvalue(a) && !(a.ty.k === 'struct')) fail(loc, `cannot take the address of an rvalue`);
  if (a.e === 'deref') return a.a;
  return { e: 'addr', a, ty: ptrTo(a.ty), loc };
}

export function member(a0: Expr, name: string, arrow: boolean, loc: Loc): Expr {
  const a = arrow ? deref(a0, loc) : a0;
  if (a.ty.k !== 'struct') fail(loc, `request for member '${name}' in something that is not a structure or union`);
  if (!a.ty.def.complete) fail(loc, `use of incomplete type '${typeName(a.ty)}'`);
  const m = findMember(a.ty.def, name);
  if (!m) fail(loc, `'${typeName(a.ty)}' has no member named '${name}'`);
  if (m.width !== undefined) {
    // The value of a bit-field narrower than int is an int (it promotes), as gcc has it.
    const unit = m.type as Extract<Type, { k: 'int' }>;
    const ty = unit.signed || m.width < 32 ? INT : UINT;
    const [base, off] = a.e === 'member' ? [a.a, a.off + m.offset] : [a, m.offset];
    return { e: 'bitfield', a: base, off, bit: m.bit!, width: m.width, unit, ty, loc };
  }
  if (a.e === 'member') return { e: 'member', a: a.a, off: a.off + m.offset, ty: m.type, loc };
  return { e: 'member', a, off: m.offset, ty: m.type, loc };
}

export function call(fn0: Expr, args0: Expr[], loc: Loc): Expr {
  const fn = rval(fn0);
  if (!isPtr(fn.ty) || fn.ty.to.k !== 'func') fail(loc, `called object is not a function or function pointer`);
  const fty = fn.ty.to;
  if (!fty.noProto) {
    if (args0.length < fty.params.length || (!fty.variadic && args0.length > fty.params.length)) {
      fail(loc, `too ${args0.length < fty.params.length ? 'few' : 'many'} arguments to function (expected ${fty.params.length}, got ${args0.length})`);
    }
  }
  const args = args0.map((a, i) => {
    const p = fty.noProto ? undefined : fty.params[i];
    if (p) return convertAssign(a, p, a.loc, 'passing an argument');
    // Default argument promotions for the `...` part and unprototyped calls.
    const r = rval(a);
    if (r.ty.k === 'void') fail(a.loc, 'void value passed as an argument');
    return isInt(r.ty) ? cast(r, promote(r.ty), a.loc) : r;
  });
  if (fty.ret.k === 'struct' && !fty.ret.def.complete) fail(loc, `calling a function returning incomplete type`);
  return { e: 'call', fn, args, fty, ty: fty.ret, loc };
}

export function conditional(c0: Expr, a0: Expr, b0: Expr, loc: Loc): Expr {
  const c = rval(c0);
  requireScalar(c, "'?:'");
  let a = rval(a0), b = rval(b0);
  let ty: Type;
  if (isInt(a.ty) && isInt(b.ty)) ty = commonType(a.ty, b.ty);
  else if (a.ty.k === 'void' && b.ty.k === 'void') ty = a.ty;
  else if (a.ty.k === 'struct' && b.ty.k === 'struct' && a.ty.def === b.ty.def) ty = a.ty;
  else if (isPtr(a.ty) && isNullConst(b)) ty = a.ty;
  else if (isPtr(b.ty) && isNullConst(a)) ty = b.ty;
  else if (isPtr(a.ty) && isPtr(b.ty)) ty = a.ty.to.k === 'void' ? a.ty : b.ty.to.k === 'void' ? b.ty : a.ty;
  else fail(loc, `type mismatch in conditional expression ('${typeName(a.ty)}' and '${typeName(b.ty)}')`);
  if (ty.k !== 'void' && ty.k !== 'struct') { a = cast(a, ty, loc); b = cast(b, ty, loc); }
  if (c.e === 'num') return c.val !== 0n ? a : b;
  return { e: 'cond', c, a, b, ty, loc };
}

function requireModifiable(a: Expr, loc: Loc): void {
  if (!isLvalue(a)) fail(loc, 'lvalue required as left operand of assignment');
  if (a.ty.k === 'array') fail(loc, 'assignment to an array');
  if (a.ty.k === 'func') fail(loc, 'assignment to a function');
}

export function assign(a: Expr, b: Expr, loc: Loc): Expr {
  requireModifiable(a, loc);
  return { e: 'assign', a, b: convertAssign(b, a.ty, loc), ty: a.ty, loc };
}

/** Has no side effects, so evaluating it twice is the same as once. */
function pure(e: Expr): boolean {
  switch (e.e) {
    case 'num': case 'var': case 'str': return true;
    case 'member': case 'bitfield': case 'deref': case 'addr': case 'cast': case 'unop': return pure(e.a);
    case 'bin': case 'cmp': return pure(e.a) && pure(e.b);
    default: return false;
  }
}

/** A bit-field has no address, so `f op= b` becomes `f = f op b` (its object evaluated twice). */
function bitfieldUpdate(a: Expr, loc: Loc, make: (cur: Expr) => Expr): Expr {
  if (!pure(a)) fail(loc, 'compound assignment to a bit-field of an object with side effects is not supported');
  return assign(a, make(a), loc);
}

export function opAssign(op: BinOp, a: Expr, b0: Expr, loc: Loc): Expr {
  requireModifiable(a, loc);
  if (a.e === 'bitfield') return bitfieldUpdate(a, loc, (cur) => binary(op, cur, b0, loc));
  const b = rval(b0);
  if (isPtr(a.ty) && (op === '+' || op === '-') && isInt(b.ty)) {
    const size = elemSize(a.ty, loc);
    let off = cast(b, b.ty.k === 'int' && b.ty.signed ? LONG : ULONG, loc);
    if (size !== 1) off = arith('*', off, num(BigInt(size), off.ty, loc), off.ty, loc);
    return { e: 'opassign', op, a, b: cast(off, ULONG, loc), opTy: ULONG, ty: a.ty, loc };
  }
  if (!isInt(a.ty) || !isInt(b.ty)) fail(loc, `invalid operands to '${op}='`);
  if (op === '<<' || op === '>>') {
    return { e: 'opassign', op, a, b: cast(b, shiftCountType(b.ty), loc), opTy: promote(a.ty), ty: a.ty, loc };
  }
  const opTy = commonType(a.ty, b.ty);
  return { e: 'opassign', op, a, b: cast(b, opTy, loc), opTy, ty: a.ty, loc };
}

export function incDec(a: Expr, inc: boolean, post: boolean, loc: Loc): Expr {
  requireModifiable(a, loc);
  if (a.e === 'bitfield') {
    const one = num(1n, INT, loc);
    const upd = bitfieldUpdate(a, loc, (cur) => binary(inc ? '+' : '-', cur, one, loc));
    // The old value, recomputed from the new one: the field's own width makes the arithmetic wrap.
    const signed = a.unit.k === 'int' && a.unit.signed;
    return post ? { e: 'bfpost', a: upd, delta: inc ? 1n : -1n, width: a.width, signed, ty: a.ty, loc } : upd;
  }
  requireScalar(a, inc ? "'++'" : "'--'");
  const step = isPtr(a.ty) ? BigInt(elemSize(a.ty, loc)) : 1n;
  return { e: 'incdec', a, post, delta: inc ? step : -step, ty: a.ty, loc };
}

export function comma(a: Expr, b0: Expr, loc: Loc): Expr {
  const b = rval(b0);
  return { e: 'comma', a, b, ty: b.ty, loc };
}

/** A condition: any scalar. */
export function condition(e0: Expr): Expr {
  const e = rval(e0);
  requireScalar(e, 'a condition');
  return e;
}
