/** Expression parsing, by C's precedence; the typing is done by the constructors of sema.ts. */
import type { BinOp, CmpOp, Expr } from './ast.js';
import { fail, type Loc } from './errors.js';
import type { Parser } from './parser.js';
import { parseInitializer } from './init.js';
import {
  addrOf, assign, binary, call, cast, comma, compare, conditional, deref, incDec, logic, member, num,
  opAssign, rval, unary, convertAssign,
} from './sema.js';
import {
  alignOf, CHAR, INT, isComplete, LLONG, LONG, ptrTo, sizeOf, typeName, UINT, ULLONG, ULONG, VOID,
  UCHAR, USHORT, type Type,
} from './types.js';

export function parseExpr(p: Parser): Expr {
  let e = parseAssign(p);
  while (p.is(',')) {
    const t = p.next();
    e = comma(e, parseAssign(p), t.loc);
  }
  return e;
}

const ASSIGN_OPS: Record<string, BinOp> = {
  '+=': '+', '-=': '-', '*=': '*', '/=': '/', '%=': '%', '<<=': '<<', '>>=': '>>', '&=': '&', '|=': '|', '^=': '^',
};

export function parseAssign(p: Parser): Expr {
  const lhs = parseConditional(p);
  const t = p.peek();
  if (t.k === 'punct') {
    if (t.text === '=') { p.next(); return assign(lhs, parseAssign(p), t.loc); }
    const op = ASSIGN_OPS[t.text];
    if (op) { p.next(); return opAssign(op, lhs, parseAssign(p), t.loc); }
  }
  return lhs;
}

function parseConditional(p: Parser): Expr {
  const c = parseBinary(p, 0);
  if (!p.is('?')) return c;
  const q = p.next();
  if (p.is(':')) fail(p.peek().loc, "the 'a ?: b' extension is not supported");
  const a = parseExpr(p);
  p.expect(':');
  const b = parseConditional(p);
  return conditional(c, a, b, q.loc);
}

/** Binary operators by precedence level (0 binds loosest); all are left-associative. */
const LEVEL = new Map<string, number>([
  ['||', 0], ['&&', 1], ['|', 2], ['^', 3], ['&', 4], ['==', 5], ['!=', 5], ['<', 6], ['<=', 6], ['>', 6], ['>=', 6],
  ['<<', 7], ['>>', 7], ['+', 8], ['-', 8], ['*', 9], ['/', 9], ['%', 9],
]);
const COMPARISONS = new Set(['==', '!=', '<', '<=', '>', '>=']);

/**
 * Operators of level `min` and above, by precedence climbing: one loop per operator instead of
 * a recursive call per level per operand (the same tree, built in the same order).
 */
function parseBinary(p: Parser, min: number): Expr {
  let a = parseCast(p);
  for (;;) {
    const t = p.peek();
    if (t.k !== 'punct') return a;
    const level = LEVEL.get(t.text);
    if (level === undefined || level < min) return a;
    p.next();
    const b = parseBinary(p, level + 1);
    const op = t.text;
    if (op === '||' || op === '&&') a = logic(op, a, b, t.loc);
    else if (COMPARISONS.has(op)) a = compare(op as CmpOp, a, b, t.loc);
    else a = binary(op as BinOp, a, b, t.loc);
  }
}

function parseCast(p: Parser): Expr {
  if (p.is('(') && p.startsType(1)) {
    const open = p.next();
    const ty = p.typeName();
    p.expect(')');
    if (p.is('{')) return parsePostfix(p, compoundLiteral(p, ty, open.loc));
    const e = parseCast(p);
    return cast(e, ty, open.loc);
  }
  return parseUnary(p);
}

