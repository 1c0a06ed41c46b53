/**
 * Initializers: braces, brace elision, designators and string literals for char arrays, flattened
 * into a list of stores at byte offsets. Later entries override earlier ones, which is what a
 * designator that revisits an element means.
 */
import type { InitEntry } from './ast.js';
import { fail } from './errors.js';
import { parseAssign, constInt } from './expr.js';
import type { Parser } from './parser.js';
import { convertAssign } from './sema.js';
import { findMember, sizeOf, typeName, type Type } from './types.js';
import { checkConstant } from './constexpr.js';

export interface InitResult {
  ty: Type;
  entries: InitEntry[];
  /** Whether the object needs zeroing before the entries are stored (an aggregate). */
  aggregate: boolean;
}

export function parseInitializer(p: Parser, ty0: Type, isStatic: boolean): InitResult {
  const out: InitEntry[] = [];
  let ty = ty0;
  if (ty.k === 'array' || ty.k === 'struct') {
    if (ty.k === 'struct' && !p.is('{')) {
      const e = convertAssign(parseAssign(p), ty, p.peek().loc, 'initialization');
      if (isStatic) fail(e.loc, 'initializer element is not constant');
      out.push({ off: 0, ty, expr: e });
      return { ty, entries: out, aggregate: false };
    }
    const len = init(p, ty, 0, out);
    if (ty.k === 'array' && ty.len === undefined) ty = { k: 'array', of: ty.of, len };
  } else {
    init(p, ty, 0, out);
  }
  if (isStatic) for (const e of out) if ('expr' in e) checkConstant(e.expr);
  return { ty, entries: out, aggregate: ty.k === 'array' || ty.k === 'struct' };
}

function isCharArray(ty: Type): ty is Extract<Type, { k: 'array' }> {
  return ty.k === 'array' && ty.of.k === 'int' && ty.of.size === 1;
}

/** Initializes one object at `off`; returns the element count for arrays (for `T a[] = ...`). */
type Bits = { bit: number; width: number } | undefined;

function init(p: Parser, ty: Type, off: number, out: InitEntry[], bits?: Bits): number {
  if (isCharArray(ty) && (p.peek().k === 'str' || (p.is('{') && p.peek(1).k === 'str' && (p.is('}', 2) || (p.is(',', 2) && p.is('}', 3)))))) {
    const braced = p.eat('{');
    const first = p.peek();
    const bytes: number[] = [];
    while (p.peek().k === 'str') bytes.push(...p.next().bytes!);
    if (braced) { p.eat(','); p.expect('}'); }
    const len = ty.len ?? bytes.length + 1;
    if (bytes.length > len) fail(first.loc, 'initializer-string for array is too long');
    out.push({ off, bytes: [...bytes, 0].slice(0, len) });
    return len;
  }
  if (ty.k === 'array' || ty.k === 'struct') {
    if (p.eat('{')) {
      const n = list(p, ty, off, out, true);
      p.expect('}');
      return n;
    }
    return list(p, ty, off, out, false);
  }
  if (p.eat('{')) {
    if (p.is('}')) fail(p.peek().loc, 'empty scalar initializer');
    init(p, ty, off, out, bits);
    p.eat(',');
    p.expect('}');
    return 1;
  }
  const e = parseAssign(p);
  out.push({ off, ty, expr: convertAssign(e, ty, e.loc, 'initialization'), ...(bits ? { bits } : {}) });
  return 1;
}

function isDesignator(p: Parser, n = 0): boolean {
  return p.is('[', n) || (p.is('.', n) && p.peek(n + 1).k === 'id');
}

/** The elements of an aggregate, braced (up to '}') or elided (as many as the type holds). */
function list(p: Parser, ty: Extract<Type, { k: 'array' | 'struct' }>, off: number, out: InitEntry[], braced: boolean): number {
  const arr = ty.k === 'array';
  const count = arr ? ty.len : ty.def.union ? 1 : ty.def.members.length;
  if (!arr && !ty.def.complete) fail(p.peek().loc, `initializer for incomplete type '${typeName(ty)}'`);
  let idx = 0;
  let max = 0;
  for (let n = 0; ; n++) {
    if (braced && p.is('}')) break;
    if (!braced) {
      if (count !== undefined && idx >= count) break;
      if (n > 0) {
        if (!p.is(',') || p.is('}', 1) || isDesignator(p, 1)) break;
        p.next();
      }
    }
    if (braced && isDesignator(p)) {
      idx = designated(p, ty, off, out);
    } else {
      if (count !== undefined && idx >= count) fail(p.peek().loc, 'excess elements in initializer');
      const [mty, moff, mbits] = elementAt(p, ty, idx);
      init(p, mty, off + moff, out, mbits);
    }
    idx++;
    max = Math.max(max, idx);
    if (braced && !p.eat(',')) break;
    if (!arr && ty.def.union && braced && !p.is('}')) fail(p.peek().loc, 'excess elements in union initializer');
  }
  return max;
}

function bitsOf(m: { bit?: number; width?: number }): Bits {
  return m.width === undefined ? undefined : { bit: m.bit!, width: m.width };
}

function elementAt(p: Parser, ty: Extract<Type, { k: 'array' | 'struct' }>, idx: number): [Type, number, Bits] {
  if (ty.k === 'array') return [ty.of, idx * sizeOf(ty.of), undefined];
  const m = ty.def.members[idx];
  if (!m) fail(p.peek().loc, 'excess elements in initializer');
  return [m.type, m.offset, bitsOf(m)];
}

/** `[i] = ...` or `.name = ...`, possibly chained; returns the index of the designated element. */
function designated(p: Parser, ty: Extract<Type, { k: 'array' | 'struct' }>, off: number, out: InitEntry[]): number {
  const [idx, mty, moff, bits] = designator(p, ty);
  rest(p, mty, off + moff, out, bits);
  return idx;
}

function designator(p: Parser, ty: Type): [number, Type, number, Bits] {
  const t = p.peek();
  if (p.eat('[')) {
    if (ty.k !== 'array') fail(t.loc, `array index in initializer of non-array type '${typeName(ty)}'`);
    const i = constInt(p, parseAssign(p), 'array index in initializer is not an integer constant');
    p.expect(']');
    if (i < 0n || (ty.len !== undefined && i >= BigInt(ty.len))) fail(t.loc, 'array index in initializer exceeds array bounds');
    return [Number(i), ty.of, Number(i) * sizeOf(ty.of), undefined];
  }
  p.expect('.');
  const id = p.ident();
  if (ty.k !== 'struct') fail(id.loc, `field name not in record or union initializer`);
  const m = findMember(ty.def, id.text);
  if (!m) fail(id.loc, `'${typeName(ty)}' has no member named '${id.text}'`);
  let idx = ty.def.members.findIndex((x) => x.name === id.text);
  if (idx < 0) idx = ty.def.members.findIndex((x) => x.name === '' && x.type.k === 'struct' && findMember(x.type.def, id.text));
  return [idx, m.type, m.offset, bitsOf(m)];
}

function rest(p: Parser, ty: Type, off: number, out: InitEntry[], bits: Bits): void {
  if (isDesignator(p)) {
    if (bits) fail(p.peek().loc, 'designator into a bit-field');
    const [, mty, moff, mbits] = designator(p, ty);
    rest(p, mty, off + moff, out, mbits);
    return;
  }
  p.expect('=');
  init(p, ty, off, out, bits);
}

