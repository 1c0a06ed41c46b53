import type { Loc } from './errors.js';

/** C types on mx86 (ILP32: int, long and pointers are 4 bytes; long long 8, aligned to 4). */

export type IntRank = 0 | 1 | 2 | 3 | 4 | 5; // _Bool char short int long long-long

export type Type =
  | { k: 'void' }
  | { k: 'int'; size: 1 | 2 | 4 | 8; signed: boolean; rank: IntRank; isEnum?: boolean }
  | { k: 'ptr'; to: Type }
  | { k: 'array'; of: Type; len: number | undefined }
  | { k: 'func'; ret: Type; params: Type[]; variadic: boolean; noProto: boolean; names?: (string | undefined)[]; locs?: Loc[] }
  | { k: 'struct'; def: StructDef };

export interface Member {
  name: string;
  type: Type;
  /** Byte offset; for a bit-field, of the storage unit (of the field's type) holding it. */
  offset: number;
  /** Bit-fields: the first bit within the unit, and the width. */
  bit?: number;
  width?: number;
}

export interface StructDef {
  tag: string | undefined;
  union: boolean;
  complete: boolean;
  members: Member[];
  size: number;
  align: number;
}

export const VOID: Type = { k: 'void' };
export const BOOL: Type = { k: 'int', size: 1, signed: false, rank: 0 };
export const CHAR: Type = { k: 'int', size: 1, signed: true, rank: 1 };
export const UCHAR: Type = { k: 'int', size: 1, signed: false, rank: 1 };
export const SHORT: Type = { k: 'int', size: 2, signed: true, rank: 2 };
export const USHORT: Type = { k: 'int', size: 2, signed: false, rank: 2 };
export const INT: Type = { k: 'int', size: 4, signed: true, rank: 3 };
export const UINT: Type = { k: 'int', size: 4, signed: false, rank: 3 };
export const LONG: Type = { k: 'int', size: 4, signed: true, rank: 4 };
export const ULONG: Type = { k: 'int', size: 4, signed: false, rank: 4 };
export const LLONG: Type = { k: 'int', size: 8, signed: true, rank: 5 };
export const ULLONG: Type = { k: 'int', size: 8, signed: false, rank: 5 };

export const ptrTo = (t: Type): Type => ({ k: 'ptr', to: t });

export const isInt = (t: Type): t is Extract<Type, { k: 'int' }> => t.k === 'int';
export const isPtr = (t: Type): t is Extract<Type, { k: 'ptr' }> => t.k === 'ptr';
export const isScalar = (t: Type): boolean => t.k === 'int' || t.k === 'ptr';
export const isAggregate = (t: Type): boolean => t.k === 'struct' || t.k === 'array';
export const isBool = (t: Type): boolean => t.k === 'int' && t.rank === 0;
export const is64 = (t: Type): boolean => t.k === 'int' && t.size === 8;

export function sizeOf(t: Type): number {
  switch (t.k) {
    case 'void': return 1; // gcc's extension for void * arithmetic
    case 'int': return t.size;
    case 'ptr': return 4;
    case 'array': return (t.len ?? 0) * sizeOf(t.of);
    case 'func': return 1;
    case 'struct': return t.def.size;
  }
}

export function alignOf(t: Type): number {
  switch (t.k) {
    case 'int': return Math.min(t.size, 4);
    case 'array': return alignOf(t.of);
    case 'struct': return t.def.align;
    default: return 4;
  }
}

export function isComplete(t: Type): boolean {
  if (t.k === 'void' || t.k === 'func') return false;
  if (t.k === 'array') return t.len !== undefined && isComplete(t.of);
  if (t.k === 'struct') return t.def.complete;
  return true;
}

/** Integer promotion: everything narrower than int becomes int. */
export function promote(t: Type): Type {
  if (t.k === 'int' && t.rank < 3) return INT;
  if (t.k === 'int' && t.isEnum) return INT;
  return t;
}

/** The usual arithmetic conversions, for two integer types. */
export function commonType(a: Type, b: Type): Type {
  const x = promote(a) as Extract<Type, { k: 'int' }>;
  const y = promote(b) as Extract<Type, { k: 'int' }>;
  if (x.signed === y.signed) return x.rank >= y.rank ? x : y;
  const [u, s] = x.signed ? [y, x] : [x, y];
  if (u.rank >= s.rank) return u;
  if (s.size > u.size) return s;
  return { k: 'int', size: s.size, signed: false, rank: s.rank };
}