function compoundLiteral(p: Parser, ty0: Type, loc: Loc): Expr {
  if (ty0.k === 'func' || ty0.k === 'void') fail(loc, `compound literal of type '${typeName(ty0)}'`);
  if (ty0.k === 'array' && ty0.len === undefined && !p.is('{')) fail(loc, 'compound literal of unknown size');
  const r = parseInitializer(p, ty0, p.fn === undefined);
  if (!isComplete(r.ty)) fail(loc, `compound literal of incomplete type '${typeName(r.ty)}'`);
  if (p.fn === undefined) {
    const asm = p.newDataLabel();
    p.globals.set(asm, { name: asm, asm, ty: r.ty, isStatic: true, defined: true, entries: r.entries, loc });
    return { e: 'var', v: { name: asm, ty: r.ty, kind: 'global', off: 0, asm }, ty: r.ty, loc };
  }
  const v = { name: '', ty: r.ty, kind: 'local' as const, off: p.allocLocal(r.ty), asm: '' };
  return { e: 'compound', v, entries: r.entries, zero: r.aggregate || r.ty.k === 'struct', ty: r.ty, loc };
}

function sizeofType(ty: Type, loc: Loc): Expr {
  if (ty.k === 'func') fail(loc, "invalid application of 'sizeof' to a function type");
  if (!isComplete(ty) && ty.k !== 'void') fail(loc, `invalid application of 'sizeof' to incomplete type '${typeName(ty)}'`);
  return num(BigInt(sizeOf(ty)), ULONG, loc);
}

function parseUnary(p: Parser): Expr {
  const t = p.peek();
  if (t.k === 'punct') {
    switch (t.text) {
      case '++': case '--': p.next(); return incDec(parseUnary(p), t.text === '++', false, t.loc);
      case '&': p.next(); return addrOf(parseCast(p), t.loc);
      case '*': p.next(); return deref(parseCast(p), t.loc);
      case '+': case '-': case '~': case '!': p.next(); return unary(t.text, parseCast(p), t.loc);
      case '&&': fail(t.loc, 'labels as values are not supported');
    }
  }
  if (t.k === 'kw' && (t.text === 'sizeof' || t.text === '_Alignof' || t.text === '__alignof__')) {
    p.next();
    let ty: Type;
    if (p.is('(') && p.startsType(1)) {
      p.next();
      ty = p.typeName();
      p.expect(')');
    } else {
      if (t.text !== 'sizeof') p.expect('(');
      ty = parseUnary(p).ty;
      if (t.text !== 'sizeof') p.expect(')');
    }
    if (t.text !== 'sizeof') return num(BigInt(alignOf(ty)), ULONG, t.loc);
    return sizeofType(ty, t.loc);
  }
  if (t.k === 'kw' && t.text === '__extension__') { p.next(); return parseCast(p); }
  return parsePostfix(p, parsePrimary(p));
}

function parsePostfix(p: Parser, e0: Expr): Expr {
  let e = e0;
  for (;;) {
    const t = p.peek();
    if (t.k !== 'punct') return e;
    switch (t.text) {
      case '[': {
        p.next();
        const idx = parseExpr(p);
        p.expect(']');
        e = deref(binary('+', e, idx, t.loc), t.loc);
        break;
      }
      case '(': {
        p.next();
        const args: Expr[] = [];
        if (!p.is(')')) {
          for (;;) {
            args.push(parseAssign(p));
            if (!p.eat(',')) break;
          }
        }
        p.expect(')');
        e = call(e, args, t.loc);
        break;
      }
      case '.': case '->': {
        p.next();
        const id = p.ident();
        e = member(e, id.text, t.text === '->', id.loc);
        break;
      }
      case '++': case '--':
        p.next();
        e = incDec(e, t.text === '++', true, t.loc);
        break;
      default:
        return e;
    }
  }
}

