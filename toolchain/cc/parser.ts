/**
 * The parser: declarations, statements and the scopes they open. Expressions are in expr.ts and
 * initializers in init.ts; all three build the typed tree of ast.ts as they go.
 */
import type { FuncDef, GlobalVar, Stmt, SwitchInfo, Unit, VarInfo } from './ast.js';
import { fail, type Loc } from './errors.js';
import type { Token } from './lexer.js';
import {
  alignOf, alignUp, BOOL, CHAR, INT, isComplete, layoutStruct, LLONG, LONG, SHORT, sizeOf, typeName,
  UCHAR, UINT, ULLONG, ULONG, USHORT, VOID, ptrTo, sameType, type StructDef, type Type,
} from './types.js';
import { parseExpr, parseAssign, constInt } from './expr.js';
import { parseInitializer } from './init.js';
import { compound } from './stmt.js';
import { rval } from './sema.js';

export type Ordinary =
  | { kind: 'var'; v: VarInfo }
  | { kind: 'typedef'; ty: Type }
  | { kind: 'enum'; val: bigint };

type Tag = { kind: 'struct'; def: StructDef } | { kind: 'enum' };

export interface DeclSpec {
  ty: Type;
  storage: 'typedef' | 'static' | 'extern' | undefined;
}

interface FnState {
  name: string;
  frame: number;
  ret: Type;
  labels: Map<string, { defined: boolean; loc: Loc }>;
  switches: SwitchInfo[];
  loops: number;
  breakable: number;
  variadicOff: number | undefined;
  staticCount: number;
}

const REGISTER_NAME = /^(e[abcd]x|e[sd]i|e[sb]p|cr[0-9]+)$/i;

export class Parser {
  pos = 0;
  readonly scopes: Map<string, Ordinary>[] = [new Map()];
  readonly tags: Map<string, Tag>[] = [new Map()];
  readonly unit: Unit = { funcs: [], globals: [], strings: [] };
  readonly globals = new Map<string, GlobalVar>();
  readonly funcNames = new Map<string, { defined: boolean; isStatic: boolean; asm: string }>();
  fn: FnState | undefined;
  private labelNo = 0;

  constructor(readonly toks: Token[], readonly prefix: string) {
    // va_list is a plain pointer into the caller's argument slots (docs/cc.md).
    this.scopes[0]!.set('__builtin_va_list', { kind: 'typedef', ty: ptrTo(CHAR) });
  }

  // ---- tokens ------------------------------------------------------------------------------
  peek(n = 0): Token { return this.toks[Math.min(this.pos + n, this.toks.length - 1)]!; }
  next(): Token { const t = this.peek(); if (t.k !== 'eof') this.pos++; return t; }
  is(text: string, n = 0): boolean { const t = this.peek(n); return (t.k === 'punct' || t.k === 'kw') && t.text === text; }
  eat(text: string): boolean { if (this.is(text)) { this.pos++; return true; } return false; }
  expect(text: string, what?: string): Token {
    if (!this.is(text)) {
      const t = this.peek();
      fail(t.loc, `expected ${what ?? `'${text}'`} before ${t.k === 'eof' ? 'end of input' : `'${t.text}'`}`);
    }
    return this.next();
  }
  ident(): Token {
    const t = this.peek();
    if (t.k !== 'id') fail(t.loc, `expected an identifier before ${t.k === 'eof' ? 'end of input' : `'${t.text}'`}`);
    return this.next();
  }
  newLabel(): string { return `.L${++this.labelNo}`; }
  newDataLabel(): string { return `${this.prefix}D${++this.labelNo}`; }