export function sameType(a: Type, b: Type): boolean {
  if (a.k !== b.k) return false;
  switch (a.k) {
    case 'void': return true;
    case 'int': { const y = b as typeof a; return a.size === y.size && a.signed === y.signed && a.rank === y.rank; }
    case 'ptr': return sameType(a.to, (b as typeof a).to);
    case 'array': { const y = b as typeof a; return (a.len === y.len || a.len === undefined || y.len === undefined) && sameType(a.of, y.of); }
    case 'struct': return a.def === (b as typeof a).def;
    case 'func': {
      const y = b as typeof a;
      if (!sameType(a.ret, y.ret)) return false;
      if (a.noProto || y.noProto) return true;
      return a.variadic === y.variadic && a.params.length === y.params.length && a.params.every((p, i) => sameType(p, y.params[i]!));
    }
  }
}

export function typeName(t: Type): string {
  switch (t.k) {
    case 'void': return 'void';
    case 'int': {
      if (t.isEnum) return 'enum';
      const base = ['_Bool', 'char', 'short', 'int', 'long', 'long long'][t.rank]!;
      if (t.rank === 0) return base;
      if (t.rank === 1) return t.signed ? 'char' : 'unsigned char';
      return t.signed ? base : `unsigned ${base}`;
    }
    case 'ptr': return t.to.k === 'func' ? `${typeName(t.to.ret)} (*)(...)` : `${typeName(t.to)} *`;
    case 'array': return `${typeName(t.of)}[${t.len ?? ''}]`;
    case 'func': return `${typeName(t.ret)} (${t.params.map(typeName).join(', ')}${t.variadic ? ', ...' : ''})`;
    case 'struct': return `${t.def.union ? 'union' : 'struct'} ${t.def.tag ?? '<anonymous>'}`;
  }
}

/** Lays out members in order; a union puts them all at 0. */
export function layoutStruct(def: StructDef, members: { name: string; type: Type; width?: number }[], packed = false): void {
  let off = 0;
  let size = 0;
  let align = 1;
  let bits = 0; // the bit position, for bit-fields (i386 SysV: a field never straddles a unit of its type)
  def.members = [];
  for (const m of members) {
    if (m.width !== undefined) {
      const unit = sizeOf(m.type) * 8;
      if (def.union) {
        if (m.name) def.members.push({ name: m.name, type: m.type, offset: 0, bit: 0, width: m.width });
        size = Math.max(size, Math.ceil(m.width / 8));
      } else {
        if (m.width === 0 || Math.floor(bits / unit) !== Math.floor((bits + m.width - 1) / unit)) bits = alignUp(bits, unit);
        const start = Math.floor(bits / unit) * unit;
        if (m.name) def.members.push({ name: m.name, type: m.type, offset: start / 8, bit: bits - start, width: m.width });
        bits += m.width;
        off = Math.ceil(bits / 8);
        size = off;
      }
      if (m.name) align = Math.max(align, packed ? 1 : alignOf(m.type));
      continue;
    }
    const a = packed ? 1 : alignOf(m.type);
    align = Math.max(align, a);
    if (def.union) {
      def.members.push({ ...m, offset: 0 });
      size = Math.max(size, sizeOf(m.type));
    } else {
      off = alignUp(off, a);
      def.members.push({ ...m, offset: off });
      off += sizeOf(m.type);
      bits = off * 8;
      size = off;
    }
  }
  def.size = alignUp(size, align);
  def.align = align;
  def.complete = true;
}

export const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

/** Finds a member, looking through anonymous struct/union members; returns its total offset. */
export function findMember(def: StructDef, name: string): Member | undefined {
  for (const m of def.members) {
    if (m.name === name) return m;
    if (m.name === '' && m.type.k === 'struct') {
      const inner = findMember(m.type.def, name);
      if (inner) return { ...inner, offset: inner.offset + m.offset };
    }
  }
  return undefined;
}

/** Wraps a value to the width and signedness of an integer type (pointers: unsigned 32). */
export function wrap(v: bigint, t: Type): bigint {
  if (t.k === 'int') {
    if (t.rank === 0) return v !== 0n ? 1n : 0n;
    return t.signed ? BigInt.asIntN(t.size * 8, v) : BigInt.asUintN(t.size * 8, v);
  }
  return BigInt.asUintN(32, v);
}