function numberType(t: { val?: bigint; unsignedSuffix?: boolean; longs?: number; nonDecimal?: boolean }): Type {
  const v = t.val!;
  const cands: Type[] = [];
  const u = t.unsignedSuffix, nd = t.nonDecimal;
  if (t.longs === 0) { if (!u) cands.push(INT); if (u || nd) cands.push(UINT); }
  if (t.longs! <= 1) { if (!u) cands.push(LONG); if (u || nd) cands.push(ULONG); }
  if (!u) cands.push(LLONG);
  if (u || nd) cands.push(ULLONG);
  for (const c of cands) {
    const bits = BigInt(sizeOf(c) * 8) - ((c as { signed: boolean }).signed ? 1n : 0n);
    if (v < 1n << bits) return c;
  }
  return ULLONG; // a decimal constant too large for long long: gcc makes it unsigned too
}

/** Builtins that C cannot express; a prototype the program declares overrides these types. */
const BUILTINS: Record<string, [Type, Type[]]> = {
  __mx86_outb: [VOID, [UINT, UINT]], __mx86_outw: [VOID, [UINT, UINT]], __mx86_outl: [VOID, [UINT, UINT]],
  __mx86_inb: [UCHAR, [UINT]], __mx86_inw: [USHORT, [UINT]], __mx86_inl: [UINT, [UINT]],
  __mx86_vmcall: [INT, [UINT, UINT, UINT, UINT, UINT, UINT]],
  __mx86_hlt: [VOID, []], __mx86_cli: [VOID, []], __mx86_sti: [VOID, []], __mx86_ud2: [VOID, []],
  __mx86_read_cr0: [UINT, []], __mx86_read_cr2: [UINT, []], __mx86_read_cr3: [UINT, []],
  __mx86_write_cr0: [VOID, [UINT]], __mx86_write_cr3: [VOID, [UINT]],
  __mx86_invlpg: [VOID, [ptrTo(VOID)]], __mx86_lidt: [VOID, [ptrTo(VOID)]], __mx86_lksp: [VOID, [UINT]],
  __mx86_sksp: [UINT, []], __mx86_rdtsc: [ULLONG, []], __mx86_read_eflags: [UINT, []],
};

export function isBuiltinName(name: string): boolean {
  return Object.hasOwn(BUILTINS, name) || name.startsWith('__builtin_');
}

function parseArgs(p: Parser): Expr[] {
  p.expect('(');
  const args: Expr[] = [];
  if (!p.is(')')) {
    for (;;) { args.push(parseAssign(p)); if (!p.eat(',')) break; }
  }
  p.expect(')');
  return args;
}

function vaListLvalue(ap: Expr, loc: Loc): Expr {
  if (ap.ty.k !== 'ptr' || (ap.ty.to.k !== 'int' && ap.ty.to.k !== 'void') || sizeOf(ap.ty.to) !== 1) {
    fail(loc, "the first argument must be a 'va_list'");
  }
  return ap;
}

