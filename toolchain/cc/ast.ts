/** The typed syntax tree: the parser checks types as it builds it, and the code generator walks it. */
import type { Loc } from './errors.js';
import type { Type } from './types.js';

export interface VarInfo {
  name: string;
  ty: Type;
  /** local: at [ebp + off]; global: at the assembly symbol `asm`. */
  kind: 'local' | 'global';
  off: number;
  asm: string;
}

export type BinOp = '+' | '-' | '*' | '/' | '%' | '<<' | '>>' | '&' | '|' | '^';
export type CmpOp = '<' | '<=' | '>' | '>=' | '==' | '!=';

export type Expr = { ty: Type; loc: Loc } & (
  | { e: 'num'; val: bigint }
  | { e: 'str'; label: string }
  | { e: 'var'; v: VarInfo }
  | { e: 'unop'; op: '-' | '~' | '!'; a: Expr }
  | { e: 'bin'; op: BinOp; a: Expr; b: Expr }
  | { e: 'cmp'; op: CmpOp; a: Expr; b: Expr }
  | { e: 'logic'; op: '&&' | '||'; a: Expr; b: Expr }
  | { e: 'assign'; a: Expr; b: Expr }
  /** a = (a.ty)((opTy)a op b); b already has opTy (or int for shifts). */
  | { e: 'opassign'; op: BinOp; a: Expr; b: Expr; opTy: Type }
  | { e: 'incdec'; a: Expr; post: boolean; delta: bigint }
  | { e: 'cast'; a: Expr }
  | { e: 'deref'; a: Expr }
  | { e: 'addr'; a: Expr }
  | { e: 'member'; a: Expr; off: number }
  /** A bit-field of the struct `a`: `width` bits from bit `bit` of the `unit`-typed word at `off`. */
  | { e: 'bitfield'; a: Expr; off: number; bit: number; width: number; unit: Type }
  /** x++ on a bit-field: `a` is the assignment of the new value; the old one is derived from it. */
  | { e: 'bfpost'; a: Expr; delta: bigint; width: number; signed: boolean }
  | { e: 'call'; fn: Expr; args: Expr[]; fty: Extract<Type, { k: 'func' }> }
  | { e: 'cond'; c: Expr; a: Expr; b: Expr }
  | { e: 'comma'; a: Expr; b: Expr }
  | { e: 'builtin'; name: string; args: Expr[] }
  | { e: 'vaarg'; ap: Expr }
  | { e: 'vastart'; ap: Expr; off: number }
  /** A compound literal in a function: an unnamed local, initialised where it appears. */
  | { e: 'compound'; v: VarInfo; entries: InitEntry[]; zero: boolean }
);

/** One scalar (or struct-copy) store of an initializer, at a byte offset in the object. */
export type InitEntry =
  | { off: number; ty: Type; expr: Expr; bits?: { bit: number; width: number } }
  | { off: number; bytes: number[] };

export interface SwitchInfo {
  /** The controlling expression's type (after promotion), for converting case values. */
  ty: Type;
  cases: { val: bigint; label: string }[];
  defaultLabel: string | undefined;
}

export type Stmt = { loc: Loc } & (
  | { s: 'expr'; e: Expr }
  | { s: 'init'; v: VarInfo; entries: InitEntry[]; zero: boolean }
  | { s: 'block'; body: Stmt[] }
  | { s: 'if'; c: Expr; t: Stmt; f: Stmt | undefined }
  | { s: 'while'; c: Expr; body: Stmt }
  | { s: 'do'; body: Stmt; c: Expr }
  | { s: 'for'; init: Stmt | undefined; c: Expr | undefined; step: Expr | undefined; body: Stmt }
  | { s: 'switch'; e: Expr; body: Stmt; info: SwitchInfo }
  | { s: 'label'; label: string; body: Stmt }
  | { s: 'break' }
  | { s: 'continue' }
  | { s: 'goto'; label: string }
  | { s: 'return'; e: Expr | undefined }
  | { s: 'nop' }
);

export interface FuncDef {
  name: string;
  asm: string;
  ty: Extract<Type, { k: 'func' }>;
  params: VarInfo[];
  body: Stmt;
  /** Bytes of locals below ebp. */
  frameSize: number;
  /** ebp offset of the hidden struct-return pointer, when the function returns a struct. */
  retPtrOff: number | undefined;
  isStatic: boolean;
  loc: Loc;
}

export interface GlobalVar {
  name: string;
  asm: string;
  ty: Type;
  isStatic: boolean;
  /** Set when the unit defines it (with or without an initializer). */
  defined: boolean;
  entries: InitEntry[] | undefined;
  loc: Loc;
  /** From `__attribute__((aligned(N)))`. */
  align?: number;
}

export interface Unit {
  funcs: FuncDef[];
  globals: GlobalVar[];
  strings: { label: string; bytes: number[] }[];
}