  // ---- scopes ------------------------------------------------------------------------------
  lookup(name: string): Ordinary | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const o = this.scopes[i]!.get(name);
      if (o) return o;
    }
    return undefined;
  }
  declare(name: string, o: Ordinary, loc: Loc): void {
    const scope = this.scopes[this.scopes.length - 1]!;
    const old = scope.get(name);
    if (old && !(old.kind === 'typedef' && o.kind === 'typedef' && sameType(old.ty, o.ty))) {
      if (old.kind !== 'var' || o.kind !== 'var' || this.scopes.length > 1) fail(loc, `redefinition of '${name}'`);
    }
    scope.set(name, o);
  }
  push(): void { this.scopes.push(new Map()); this.tags.push(new Map()); }
  pop(): void { this.scopes.pop(); this.tags.pop(); }
  isTypedef(t: Token): boolean { return t.k === 'id' && this.lookup(t.text)?.kind === 'typedef'; }

  /** Does the token start a type name (for casts, sizeof and declarations)? */
  startsType(n = 0): boolean {
    const t = this.peek(n);
    if (t.k === 'id') return this.isTypedef(t);
    return t.k === 'kw' && TYPE_WORDS.has(t.text);
  }

  addString(bytes: number[]): string {
    const label = this.newDataLabel();
    this.unit.strings.push({ label, bytes });
    return label;
  }

  // ---- declaration specifiers --------------------------------------------------------------
  /** Set by attributes: `packed` (for the struct being defined) and the largest `aligned(N)`. */
  seenPacked = false;
  seenAlign = 0;

  /** Parses `__attribute__((...))` lists; only `packed` and `aligned` have an effect. */
  skipAttributes(): void {
    while (this.is('__attribute__') || this.is('__attribute')) {
      this.next();
      this.expect('(');
      this.expect('(');
      while (!this.is(')')) {
        const t = this.next();
        if (t.k === 'eof') fail(t.loc, "expected ')' before end of input");
        const name = t.text.replace(/^__(.*)__$/, '$1');
        if (name === 'packed') this.seenPacked = true;
        if (name === 'aligned') {
          let n = 16n;
          if (this.eat('(')) { n = constInt(this, parseAssign(this), 'alignment is not a constant'); this.expect(')'); }
          if (n <= 0n || n > 4096n || (n & (n - 1n)) !== 0n) fail(t.loc, 'requested alignment is not a power of two up to 4096');
          this.seenAlign = Math.max(this.seenAlign, Number(n));
        } else if (this.eat('(')) this.skipBalanced();
        if (!this.eat(',')) break;
      }
      this.expect(')');
      this.expect(')');
    }
  }
  /** After an opening '(' has been eaten: skip to the matching ')'. */
  skipBalanced(): void {
    let depth = 1;
    while (depth > 0) {
      const t = this.next();
      if (t.k === 'eof') fail(t.loc, "expected ')' before end of input");
      if (t.k === 'punct' && t.text === '(') depth++;
      if (t.k === 'punct' && t.text === ')') depth--;
    }
  }

  declSpec(allowStorage: boolean): DeclSpec {
    let storage: DeclSpec['storage'];
    let ty: Type | undefined;
    const counts = new Map<string, number>();
    const start = this.peek();
    for (;;) {
      const t = this.peek();
      if (t.k === 'kw') {
        const w = t.text;
        if (w === 'typedef' || w === 'static' || w === 'extern') {
          if (!allowStorage) fail(t.loc, `storage class '${w}' not allowed here`);
          if (storage) fail(t.loc, 'multiple storage classes in declaration');
          storage = w; this.next(); continue;
        }
        if (['auto', 'register', 'inline', '__inline', '__inline__', '_Noreturn', 'const', 'volatile', 'restrict',
          '__restrict', '__restrict__', '__volatile__', '__volatile', '__const', '__const__', '__extension__'].includes(w)) {
          this.next(); continue;
        }
        if (w === '__attribute__' || w === '__attribute') { this.skipAttributes(); continue; }
        if (w === '_Thread_local') fail(t.loc, "'_Thread_local' is not supported");
        if (w === 'float' || w === 'double' || w === '_Complex') fail(t.loc, 'floating-point types are not supported');
        if (w === 'struct' || w === 'union') {
          if (ty || counts.size) fail(t.loc, 'two or more data types in declaration specifiers');
          this.next(); ty = this.structSpec(w === 'union'); continue;
        }
        if (w === 'enum') {
          if (ty || counts.size) fail(t.loc, 'two or more data types in declaration specifiers');
          this.next(); ty = this.enumSpec(); continue;
        }
        if (w === '__typeof__' || w === 'typeof' || w === '__typeof') {
          if (ty || counts.size) fail(t.loc, 'two or more data types in declaration specifiers');
          this.next(); this.expect('(');
          ty = this.startsType() ? this.typeName() : rval(parseExpr(this)).ty;
          this.expect(')'); continue;
        }
        if (['void', '_Bool', 'char', 'short', 'int', 'long', 'signed', 'unsigned', '__signed__', '__signed'].includes(w)) {
          if (ty) fail(t.loc, 'two or more data types in declaration specifiers');
          const key = w.startsWith('__signed') ? 'signed' : w;
          counts.set(key, (counts.get(key) ?? 0) + 1);
          this.next(); continue;
        }
        break;
      }
      if (t.k === 'id' && !ty && counts.size === 0 && this.isTypedef(t)) {
        ty = (this.lookup(t.text) as { ty: Type }).ty;
        this.next(); continue;
      }
      break;
    }
    if (!ty) ty = this.basicType(counts, start);
    return { ty, storage };
  }

  private basicType(c: Map<string, number>, start: Token): Type {
    const n = (k: string): number => c.get(k) ?? 0;
    if (c.size === 0) {
      fail(start.loc, start.k === 'id' ? `unknown type name '${start.text}'` : `expected a type before '${start.text}'`);
    }
    const bad = (): never => fail(start.loc, 'invalid combination of type specifiers');
    if (n('signed') && n('unsigned')) bad();
    if (n('signed') > 1 || n('unsigned') > 1 || n('short') > 1 || n('int') > 1 || n('char') > 1) bad();
    const uns = n('unsigned') > 0;
    if (n('void')) { if (c.size > 1 || n('void') > 1) bad(); return VOID; }
    if (n('_Bool')) { if (c.size > 1) bad(); return BOOL; }
    if (n('char')) { if (n('short') || n('long') || n('int')) bad(); return uns ? UCHAR : n('signed') ? { ...CHAR } : CHAR; }
    if (n('short')) { if (n('long')) bad(); return uns ? USHORT : SHORT; }
    if (n('long') === 1) return uns ? ULONG : LONG;
    if (n('long') === 2) return uns ? ULLONG : LLONG;
    if (n('long') > 2) bad();
    return uns ? UINT : INT;
  }

  private structSpec(union: boolean): Type {
    const outer = [this.seenPacked, this.seenAlign] as const;
    this.seenPacked = false;
    this.seenAlign = 0;
    try {
      return this.structBody(union);
    } finally {
      [this.seenPacked, this.seenAlign] = outer;
    }
  }

  private structBody(union: boolean): Type {
    this.skipAttributes();
    const tagTok = this.peek().k === 'id' ? this.next() : undefined;
    const tag = tagTok?.text;
    const kw = union ? 'union' : 'struct';
    if (!this.is('{')) {
      if (!tag) fail(this.peek().loc, `expected '{' or a tag after '${kw}'`);
      const found = this.findTag(tag);
      // `struct S;` declares a new incomplete type in this scope, hiding an outer one.
      const declOnly = this.is(';') && this.scopes.length > 1;
      if (found && !(declOnly && !this.tags[this.tags.length - 1]!.has(tag))) {
        if (found.kind !== 'struct' || found.def.union !== union) fail(tagTok!.loc, `'${tag}' defined as the wrong kind of tag`);
        return { k: 'struct', def: found.def };
      }
      const def: StructDef = { tag, union, complete: false, members: [], size: 0, align: 1 };
      this.tags[this.tags.length - 1]!.set(tag, { kind: 'struct', def });
      return { k: 'struct', def };
    }
    let def: StructDef;
    const cur = tag ? this.tags[this.tags.length - 1]!.get(tag) : undefined;
    if (cur) {
      if (cur.kind !== 'struct' || cur.def.union !== union) fail(tagTok!.loc, `'${tag}' defined as the wrong kind of tag`);
      if (cur.def.complete) fail(tagTok!.loc, `redefinition of '${kw} ${tag}'`);
      def = cur.def;
    } else {
      def = { tag, union, complete: false, members: [], size: 0, align: 1 };
      if (tag) this.tags[this.tags.length - 1]!.set(tag, { kind: 'struct', def });
    }
    const brace = this.peek().loc;
    this.expect('{');
    const members: { name: string; type: Type; width?: number }[] = [];
    const names = new Set<string>();
    while (!this.eat('}')) {
      if (this.is('_Static_assert')) { this.staticAssert(); continue; }
      const keep = [this.seenPacked, this.seenAlign] as const;
      const spec = this.declSpec(false);
      [this.seenPacked, this.seenAlign] = keep;
      if (this.eat(';')) {
        if (spec.ty.k === 'struct' && !spec.ty.def.tag) { members.push({ name: '', type: spec.ty }); continue; }
        fail(this.peek(-1 as number).loc, 'declaration does not declare anything');
      }
      for (;;) {
        if (this.is(':')) {
          // An unnamed bit-field: padding (width 0: up to the next unit of its type).
          const colon = this.next();
          members.push({ name: '', type: spec.ty, width: this.bitWidth(spec.ty, colon.loc, false) });
          if (!this.eat(',')) break;
          continue;
        }
        const d = this.declarator(spec.ty, false);
        [this.seenPacked, this.seenAlign] = keep;
        if (this.is(':')) {
          const colon = this.next();
          if (names.has(d.name!)) fail(d.loc, `duplicate member '${d.name}'`);
          names.add(d.name!);
          members.push({ name: d.name!, type: d.ty, width: this.bitWidth(d.ty, colon.loc, true) });
          if (!this.eat(',')) break;
          continue;
        }
        const last = this.is(';') && this.is('}', 1);
        if (!isComplete(d.ty) && !(d.ty.k === 'array' && d.ty.len === undefined && last && !union)) {
          fail(d.loc, `field '${d.name}' has incomplete type '${typeName(d.ty)}'`);
        }
        if (d.ty.k === 'array' && d.ty.len === undefined) d.ty = { k: 'array', of: d.ty.of, len: 0 };
        if (names.has(d.name!)) fail(d.loc, `duplicate member '${d.name}'`);
        names.add(d.name!);
        members.push({ name: d.name!, type: d.ty });
        if (!this.eat(',')) break;
      }
      this.expect(';');
    }
    const packed = this.seenPacked;
    this.seenAlign = 0;
    this.skipAttributes();
    layoutStruct(def, members, packed || this.seenPacked);
    if (this.seenAlign > def.align) { def.align = this.seenAlign; def.size = alignUp(def.size, def.align); }
    // As for arrays: an object must fit in half the address space, or sizeof and offsets wrap.
    if (def.size > 0x7fffffff) fail(brace, `${kw}${tag ? ` ${tag}` : ''} is too large (${def.size} bytes)`);
    return { k: 'struct', def };
  }

  private bitWidth(ty: Type, loc: Loc, named: boolean): number {
    if (ty.k !== 'int' || ty.size > 4) fail(loc, `bit-field has invalid type '${typeName(ty)}' (int, unsigned, char, short or _Bool)`);
    const w = constInt(this, parseAssign(this), 'bit-field width is not an integer constant');
    if (w < 0n || w > BigInt(ty.rank === 0 ? 1 : ty.size * 8)) fail(loc, 'bit-field width exceeds its type');
    if (w === 0n && named) fail(loc, 'named bit-field has zero width');
    return Number(w);
  }

  private findTag(tag: string): Tag | undefined {
    for (let i = this.tags.length - 1; i >= 0; i--) {
      const t = this.tags[i]!.get(tag);
      if (t) return t;
    }
    return undefined;
  }

  private enumSpec(): Type {
    this.skipAttributes();
    const tagTok = this.peek().k === 'id' ? this.next() : undefined;
    const ty: Type = { k: 'int', size: 4, signed: true, rank: 3, isEnum: true };
    if (!this.is('{')) {
      if (!tagTok) fail(this.peek().loc, "expected '{' or a tag after 'enum'");
      const found = this.findTag(tagTok.text);
      if (found && found.kind !== 'enum') fail(tagTok.loc, `'${tagTok.text}' defined as the wrong kind of tag`);
      return ty;
    }
    if (tagTok) this.tags[this.tags.length - 1]!.set(tagTok.text, { kind: 'enum' });
    this.expect('{');
    let val = 0n;
    while (!this.eat('}')) {
      const id = this.ident();
      if (this.eat('=')) val = constInt(this, parseAssign(this));
      if (val < -(1n << 31n) || val > 0xffffffffn) fail(id.loc, 'enumerator value is out of range of int');
      this.declare(id.text, { kind: 'enum', val: BigInt.asIntN(32, val) }, id.loc);
      val++;
      if (!this.eat(',')) { this.expect('}'); break; }
    }
    this.skipAttributes();
    return ty;
  }

  // ---- declarators -------------------------------------------------------------------------
  private skipQualifiers(): void {
    for (;;) {
      if (['const', 'volatile', 'restrict', '__restrict', '__restrict__', '__volatile__', '__volatile', '__const', '__const__'].some((q) => this.is(q))) { this.next(); continue; }
      if (this.is('__attribute__') || this.is('__attribute')) { this.skipAttributes(); continue; }
      break;
    }
  }

  /** A declarator; `abstract` allows (and `named: false` requires nothing of) the name. */
  declarator(base: Type, abstract: boolean): { name: string | undefined; ty: Type; loc: Loc } {
    let ty = base;
    while (this.eat('*')) { ty = ptrTo(ty); this.skipQualifiers(); }
    if (this.is('(') && (this.is('*', 1) || this.is('(', 1) || (this.peek(1).k === 'id' && !this.isTypedef(this.peek(1))) || this.is('__attribute__', 1))) {
      const open = this.pos;
      this.next();
      this.skipBalanced();
      const outer = this.typeSuffix(ty);
      const end = this.pos;
      this.pos = open + 1;
      this.skipAttributes();
      const inner = this.declarator(outer, abstract);
      this.expect(')');
      this.pos = end;
      return inner;
    }
    const loc = this.peek().loc;
    let name: string | undefined;
    if (this.peek().k === 'id') name = this.next().text;
    else if (!abstract) fail(loc, `expected an identifier before ${this.peek().k === 'eof' ? 'end of input' : `'${this.peek().text}'`}`);
    ty = this.typeSuffix(ty);
    this.skipAttributes();
    if (this.is('asm') || this.is('__asm__') || this.is('__asm')) fail(this.peek().loc, 'asm labels are not supported');
    return { name, ty, loc };
  }

  private typeSuffix(ty: Type): Type {
    if (this.is('(')) {
      const open = this.next();
      const f = this.params(open.loc);
      if (ty.k === 'func') fail(open.loc, 'a function cannot return a function');
      if (ty.k === 'array') fail(open.loc, 'a function cannot return an array');
      return { ...f, ret: ty };
    }
    if (this.is('[')) {
      const open = this.next();
      this.skipQualifiers();
      this.eat('static');
      let len: number | undefined;
      if (!this.is(']')) {
        const n = constInt(this, parseAssign(this), 'array size is not a constant (variable-length arrays are not supported)');
        if (n < 0n) fail(open.loc, 'array size is negative');
        if (n > 0x7fffffffn) fail(open.loc, 'array is too large');
        len = Number(n);
      }
      this.expect(']');
      const of = this.typeSuffix(ty);
      if (!isComplete(of)) fail(open.loc, `array has incomplete element type '${typeName(of)}'`);
      if ((len ?? 0) * sizeOf(of) > 0x7fffffff) fail(open.loc, 'array is too large');
      return { k: 'array', of, len };
    }
    return ty;
  }

  private params(loc: Loc): Extract<Type, { k: 'func' }> {
    const f: Extract<Type, { k: 'func' }> = { k: 'func', ret: VOID, params: [], variadic: false, noProto: false, names: [], locs: [] };
    if (this.eat(')')) { f.noProto = true; return f; }
    if (this.is('void') && this.is(')', 1)) { this.next(); this.next(); return f; }
    this.push();
    try {
      for (;;) {
        if (this.eat('...')) { f.variadic = true; break; }
        if (!this.startsType()) fail(this.peek().loc, `expected a parameter type before '${this.peek().text}'`);
        const spec = this.declSpec(true);
        if (spec.storage) fail(loc, `storage class '${spec.storage}' on a parameter`);
        const d = this.declarator(spec.ty, true);
        let t = d.ty;
        if (t.k === 'array') t = ptrTo(t.of);
        if (t.k === 'func') t = ptrTo(t);
        if (t.k === 'void') fail(d.loc, "'void' must be the only parameter");
        f.params.push(t);
        f.names!.push(d.name);
        f.locs!.push(d.loc);
        if (!this.eat(',')) break;
      }
    } finally {
      this.pop();
    }
    this.expect(')');
    if (f.variadic && f.params.length === 0) fail(loc, "ISO C requires a named argument before '...'");
    return f;
  }

  typeName(): Type {
    const spec = this.declSpec(false);
    return this.declarator(spec.ty, true).ty;
  }

  staticAssert(): void {
    const kw = this.next();
    this.expect('(');
    const v = constInt(this, parseAssign(this));
    let msg = 'static assertion failed';
    if (this.eat(',')) {
      const s = this.next();
      if (s.k !== 'str') fail(s.loc, 'expected a string literal');
      msg = `static assertion failed: "${String.fromCharCode(...s.bytes!)}"`;
    }
    this.expect(')');
    this.expect(';');
    if (v === 0n) fail(kw.loc, msg);
  }

  // ---- file scope --------------------------------------------------------------------------
  parseUnit(): Unit {
    while (this.peek().k !== 'eof') {
      if (this.eat(';')) continue;
      if (this.is('_Static_assert')) { this.staticAssert(); continue; }
      if (this.is('asm') || this.is('__asm__')) fail(this.peek().loc, 'inline assembly is not supported');
      this.externalDecl();
    }
    for (const g of this.globals.values()) if (g.defined) this.unit.globals.push(g);
    return this.unit;
  }

  private externalDecl(): void {
    const first = this.peek();
    this.seenAlign = 0;
    const spec = this.startsType() || this.peek().k === 'kw' ? this.declSpec(true) : fail(first.loc, `unknown type name '${first.text}'`);
    if (this.eat(';')) return;
    for (let n = 0; ; n++) {
      const d = this.declarator(spec.ty, false);
      if (d.ty.k === 'func' && n === 0 && this.is('{')) {
        if (spec.storage === 'typedef') fail(d.loc, 'a typedef cannot have a function body');
        this.functionDef(d.name!, d.ty, spec.storage === 'static', d.loc);
        return;
      }
      this.declareAt(d.name!, d.ty, spec.storage, d.loc, true);
      if (!this.eat(',')) break;
    }
    this.expect(';', "';' after the declaration");
  }

  checkName(name: string, loc: Loc): void {
    if (REGISTER_NAME.test(name)) fail(loc, `'${name}' names a register on mx86 and cannot be a global symbol`);
  }

  /** A declaration other than a function definition, at file scope or (extern/functions) in a block. */
  declareAt(name: string, ty: Type, storage: DeclSpec['storage'], loc: Loc, fileScope: boolean): Stmt | undefined {
    if (storage === 'typedef') { this.declare(name, { kind: 'typedef', ty }, loc); return undefined; }
    if (ty.k === 'func') {
      if (this.is('=')) fail(loc, `function '${name}' is initialized like a variable`);
      this.declareFunc(name, ty, storage === 'static', loc);
      return undefined;
    }
    if (!fileScope && storage !== 'extern') return this.localVar(name, ty, storage === 'static', loc);
    this.checkName(name, loc);
    const isStatic = storage === 'static';
    let g = this.globals.get(name);
    if (g) {
      if (!sameType(g.ty, ty)) fail(loc, `conflicting types for '${name}'`);
      if (g.ty.k === 'array' && g.ty.len === undefined) g.ty = ty;
    } else {
      if (this.funcNames.has(name)) fail(loc, `'${name}' redeclared as a different kind of symbol`);
      g = { name, asm: isStatic ? this.prefix + name : name, ty, isStatic, defined: false, entries: undefined, loc };
      this.globals.set(name, g);
    }
    if (this.seenAlign) g.align = Math.max(g.align ?? 0, this.seenAlign);
    const v: VarInfo = { name, ty: g.ty, kind: 'global', off: 0, asm: g.asm };
    const scope = this.scopes[fileScope ? 0 : this.scopes.length - 1]!;
    scope.set(name, { kind: 'var', v });
    if (fileScope) this.scopes[0]!.set(name, { kind: 'var', v });
    if (this.eat('=')) {
      if (!fileScope) fail(loc, `'${name}' has both 'extern' and an initializer`);
      if (g.entries) fail(loc, `redefinition of '${name}'`);
      const r = parseInitializer(this, g.ty, true);
      g.ty = r.ty;
      v.ty = r.ty;
      g.entries = r.entries;
      g.defined = true;
    } else if (fileScope && storage !== 'extern') {
      g.defined = true;
    }
    if (g.defined && !isComplete(g.ty)) {
      if (g.ty.k === 'array' && g.ty.len === undefined && !this.is('=')) {
        g.ty = { k: 'array', of: g.ty.of, len: 1 };
        v.ty = g.ty;
      } else fail(loc, `storage size of '${name}' isn't known`);
    }
    return undefined;
  }

  private declareFunc(name: string, ty: Extract<Type, { k: 'func' }>, isStatic: boolean, loc: Loc): VarInfo {
    this.checkName(name, loc);
    let f = this.funcNames.get(name);
    if (!f) {
      if (this.globals.has(name)) fail(loc, `'${name}' redeclared as a different kind of symbol`);
      f = { defined: false, isStatic, asm: isStatic ? this.prefix + name : name };
      this.funcNames.set(name, f);
    } else {
      const old = this.lookup(name);
      if (old?.kind === 'var' && old.v.ty.k === 'func' && !sameType(old.v.ty, ty)) fail(loc, `conflicting types for '${name}'`);
      if (old?.kind === 'var' && old.v.ty.k === 'func' && ty.noProto && !old.v.ty.noProto) ty = old.v.ty;
    }
    const v: VarInfo = { name, ty, kind: 'global', off: 0, asm: f.asm };
    this.scopes[this.scopes.length - 1]!.set(name, { kind: 'var', v });
    if (this.scopes.length > 1 && !this.scopes[0]!.has(name)) this.scopes[0]!.set(name, { kind: 'var', v });
    return v;
  }

  private functionDef(name: string, ty: Extract<Type, { k: 'func' }>, isStatic: boolean, loc: Loc): void {
    const v = this.declareFunc(name, ty, isStatic, loc);
    const info = this.funcNames.get(name)!;
    if (info.defined) fail(loc, `redefinition of '${name}'`);
    info.defined = true;
    if (ty.ret.k === 'struct' && !ty.ret.def.complete) fail(loc, 'function returns an incomplete type');
    this.fn = {
      name, frame: 0, ret: ty.ret, labels: new Map(), switches: [], loops: 0, breakable: 0,
      variadicOff: undefined, staticCount: 0,
    };
    this.push();
    const params: VarInfo[] = [];
    let off = 8;
    let retPtrOff: number | undefined;
    if (ty.ret.k === 'struct') { retPtrOff = off; off += 4; }
    ty.params.forEach((pt, i) => {
      const pname = ty.names?.[i];
      const ploc = ty.locs?.[i] ?? loc;
      if (pname === undefined) fail(ploc, 'parameter name omitted');
      if (!isComplete(pt)) fail(ploc, `parameter '${pname}' has incomplete type`);
      const pv: VarInfo = { name: pname, ty: pt, kind: 'local', off, asm: '' };
      off += alignUp(sizeOf(pt), 4);
      this.declare(pname, { kind: 'var', v: pv }, ploc);
      params.push(pv);
    });
    if (ty.variadic) this.fn.variadicOff = off;
    const body = compound(this);
    for (const [label, l] of this.fn.labels) if (!l.defined) fail(l.loc, `label '${label}' used but not defined`);
    this.pop();
    const def: FuncDef = {
      name, asm: v.asm, ty, params, body, frameSize: this.fn.frame, retPtrOff, isStatic: info.isStatic, loc,
    };
    this.unit.funcs.push(def);
    this.fn = undefined;
  }

  // ---- block scope -------------------------------------------------------------------------
  allocLocal(ty: Type): number {
    const f = this.fn!;
    f.frame = alignUp(f.frame + sizeOf(ty), Math.max(4, alignOf(ty)));
    return -f.frame;
  }

  private localVar(name: string, ty: Type, isStatic: boolean, loc: Loc): Stmt | undefined {
    const f = this.fn!;
    if (isStatic) {
      const asm = `${this.prefix}${f.name}_${name}_${++f.staticCount}`;
      const g: GlobalVar = { name, asm, ty, isStatic: true, defined: true, entries: undefined, loc, align: this.seenAlign || undefined };
      const v: VarInfo = { name, ty, kind: 'global', off: 0, asm };
      this.declare(name, { kind: 'var', v }, loc);
      if (this.eat('=')) {
        const r = parseInitializer(this, ty, true);
        g.ty = v.ty = r.ty;
        g.entries = r.entries;
      }
      if (!isComplete(g.ty)) fail(loc, `storage size of '${name}' isn't known`);
      this.globals.set(asm, g);
      return undefined;
    }
    if (this.seenAlign > 4) fail(loc, `alignment ${this.seenAlign} for a local variable is not supported (the stack is 4-byte aligned); make it static`);
    const v: VarInfo = { name, ty, kind: 'local', off: 0, asm: '' };
    this.declare(name, { kind: 'var', v }, loc);
    let stmt: Stmt | undefined;
    if (this.eat('=')) {
      const r = parseInitializer(this, ty, false);
      v.ty = r.ty;
      stmt = { s: 'init', v, entries: r.entries, zero: r.aggregate, loc };
    }
    if (!isComplete(v.ty)) fail(loc, `storage size of '${name}' isn't known`);
    v.off = this.allocLocal(v.ty);
    return stmt;
  }

  blockDecl(): Stmt {
    const loc = this.peek().loc;
    this.seenAlign = 0;
    const spec = this.declSpec(true);
    const out: Stmt[] = [];
    if (!this.eat(';')) {
      for (;;) {
        const d = this.declarator(spec.ty, false);
        const s = this.declareAt(d.name!, d.ty, spec.storage, d.loc, false);
        if (s) out.push(s);
        if (!this.eat(',')) break;
      }
      this.expect(';', "';' after the declaration");
    }
    return out.length === 1 ? out[0]! : { s: 'block', body: out, loc };
  }

}

const TYPE_WORDS = new Set([
  'void', '_Bool', 'char', 'short', 'int', 'long', 'signed', 'unsigned', 'struct', 'union', 'enum',
  'const', 'volatile', 'restrict', '__restrict', '__restrict__', '__volatile__', '__volatile', '__const',
  '__const__', '__signed__', '__signed', 'float', 'double', '_Complex', '__typeof__', 'typeof', '__typeof',
  'inline', '__inline', '__inline__', '_Noreturn', 'register', 'auto', 'static', 'extern', 'typedef', '__attribute__',
  '__attribute', '__extension__',
]);