function parseBuiltin(p: Parser, name: string, loc: Loc): Expr {
  const f = p.fn;
  switch (name) {
    case '__builtin_va_start': {
      const args = parseArgs(p);
      if (!f || f.variadicOff === undefined) fail(loc, "'va_start' used in a function with fixed arguments");
      if (args.length !== 2) fail(loc, "'va_start' takes two arguments");
      return { e: 'vastart', ap: vaListLvalue(args[0]!, loc), off: f.variadicOff, ty: VOID, loc };
    }
    case '__builtin_va_arg': {
      p.expect('(');
      const ap = vaListLvalue(parseAssign(p), loc);
      p.expect(',');
      const ty = p.typeName();
      p.expect(')');
      if (!isComplete(ty)) fail(loc, "'va_arg' of an incomplete type");
      if (ty.k === 'int' && ty.size < 4) fail(loc, `'${typeName(ty)}' is promoted to 'int' when passed through '...'`);
      return { e: 'vaarg', ap, ty, loc };
    }
    case '__builtin_va_end': {
      const args = parseArgs(p);
      if (args.length !== 1) fail(loc, "'va_end' takes one argument");
      return cast(args[0]!, VOID, loc);
    }
    case '__builtin_va_copy': {
      const args = parseArgs(p);
      if (args.length !== 2) fail(loc, "'va_copy' takes two arguments");
      return cast(assign(args[0]!, args[1]!, loc), VOID, loc);
    }
    case '__builtin_expect': {
      const args = parseArgs(p);
      if (args.length !== 2) fail(loc, "'__builtin_expect' takes two arguments");
      return rval(args[0]!);
    }
    case '__builtin_offsetof': {
      p.expect('(');
      const ty = p.typeName();
      p.expect(',');
      let e: Expr = deref(num(0n, ptrTo(ty), loc), loc);
      e = member(e, p.ident().text, false, loc);
      for (;;) {
        if (p.eat('.')) e = member(e, p.ident().text, false, loc);
        else if (p.eat('[')) { const i = parseExpr(p); p.expect(']'); e = deref(binary('+', e, i, loc), loc); }
        else break;
      }
      p.expect(')');
      const off = cast(addrOf(e, loc), ULONG, loc);
      if (off.e !== 'num') fail(loc, "'offsetof' needs a constant member designator");
      return off;
    }
  }
  const b = BUILTINS[name];
  if (!b) fail(loc, `unknown builtin '${name}'`);
  const declared = p.lookup(name);
  const [ret, params] = declared?.kind === 'var' && declared.v.ty.k === 'func' && !declared.v.ty.noProto
    ? [declared.v.ty.ret, declared.v.ty.params] : b;
  const args0 = parseArgs(p);
  if (args0.length !== b[1].length || params.length !== b[1].length) fail(loc, `'${name}' takes ${b[1].length} argument${b[1].length === 1 ? '' : 's'}`);
  const args = args0.map((a, i) => convertAssign(a, params[i]!, a.loc, 'passing an argument'));
  return cast({ e: 'builtin', name, args, ty: b[0], loc }, ret, loc);
}

function parsePrimary(p: Parser): Expr {
  const t = p.next();
  switch (t.k) {
    case 'num': return num(t.val!, numberType(t), t.loc);
    case 'char': return num(t.val!, INT, t.loc);
    case 'str': {
      const bytes = [...t.bytes!];
      while (p.peek().k === 'str') bytes.push(...p.next().bytes!);
      const label = p.addString(bytes);
      return { e: 'str', label, ty: { k: 'array', of: CHAR, len: bytes.length + 1 }, loc: t.loc };
    }
    case 'id': {
      if (isBuiltinName(t.text) && p.is('(')) return parseBuiltin(p, t.text, t.loc);
      if (t.text === '__func__' || t.text === '__FUNCTION__') {
        const bytes = [...new TextEncoder().encode(p.fn?.name ?? '')];
        return { e: 'str', label: p.addString(bytes), ty: { k: 'array', of: CHAR, len: bytes.length + 1 }, loc: t.loc };
      }
      const o = p.lookup(t.text);
      if (!o) {
        if (p.is('(')) fail(t.loc, `implicit declaration of function '${t.text}'`);
        fail(t.loc, `'${t.text}' undeclared`);
      }
      if (o.kind === 'enum') return num(o.val, INT, t.loc);
      if (o.kind === 'typedef') fail(t.loc, `unexpected type name '${t.text}'`);
      return { e: 'var', v: o.v, ty: o.v.ty, loc: t.loc };
    }
    case 'punct':
      if (t.text === '(') {
        if (p.is('{')) fail(t.loc, 'statement expressions are not supported');
        const e = parseExpr(p);
        p.expect(')');
        return e;
      }
      break;
    case 'kw':
      if (t.text === 'float' || t.text === 'double') fail(t.loc, 'floating-point types are not supported');
      break;
    default: break;
  }
  fail(t.loc, t.k === 'eof' ? 'expected an expression before end of input' : `expected an expression before '${t.text}'`);
}

/** Evaluates an integer constant expression (already folded by the constructors). */
export function constInt(p: Parser, e0: Expr, message = 'expression is not an integer constant'): bigint {
  void p;
  const e = rval(e0);
  if (e.e !== 'num' || e.ty.k !== 'int') fail(e.loc, message);
  return e.val;
}
