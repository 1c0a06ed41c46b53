/**
 * The typed tree of one function to IR (ir.ts). Scalar locals and parameters whose address is
 * never taken become virtual registers; everything else stays in the frame where the parser put
 * it. Conditions become compare-and-branch, array and member accesses become
 * [base + index*scale + disp] operands; `long long` values are pairs of registers (lower64.ts).
 * A construct the IR does not model (structs by value, bit-fields, varargs, builtins, setjmp) throws Unsupported, and the caller
 * compiles that function with the -O0 code generator instead.
 */
import type { CmpOp, Expr, FuncDef, InitEntry, Stmt, VarInfo } from '../ast.js';
import { sizeOf, type Type } from '../types.js';
import {
  imm, vreg, type Addr, type BinK, type Block, type Cc, type ExtK, type Ins, type IrFunction, type Term, type V, type Val,
} from './ir.js';
import { add64, bitwise64, branch64, constW, mulDiv64, not64, shift64, sub64, type W } from './lower64.js';

export class Unsupported extends Error {}

const unsupported = (what: string): never => { throw new Unsupported(what); };

/** A type the IR keeps in one register: integers up to 32 bits and pointers. */
function isWordScalar(t: Type): boolean {
  return (t.k === 'int' && t.size <= 4) || t.k === 'ptr';
}

/** `long long`: kept in two registers, low and high word (lower64.ts). */
const isWide = (t: Type): boolean => t.k === 'int' && t.size === 8;

const signedOf = (t: Type): boolean => t.k === 'int' && t.signed;

/** Locals whose address is taken anywhere in the body (they must stay in memory). */
function addressTaken(body: Stmt): Set<VarInfo> {
  const out = new Set<VarInfo>();
  const root = (e: Expr): void => {
    // &x, &x.m, &x[i] (the array case is in memory anyway): the variable at the root escapes.
    let x = e;
    while (x.e === 'member' || x.e === 'bitfield') x = x.a;
    if (x.e === 'var') out.add(x.v);
  };
  const ex = (e: Expr | undefined): void => {
    if (!e) return;
    switch (e.e) {
      case 'addr': root(e.a); ex(e.a); return;
      case 'vastart': root(e.ap); ex(e.ap); return;
      case 'vaarg': root(e.ap); ex(e.ap); return;
      case 'num': case 'str': case 'var': return;
      case 'unop': case 'cast': case 'deref': case 'member': case 'bitfield': case 'bfpost': ex(e.a); return;
      case 'incdec': ex(e.a); return;
      case 'bin': case 'cmp': case 'logic': case 'assign': case 'opassign': case 'comma': ex(e.a); ex(e.b); return;
      case 'call': ex(e.fn); e.args.forEach(ex); return;
      case 'cond': ex(e.c); ex(e.a); ex(e.b); return;
      case 'builtin': e.args.forEach(ex); return;
      case 'compound': e.entries.forEach(en); return;
    }
  };
  const en = (x: InitEntry): void => { if ('expr' in x) ex(x.expr); };
  const st = (s: Stmt | undefined): void => {
    if (!s) return;
    switch (s.s) {
      case 'expr': ex(s.e); return;
      case 'init': s.entries.forEach(en); return;
      case 'block': s.body.forEach(st); return;
      case 'if': ex(s.c); st(s.t); st(s.f); return;
      case 'while': case 'do': ex(s.c); st(s.body); return;
      case 'for': st(s.init); ex(s.c); ex(s.step); st(s.body); return;
      case 'switch': ex(s.e); st(s.body); return;
      case 'label': st(s.body); return;
      case 'return': ex(s.e); return;
      default: return;
    }
  };
  st(body);
  return out;
}

type LValue = { k: 'reg'; v: V; ty: Type } | { k: 'wreg'; lo: V; hi: V; ty: Type } | { k: 'mem'; addr: Addr; ty: Type };

const CC: Record<CmpOp, [Cc, Cc]> = {
  '<': ['l', 'b'], '<=': ['le', 'be'], '>': ['g', 'a'], '>=': ['ge', 'ae'], '==': ['e', 'e'], '!=': ['ne', 'ne'],
};

/** Looks through conversions that do not change a 32-bit value. */
function strip32(e: Expr): Expr {
  let x = e;
  while (x.e === 'cast' && sizeOf(x.ty) === 4 && isWordScalar(x.a.ty) && sizeOf(x.a.ty) === 4) x = x.a;
  return x;
}

class Lowerer {
  private readonly blocks: Block[] = [];
  private cur: Block;
  private nextV = 0;
  private readonly vars = new Map<VarInfo, V>();
  /** `long long` locals and parameters in registers: low word, high word. */
  private readonly wideVars = new Map<VarInfo, [V, V]>();
  private readonly labels = new Map<string, number>();
  private readonly breaks: number[] = [];
  private readonly continues: number[] = [];
  readonly loops: IrFunction['loops'] = [];
  /** Set once the current block has ended (code after a jump is unreachable until a label). */
  private sealed = false;

  /** Set while an inlined call's body is being lowered: where its `return`s go. */
  private inline: { ret: Type; result: V | undefined; cont: number; stack: FuncDef[] } | undefined;

  constructor(
    private readonly fn: FuncDef, private readonly prefix: string, private readonly helpers: Set<string>,
    private readonly callees: ReadonlyMap<string, FuncDef>,
  ) {
    this.cur = this.newBlock();
  }

  // ---- plumbing ---------------------------------------------------------------------------------
  newV(): V { return this.nextV++; }
  newBlock(): Block {
    const b: Block = { id: this.blocks.length, ins: [], term: { t: 'ret', a: undefined } };
    this.blocks.push(b);
    return b;
  }
  emit(i: Ins): void { if (!this.sealed) this.cur.ins.push(i); }
  end(t: Term): void {
    if (!this.sealed) this.cur.term = t;
    this.sealed = true;
  }
  /** Starts emitting into b (the current block falls through to it when still open). */
  enter(b: Block): void {
    if (!this.sealed) this.cur.term = { t: 'jmp', to: b.id };
    this.cur = b;
    this.sealed = false;
  }
  def(i: (d: V) => Ins): Val {
    const d = this.newV();
    this.emit(i(d));
    return vreg(d);
  }
  labelBlock(name: string): number {
    let id = this.labels.get(name);
    if (id === undefined) { id = this.newBlock().id; this.labels.set(name, id); }
    return id;
  }
  block(id: number): Block { return this.blocks[id]!; }

  // ---- the function ------------------------------------------------------------------------------
  run(): IrFunction {
    const fn = this.fn;
    if (fn.ty.ret.k === 'struct') unsupported('struct return');
    const taken = addressTaken(fn.body);
    for (const p of fn.params) {
      if (isWide(p.ty) && !taken.has(p)) {
        const pair: [V, V] = [this.newV(), this.newV()];
        this.wideVars.set(p, pair);
        this.emit({ op: 'load', d: pair[0], addr: { frame: true, disp: p.off, scale: 1 }, size: 4, signed: false });
        this.emit({ op: 'load', d: pair[1], addr: { frame: true, disp: p.off + 4, scale: 1 }, size: 4, signed: false });
        continue;
      }
      if (!isWordScalar(p.ty) || taken.has(p)) continue;
      const v = this.newV();
      this.vars.set(p, v);
      this.emit(this.loadIns(v, { frame: true, disp: p.off, scale: 1 }, p.ty));
    }
    this.promoteLocals(fn.body, taken);
    this.stmt(fn.body);
    // C99 5.1.2.2.3: reaching the closing brace of main returns 0.
    this.end({ t: 'ret', a: fn.name === 'main' && fn.ty.ret.k === 'int' ? imm(0) : undefined });
    return { blocks: this.blocks, nextV: this.nextV, loops: this.loops };
  }

  private promoteLocals(body: Stmt, taken: Set<VarInfo>): void {
    for (const v of localsOf(body)) {
      if (isWordScalar(v.ty) && !taken.has(v) && !this.vars.has(v)) this.vars.set(v, this.newV());
      if (isWide(v.ty) && !taken.has(v) && !this.wideVars.has(v)) this.wideVars.set(v, [this.newV(), this.newV()]);
    }
    // Locals declared without an initializer have no init statement; uses find them (varReg).
    this.taken = taken;
  }
  private taken = new Set<VarInfo>();

  /** The register of a promotable local, or undefined when it lives in memory. */
  private varReg(v: VarInfo): V | undefined {
    const r = this.vars.get(v);
    if (r !== undefined) return r;
    if (v.kind !== 'local' || !isWordScalar(v.ty) || this.taken.has(v) || v.off > 0) return undefined;
    const n = this.newV();
    this.vars.set(v, n);
    return n;
  }

  /** The registers of a `long long` local kept in registers, or undefined when it lives in memory. */
  private wideReg(v: VarInfo): [V, V] | undefined {
    const r = this.wideVars.get(v);
    if (r !== undefined) return r;
    if (v.kind !== 'local' || !isWide(v.ty) || this.taken.has(v) || v.off > 0) return undefined;
    const pair: [V, V] = [this.newV(), this.newV()];
    this.wideVars.set(v, pair);
    return pair;
  }

  helperFn(name: string): Val { return { k: 'i', n: 0, sym: this.helper(name) }; }

  loadIns(d: V, addr: Addr, ty: Type): Ins {
    const size = sizeOf(ty);
    if (size !== 1 && size !== 2 && size !== 4) return unsupported('load size');
    return { op: 'load', d, addr, size, signed: signedOf(ty) };
  }

  // ---- statements ----------------------------------------------------------------------------
  stmt(s: Stmt): void {
    switch (s.s) {
      case 'nop': return;
      case 'expr': this.effect(s.e); return;
      case 'block': for (const x of s.body) this.stmt(x); return;
      case 'init': this.init(s.v, s.entries, s.zero); return;
      case 'if': {
        const t = this.newBlock(), f = this.newBlock();
        const join = s.f ? this.newBlock() : f;
        this.cond(s.c, t.id, f.id);
        this.enter(t);
        this.stmt(s.t);
        this.end({ t: 'jmp', to: join.id });
        if (s.f) {
          this.enter(f);
          this.stmt(s.f);
          this.end({ t: 'jmp', to: join.id });
        }
        this.enter(join);
        return;
      }
      case 'while': case 'do': case 'for': this.loop(s); return;
      case 'switch': this.switchStmt(s); return;
      case 'label': {
        const b = this.block(this.labelBlock(s.label));
        this.enter(b);
        this.stmt(s.body);
        return;
      }
      case 'break': this.end({ t: 'jmp', to: this.breaks[this.breaks.length - 1]! }); return;
      case 'continue': this.end({ t: 'jmp', to: this.continues[this.continues.length - 1]! }); return;
      case 'goto': this.end({ t: 'jmp', to: this.labelBlock(s.label) }); return;
      case 'return': {
        if (this.inline) { this.inlineReturn(s.e); return; }
        if (!s.e) { this.end({ t: 'ret', a: undefined }); return; }
        if (this.fn.ty.ret.k === 'void') { this.effect(s.e); this.end({ t: 'ret', a: undefined }); return; }
        if (isWide(this.fn.ty.ret)) {
          const w = this.wide(s.e);
          this.end({ t: 'ret', a: w.lo, a2: w.hi });
          return;
        }
        const v = this.value(s.e);
        this.end({ t: 'ret', a: v });
        return;
      }
    }
  }

  /**
   * Loops are laid out as pre-header, body, step, test (the test at the bottom, entered from the
   * pre-header): one compare-and-branch per iteration. The loop's blocks are those created while
   * lowering it; optimize.ts checks the pre-header is their only way in before hoisting.
   */
  private loop(s: Extract<Stmt, { s: 'while' | 'do' | 'for' }>): void {
    if (s.s === 'for' && s.init) this.stmt(s.init);
    const pre = this.newBlock();
    this.enter(pre);
    const first = this.blocks.length;
    const body = this.newBlock(), step = this.newBlock(), test = this.newBlock(), exit = this.newBlock();
    this.end({ t: 'jmp', to: s.s === 'do' ? body.id : test.id });
    this.enter(body);
    this.breaks.push(exit.id);
    this.continues.push(step.id);
    this.stmt(s.body);
    this.breaks.pop();
    this.continues.pop();
    this.enter(step);
    if (s.s === 'for' && s.step) this.effect(s.step);
    this.enter(test);
    const c = s.s === 'for' ? s.c : s.c;
    if (c) this.cond(c, body.id, exit.id);
    else this.end({ t: 'jmp', to: body.id });
    const members = new Set<number>();
    for (let id = first; id < this.blocks.length; id++) if (id !== exit.id) members.add(id);
    this.loops.push({ pre: pre.id, header: s.s === 'do' ? body.id : test.id, body: members });
    this.enter(exit);
  }

  private switchStmt(s: Extract<Stmt, { s: 'switch' }>): void {
    if (!isWordScalar(s.e.ty)) unsupported('64-bit switch');
    const v = this.value(s.e);
    const exit = this.newBlock();
    const dflt = s.info.defaultLabel !== undefined ? this.labelBlock(s.info.defaultLabel) : exit.id;
    const cases = [...s.info.cases].sort((x, y) => (x.val < y.val ? -1 : x.val > y.val ? 1 : 0));
    if (cases.length >= 4 && Number(cases[cases.length - 1]!.val - cases[0]!.val) < cases.length * 3) {
      const min = cases[0]!.val;
      const range = Number(cases[cases.length - 1]!.val - min);
      const byVal = new Map(cases.map((k) => [Number(k.val - min), this.labelBlock(k.label)]));
      const targets = Array.from({ length: range + 1 }, (_, i) => byVal.get(i) ?? dflt);
      this.end({ t: 'jtab', a: v, min: Number(BigInt.asIntN(32, min)), targets, dflt });
    } else {
      for (const k of cases) {
        const next = this.newBlock();
        this.end({ t: 'br', cc: 'e', a: v, b: imm(Number(BigInt.asIntN(32, k.val))), yes: this.labelBlock(k.label), no: next.id });
        this.enter(next);
      }
      this.end({ t: 'jmp', to: dflt });
    }
    this.sealed = true;
    this.breaks.push(exit.id);
    this.stmt(s.body);
    this.breaks.pop();
    this.enter(exit);
  }

  private init(v: VarInfo, entries: InitEntry[], zero: boolean): void {
    const pair = this.wideReg(v);
    if (pair !== undefined) {
      let val = constW(0n);
      for (const en of entries) {
        if ('bytes' in en || en.bits || en.off !== 0) return unsupported('odd scalar initializer');
        val = this.wide(en.expr);
      }
      if (entries.length || zero) this.writeWide(pair, val);
      return;
    }
    const r = this.varReg(v);
    if (r !== undefined) {
      let val: Val = imm(0);
      for (const en of entries) {
        if ('bytes' in en || en.bits || en.off !== 0) return unsupported('odd scalar initializer');
        val = this.value(en.expr);
      }
      if (entries.length || zero) this.emit({ op: 'mov', d: r, a: val });
      return;
    }
    const base: Addr = { frame: true, disp: v.off, scale: 1 };
    if (zero) this.zero(base, sizeOf(v.ty));
    for (const en of entries) {
      const a: Addr = { ...base, disp: base.disp + en.off };
      if ('bytes' in en) {
        const bytes = en.bytes;
        this.storeBytes(a, bytes.length, (k) => bytes[k]!);
        continue;
      }
      if (en.bits || !(isWordScalar(en.ty) || isWide(en.ty))) unsupported('aggregate initializer entry');
      if (zero && en.expr.e === 'num' && en.expr.val === 0n) continue;
      if (isWide(en.ty)) this.store64(a, this.wide(en.expr));
      else this.store(a, en.ty, this.value(en.expr));
    }
  }

  private zero(a: Addr, n: number): void {
    if (n > 64) {
      this.emit({ op: 'call', d: undefined, fn: { k: 'i', n: 0, sym: this.helper('zero') }, args: [this.def((d) => ({ op: 'lea', d, addr: a })), imm(n)] });
      return;
    }
    this.storeBytes(a, n, () => 0);
  }

  /** n bytes stored at a, a word at a time and then byte by byte; byte k is byteAt(k). */
  private storeBytes(a: Addr, n: number, byteAt: (k: number) => number): void {
    let k = 0;
    for (; k + 4 <= n; k += 4) {
      const w = byteAt(k) | (byteAt(k + 1) << 8) | (byteAt(k + 2) << 16) | (byteAt(k + 3) << 24);
      this.emit({ op: 'store', addr: { ...a, disp: a.disp + k }, a: imm(w), size: 4 });
    }
    for (; k < n; k++) this.emit({ op: 'store', addr: { ...a, disp: a.disp + k }, a: imm(byteAt(k)), size: 1 });
  }

  private helper(name: string): string {
    this.helpers.add(name);
    return `${this.prefix}rt_${name}`;
  }

  // ---- conditions ------------------------------------------------------------------------------
  /** Branches to yes when e is true, else to no; the current block ends. */
  cond(e: Expr, yes: number, no: number): void {
    switch (e.e) {
      case 'num': this.end({ t: 'jmp', to: e.val !== 0n ? yes : no }); return;
      case 'unop':
        if (e.op === '!') { this.cond(e.a, no, yes); return; }
        break;
      case 'logic': {
        const mid = this.newBlock();
        if (e.op === '&&') this.cond(e.a, mid.id, no);
        else this.cond(e.a, yes, mid.id);
        this.enter(mid);
        this.cond(e.b, yes, no);
        return;
      }
      case 'cmp':
        if (isWide(e.a.ty)) {
          const a = this.wide(e.a);
          branch64(this, e.op, signedOf(e.a.ty), a, this.wide(e.b), yes, no);
          return;
        }
        this.end({ t: 'br', ...this.comparison(e), yes, no });
        return;
      case 'comma': this.effect(e.a); this.cond(e.b, yes, no); return;
      default: break;
    }
    if (isWide(e.ty)) {
      const w = this.wide(e);
      this.end({ t: 'br', cc: 'ne', a: this.def((d) => ({ op: 'bin', k: 'or', d, a: w.lo, b: w.hi })), b: imm(0), yes, no });
      return;
    }
    if (!isWordScalar(e.ty)) unsupported('struct condition');
    this.end({ t: 'br', cc: 'ne', a: this.value(e), b: imm(0), yes, no });
  }

  /** A comparison's operands (left first) and its x86 condition, for a branch or a set. */
  private comparison(e: Extract<Expr, { e: 'cmp' }>): { cc: Cc; a: Val; b: Val } {
    if (!isWordScalar(e.a.ty)) unsupported('64-bit compare');
    const a = this.value(e.a);
    const b = this.value(e.b);
    return { cc: CC[e.op][signedOf(e.a.ty) ? 0 : 1], a, b };
  }

  // ---- expressions ------------------------------------------------------------------------------
  /** Evaluates for side effects only. */
  effect(e: Expr): void {
    if (isWide(e.ty) && (e.e === 'assign' || e.e === 'opassign' || e.e === 'incdec')) { this.update64(e, false); return; }
    switch (e.e) {
      case 'assign': this.assign(e, false); return;
      case 'opassign': this.opassign(e, false); return;
      case 'incdec': this.incdec(e, false); return;
      case 'comma': this.effect(e.a); this.effect(e.b); return;
      case 'cast': if (e.ty.k === 'void' || isWordScalar(e.a.ty) || isWide(e.a.ty)) { this.effect(e.a); return; } break;
      case 'num': case 'str': return;
      case 'var': if (isWordScalar(e.ty) || isWide(e.ty)) return; break;
      case 'cond': {
        const t = this.newBlock(), f = this.newBlock(), join = this.newBlock();
        this.cond(e.c, t.id, f.id);
        this.enter(t); this.effect(e.a); this.end({ t: 'jmp', to: join.id });
        this.enter(f); this.effect(e.b); this.end({ t: 'jmp', to: join.id });
        this.enter(join);
        return;
      }
      case 'logic': {
        const rhs = this.newBlock(), join = this.newBlock();
        if (e.op === '&&') this.cond(e.a, rhs.id, join.id);
        else this.cond(e.a, join.id, rhs.id);
        this.enter(rhs); this.effect(e.b);
        this.enter(join);
        return;
      }
      case 'call': this.call(e); return;
      case 'vastart': {
        const ap = this.lvalue(e.ap);
        this.write(ap, this.def((d) => ({ op: 'lea', d, addr: { frame: true, disp: e.off, scale: 1 } })), false);
        return;
      }
      default: break;
    }
    if (isWide(e.ty)) { this.wide(e); return; }
    if (e.ty.k === 'void') unsupported(e.e === 'builtin' ? 'builtin' : 'void expression');
    this.value(e);
  }

  /** The value of a scalar expression. */
  value(e: Expr): Val {
    if (!isWordScalar(e.ty)) unsupported(`value of type ${e.ty.k}`);
    switch (e.e) {
      case 'num': return imm(Number(BigInt.asIntN(32, e.val)));
      case 'var': {
        const r = this.varReg(e.v);
        if (r !== undefined) return vreg(r);
        return this.def((d) => this.loadIns(d, this.lvalueAddr(e), e.ty));
      }
      case 'deref': case 'member':
        return this.def((d) => this.loadIns(d, this.lvalueAddr(e), e.ty));
      case 'addr': return this.addressValue(e.a);
      case 'unop': {
        if (e.op === '!' && isWide(e.a.ty)) return this.truth(e);
        const a = this.value(e.a);
        if (e.op === '!') return this.def((d) => ({ op: 'set', cc: 'e', d, a, b: imm(0) }));
        return this.def((d) => ({ op: 'un', k: e.op === '-' ? 'neg' : 'not', d, a }));
      }
      case 'bin': {
        const a = this.value(e.a);
        return this.binary(e.op, a, this.word(e.b), e.ty);
      }
      case 'cmp': {
        if (isWide(e.a.ty)) return this.truth(e);
        const c = this.comparison(e);
        return this.def((d) => ({ op: 'set', d, ...c }));
      }
      case 'logic': case 'cond': {
        const d = this.newV();
        const t = this.newBlock(), f = this.newBlock(), join = this.newBlock();
        this.cond(e.e === 'logic' ? e : e.c, t.id, f.id);
        this.enter(t);
        this.emit({ op: 'mov', d, a: e.e === 'logic' ? imm(1) : this.value(e.a) });
        this.end({ t: 'jmp', to: join.id });
        this.enter(f);
        this.emit({ op: 'mov', d, a: e.e === 'logic' ? imm(0) : this.value(e.b) });
        this.end({ t: 'jmp', to: join.id });
        this.enter(join);
        return vreg(d);
      }
      case 'cast':
        if (isWide(e.a.ty)) return this.fromWide(this.wide(e.a), e.a.ty, e.ty);
        return this.convert(this.value(e.a), e.a.ty, e.ty);
      case 'comma': this.effect(e.a); return this.value(e.b);
      case 'assign': return this.assign(e, true)!;
      case 'opassign': return this.opassign(e, true)!;
      case 'incdec': return this.incdec(e, true)!;
      case 'call': return this.call(e)!;
      case 'vaarg': {
        // ap is a char * to the next 4-byte argument slot (docs/cc.md): read there, step past it.
        const ap = this.lvalue(e.ap);
        const p = this.read(ap);
        this.write(ap, this.def((d) => ({ op: 'bin', k: 'add', d, a: p, b: imm(Math.ceil(sizeOf(e.ty) / 4) * 4) })), false);
        const base = p.k === 'v' ? { base: p.v, disp: 0, scale: 1 as const } : { disp: p.n, sym: p.sym, scale: 1 as const };
        return this.def((d) => this.loadIns(d, base, e.ty));
      }
      default: return unsupported(e.e);
    }
  }

  // ---- long long ------------------------------------------------------------------------------
  /** The value of a `long long` expression, as its low and high words. */
  wide(e: Expr): W {
    if (!isWide(e.ty)) return unsupported(`64-bit value of type ${e.ty.k}`);
    switch (e.e) {
      case 'num': return constW(e.val);
      case 'var': {
        const pair = this.wideReg(e.v);
        if (pair) return { lo: vreg(pair[0]), hi: vreg(pair[1]) };
        return this.load64(this.lvalueAddr(e));
      }
      case 'deref': case 'member': return this.load64(this.lvalueAddr(e));
      case 'unop': {
        const a = this.wide(e.a);
        return e.op === '-' ? sub64(this, constW(0n), a) : e.op === '~' ? not64(this, a) : unsupported('64-bit !');
      }
      case 'bin': return this.binary64(e.op, this.wide(e.a), e.b, signedOf(e.ty));
      case 'cast': return isWide(e.a.ty) ? this.wide(e.a) : this.toWide(this.value(e.a), e.a.ty);
      case 'cond': {
        const lo = this.newV(), hi = this.newV();
        const t = this.newBlock(), f = this.newBlock(), join = this.newBlock();
        this.cond(e.c, t.id, f.id);
        for (const [blk, arm] of [[t, e.a], [f, e.b]] as const) {
          this.enter(blk);
          const w = this.wide(arm);
          this.emit({ op: 'mov', d: lo, a: w.lo });
          this.emit({ op: 'mov', d: hi, a: w.hi });
          this.end({ t: 'jmp', to: join.id });
        }
        this.enter(join);
        return { lo: vreg(lo), hi: vreg(hi) };
      }
      case 'comma': this.effect(e.a); return this.wide(e.b);
      case 'assign': case 'opassign': case 'incdec': return this.update64(e, true)!;
      case 'call': return this.call64(e);
      case 'vaarg': {
        const ap = this.lvalue(e.ap);
        const p = this.read(ap);
        this.write(ap, this.def((d) => ({ op: 'bin', k: 'add', d, a: p, b: imm(8) })), false);
        return this.load64(p.k === 'v' ? { base: p.v, disp: 0, scale: 1 } : { disp: p.n, sym: p.sym, scale: 1 });
      }
      default: return unsupported(`64-bit ${e.e}`);
    }
  }

  /** A 32-bit operand that may be written as a `long long` (a shift count): its low word. */
  private word(e: Expr): Val {
    return isWide(e.ty) ? this.wide(e).lo : this.value(e);
  }

  private binary64(op: Extract<Expr, { e: 'bin' }>['op'], a: W, be: Expr, signed: boolean): W {
    if (op === '<<' || op === '>>') return shift64(this, op === '<<' ? 'shl' : signed ? 'sar' : 'shr', a, this.word(be));
    const b = isWide(be.ty) ? this.wide(be) : this.toWide(this.value(be), be.ty);
    switch (op) {
      case '+': return add64(this, a, b);
      case '-': return sub64(this, a, b);
      case '&': return bitwise64(this, 'and', a, b);
      case '|': return bitwise64(this, 'or', a, b);
      case '^': return bitwise64(this, 'xor', a, b);
      case '*': case '/': case '%': return mulDiv64(this, op, signed, a, b);
      default: return unsupported(`64-bit ${op}`);
    }
  }

  /** A 32-bit value (extended as its type says) widened to 64 bits. */
  private toWide(v: Val, from: Type): W {
    if (!isWordScalar(from)) return unsupported('wide conversion');
    return { lo: v, hi: signedOf(from) ? this.def((d) => ({ op: 'bin', k: 'sar', d, a: v, b: imm(31) })) : imm(0) };
  }

  /** A 64-bit value converted to a type of at most 32 bits. */
  private fromWide(w: W, from: Type, to: Type): Val {
    if (to.k === 'int' && to.rank === 0) {
      return this.def((d) => ({ op: 'set', cc: 'ne', d, a: this.def((t) => ({ op: 'bin', k: 'or', d: t, a: w.lo, b: w.hi })), b: imm(0) }));
    }
    const word: Type = { k: 'int', size: 4, signed: signedOf(from), rank: 3 };
    return this.convert(w.lo, word, to);
  }

  /** A comparison or ! as 0 or 1, through branches (a 64-bit one compares in several steps). */
  private truth(e: Expr): Val {
    const d = this.newV();
    const t = this.newBlock(), f = this.newBlock(), join = this.newBlock();
    this.cond(e, t.id, f.id);
    this.enter(t);
    this.emit({ op: 'mov', d, a: imm(1) });
    this.end({ t: 'jmp', to: join.id });
    this.enter(f);
    this.emit({ op: 'mov', d, a: imm(0) });
    this.end({ t: 'jmp', to: join.id });
    this.enter(join);
    return vreg(d);
  }

  private load64(a: Addr): W {
    const word = (disp: number): Val => this.def((d) => ({ op: 'load', d, addr: { ...a, disp }, size: 4, signed: false }));
    const lo = word(a.disp);
    return { lo, hi: word((a.disp + 4) | 0) };
  }

  private store64(a: Addr, w: W): void {
    this.emit({ op: 'store', addr: a, a: w.lo, size: 4 });
    this.emit({ op: 'store', addr: { ...a, disp: (a.disp + 4) | 0 }, a: w.hi, size: 4 });
  }

  private copyW(w: W): W {
    return { lo: this.def((d) => ({ op: 'mov', d, a: w.lo })), hi: this.def((d) => ({ op: 'mov', d, a: w.hi })) };
  }

  /** Sets a register pair; the high word is read before the low word is written when it is that word. */
  private writeWide(pair: [V, V], w: W): void {
    const hi = w.hi.k === 'v' && w.hi.v === pair[0] ? this.def((d) => ({ op: 'mov', d, a: w.hi })) : w.hi;
    this.emit({ op: 'mov', d: pair[0], a: w.lo });
    this.emit({ op: 'mov', d: pair[1], a: hi });
  }

  private readW(lv: LValue): W {
    if (lv.k === 'wreg') return { lo: vreg(lv.lo), hi: vreg(lv.hi) };
    if (lv.k === 'reg') return unsupported('32-bit lvalue read as 64 bits');
    return this.load64(lv.addr);
  }

  /** Writes w to a `long long` lvalue; returns the expression's value (a copy) when wanted. */
  private writeW(lv: LValue, w: W, want: boolean): W | undefined {
    if (lv.k === 'wreg') {
      this.writeWide([lv.lo, lv.hi], w);
      return want ? this.copyW({ lo: vreg(lv.lo), hi: vreg(lv.hi) }) : undefined;
    }
    if (lv.k === 'reg') return unsupported('32-bit lvalue written as 64 bits');
    this.store64(lv.addr, w);
    return want ? w : undefined;
  }

  /** =, op= and ++/-- on a `long long` lvalue. */
  private update64(e: Extract<Expr, { e: 'assign' | 'opassign' | 'incdec' }>, want: boolean): W | undefined {
    const lv = this.lvalue(e.a);
    if (e.e === 'assign') return this.writeW(lv, this.wide(e.b), want);
    let old = this.readW(lv);
    if (e.e === 'opassign') {
      if (!isWide(e.opTy)) return unsupported('64-bit lvalue with a narrower operation');
      return this.writeW(lv, this.binary64(e.op, old, e.b, signedOf(e.opTy)), want);
    }
    if (want && e.post && lv.k === 'wreg') old = this.copyW(old);
    const r = this.writeW(lv, add64(this, old, constW(e.delta)), want && !e.post);
    return want ? (e.post ? old : r) : undefined;
  }

  private binary(op: Extract<Expr, { e: 'bin' }>['op'], a: Val, b: Val, ty: Type): Val {
    const signed = signedOf(ty);
    if (op === '/' || op === '%') {
      const k = op === '/' ? (signed ? 'sdiv' : 'udiv') : (signed ? 'srem' : 'urem');
      return this.def((d) => ({ op: 'div', k, d, a, b }));
    }
    const k: BinK = ({ '+': 'add', '-': 'sub', '*': 'mul', '&': 'and', '|': 'or', '^': 'xor', '<<': 'shl' } as const)[op as '+']
      ?? (signed ? 'sar' : 'shr');
    return this.def((d) => ({ op: 'bin', k, d, a, b }));
  }

  /** A value of type `from` converted to `to` (both scalars of at most 32 bits). */
  convert(v: Val, from: Type, to: Type): Val {
    if (!isWordScalar(from) || !isWordScalar(to)) return unsupported('wide conversion');
    if (to.k === 'int' && to.rank === 0) return this.def((d) => ({ op: 'set', cc: 'ne', d, a: v, b: imm(0) }));
    const fs = sizeOf(from), ts = sizeOf(to);
    const fsigned = signedOf(from), signed = signedOf(to);
    // A register holds a narrow value already extended; re-extend only when the range changes.
    const fits = from.k === 'int' && fs <= ts && (fsigned === signed || (fs < ts && !fsigned));
    if (ts < 4 && !fits) return this.narrow(v, to);
    return v;
  }

  /** Extends the low bits of v as the narrow type says (for _Bool, the truth value). */
  narrow(v: Val, ty: Type): Val {
    if (ty.k !== 'int' || ty.size === 4) return v;
    if (ty.rank === 0) return this.def((d) => ({ op: 'set', cc: 'ne', d, a: v, b: imm(0) }));
    const k: ExtK = `${ty.signed ? 's' : 'z'}x${ty.size === 1 ? 8 : 16}` as ExtK;
    return this.def((d) => ({ op: 'ext', k, d, a: v }));
  }

  // ---- addresses -----------------------------------------------------------------------------
  /** The address of an lvalue (which must live in memory). */
  lvalueAddr(e: Expr): Addr {
    switch (e.e) {
      case 'var':
        if (this.varReg(e.v) !== undefined || this.wideReg(e.v) !== undefined) return unsupported('address of a register variable');
        return e.v.kind === 'local' ? { frame: true, disp: e.v.off, scale: 1 } : { sym: e.v.asm, disp: 0, scale: 1 };
      case 'str': return { sym: e.label, disp: 0, scale: 1 };
      case 'member': {
        const a = this.lvalueAddr(e.a);
        return { ...a, disp: (a.disp + e.off) | 0 };
      }
      case 'deref': return this.pointerAddr(e.a);
      default: return unsupported(`address of ${e.e}`);
    }
  }

  /** The memory a pointer-valued expression points at, as an addressing mode when it can be one. */
  pointerAddr(p: Expr): Addr {
    if (p.e === 'addr' && p.a.ty.k !== 'func') return this.lvalueAddr(p.a);
    if (p.e === 'cast' && p.a.ty.k === 'ptr') return this.pointerAddr(p.a);
    if (p.e === 'bin' && (p.op === '+' || p.op === '-') && p.ty.k === 'ptr') {
      if (p.b.e === 'num') {
        const a = this.pointerAddr(p.a);
        const k = Number(BigInt.asIntN(32, p.b.val));
        return { ...a, disp: (p.op === '+' ? a.disp + k : a.disp - k) | 0 };
      }
      if (p.op === '+') {
        const a = this.pointerAddr(p.a);
        let idx = strip32(p.b);
        let scale: 1 | 2 | 4 | 8 = 1;
        if (idx.e === 'bin' && idx.op === '*' && idx.b.e === 'num' && [1n, 2n, 4n, 8n].includes(idx.b.val) && sizeOf(idx.ty) === 4) {
          scale = Number(idx.b.val) as 1 | 2 | 4 | 8;
          idx = strip32(idx.a);
        }
        return this.withIndex(a, this.value(idx), scale);
      }
    }
    const v = this.value(p);
    return v.k === 'v' ? { base: v.v, disp: 0, scale: 1 } : { disp: v.n, sym: v.sym, scale: 1 };
  }

  /** a plus index*scale, folding into the addressing mode when it has room. */
  private withIndex(a: Addr, idx: Val, scale: 1 | 2 | 4 | 8): Addr {
    if (idx.k === 'i' && idx.sym === undefined) return { ...a, disp: (a.disp + Math.imul(idx.n, scale)) | 0 };
    const x = idx.k === 'v' ? idx.v : this.materialize(idx);
    if (a.index === undefined && !(a.frame && a.base !== undefined)) return { ...a, index: x, scale };
    if (a.base === undefined && !a.frame && a.scale === 1 && a.index !== undefined) return { ...a, base: a.index, index: x, scale };
    const base = this.def((d) => ({ op: 'lea', d, addr: a })) as { k: 'v'; v: V };
    return { base: base.v, index: x, scale, disp: 0 };
  }

  private materialize(v: Val): V {
    if (v.k === 'v') return v.v;
    return (this.def((d) => ({ op: 'mov', d, a: v })) as { k: 'v'; v: V }).v;
  }

  private addressValue(e: Expr): Val {
    if (e.e === 'var' && e.v.kind === 'global') return { k: 'i', n: 0, sym: e.v.asm };
    if (e.e === 'str') return { k: 'i', n: 0, sym: e.label };
    if (e.ty.k === 'func') return unsupported('function address');
    const a = this.lvalueAddr(e);
    if (a.base === undefined && a.index === undefined && !a.frame) return { k: 'i', n: a.disp, sym: a.sym };
    if (a.base !== undefined && a.index === undefined && !a.frame && a.sym === undefined && a.disp === 0) return vreg(a.base);
    return this.def((d) => ({ op: 'lea', d, addr: a }));
  }

  /** An lvalue: a register variable, or memory (its address parts copied so later code cannot change them). */
  private lvalue(e: Expr): LValue {
    if (e.e === 'var') {
      const r = this.varReg(e.v);
      if (r !== undefined) return { k: 'reg', v: r, ty: e.ty };
      const pair = this.wideReg(e.v);
      if (pair !== undefined) return { k: 'wreg', lo: pair[0], hi: pair[1], ty: e.ty };
    }
    if (e.e === 'bitfield') return unsupported('bit-field');
    const a = this.lvalueAddr(e);
    const snap = (x: V | undefined): V | undefined => (x === undefined ? undefined : this.materialize(this.def((d) => ({ op: 'mov', d, a: vreg(x) }))));
    return { k: 'mem', addr: { ...a, base: snap(a.base), index: snap(a.index) }, ty: e.ty };
  }

  private store(addr: Addr, ty: Type, v: Val): void {
    const size = sizeOf(ty);
    if (size !== 1 && size !== 2 && size !== 4) unsupported('store size');
    this.emit({ op: 'store', addr, a: v, size: size as 1 | 2 | 4 });
  }

  private read(lv: LValue): Val {
    if (lv.k === 'wreg') return unsupported('64-bit lvalue read as 32 bits');
    if (lv.k === 'reg') return vreg(lv.v);
    return this.def((d) => this.loadIns(d, lv.addr, lv.ty));
  }

  /** Writes v (already of the lvalue's type) and returns the value the expression has. */
  private write(lv: LValue, v: Val, want: boolean): Val | undefined {
    if (lv.k === 'wreg') return unsupported('64-bit lvalue written as 32 bits');
    if (lv.k === 'reg') {
      this.emit({ op: 'mov', d: lv.v, a: v });
      // A copy, so that a later write to the variable does not change this value.
      return want ? this.def((d) => ({ op: 'mov', d, a: vreg(lv.v) })) : undefined;
    }
    this.store(lv.addr, lv.ty, v);
    return want ? v : undefined;
  }

  private assign(e: Extract<Expr, { e: 'assign' }>, want: boolean): Val | undefined {
    if (!isWordScalar(e.ty)) return unsupported('struct assignment');
    if (e.a.e === 'bitfield') return unsupported('bit-field');
    // The right side first when the target is a plain variable (nothing to keep), as -O0 does.
    const lv = this.lvalue(e.a);
    const v = this.value(e.b);
    return this.write(lv, v, want);
  }

  private opassign(e: Extract<Expr, { e: 'opassign' }>, want: boolean): Val | undefined {
    if (isWide(e.opTy)) {
      // Computed in 64 bits into a narrower lvalue (int x; x += 1LL).
      const lv = this.lvalue(e.a);
      const r = this.binary64(e.op, this.toWide(this.read(lv), e.a.ty), e.b, signedOf(e.opTy));
      return this.write(lv, this.fromWide(r, e.opTy, e.a.ty), want);
    }
    if (!isWordScalar(e.ty) || !isWordScalar(e.opTy)) return unsupported('struct compound assignment');
    const lv = this.lvalue(e.a);
    const cur = this.convert(this.read(lv), e.a.ty, e.opTy);
    const b = this.value(e.b);
    const r = this.binary(e.op, cur, b, e.opTy);
    // The result, computed in opTy, put back into the lvalue's type.
    return this.write(lv, this.narrow(r, e.a.ty), want);
  }

  private incdec(e: Extract<Expr, { e: 'incdec' }>, want: boolean): Val | undefined {
    if (!isWordScalar(e.ty)) return unsupported('struct ++');
    const lv = this.lvalue(e.a);
    let old = this.read(lv);
    if (want && e.post && lv.k === 'reg') old = this.def((d) => ({ op: 'mov', d, a: old }));
    const sum = this.def((d) => ({ op: 'bin', k: 'add', d, a: old, b: imm(Number(BigInt.asIntN(32, e.delta))) }));
    const nv = this.narrow(sum, e.a.ty);
    const r = this.write(lv, nv, want && !e.post);
    return want ? (e.post ? old : r) : undefined;
  }

  private inlineReturn(e: Expr | undefined): void {
    const inl = this.inline!;
    if (e && inl.ret.k === 'void') this.effect(e);
    else if (e && inl.result !== undefined) this.emit({ op: 'mov', d: inl.result, a: this.value(e) });
    this.end({ t: 'jmp', to: inl.cont });
  }

  /**
   * A call to a small static function of the unit, lowered in place: its parameters become
   * fresh registers holding the arguments, its returns jump to the code after the call.
   */
  private tryInline(e: Extract<Expr, { e: 'call' }>, args: Val[]): { value: Val | undefined } | undefined {
    const f = e.fn;
    if (f.e !== 'addr' || f.a.e !== 'var' || f.a.v.kind !== 'global') return undefined;
    const callee = this.callees.get(f.a.v.asm);
    const stack = this.inline?.stack ?? [this.fn];
    if (!callee || stack.includes(callee) || stack.length > 2 || !inlinable(callee, this.prefix, this.callees)) return undefined;
    const saved = this.inline;
    const cont = this.newBlock();
    const result = callee.ty.ret.k === 'void' ? undefined : this.newV();
    // Fresh registers for the callee's variables (it may be inlined more than once).
    const before = new Map(this.vars);
    callee.params.forEach((p, k) => {
      const v = this.newV();
      this.vars.set(p, v);
      this.emit({ op: 'mov', d: v, a: args[k]! });
    });
    for (const v of localsOf(callee.body)) this.vars.delete(v);
    this.inline = { ret: callee.ty.ret, result, cont: cont.id, stack: [...stack, callee] };
    const outer = { breaks: this.breaks.length, continues: this.continues.length };
    this.stmt(callee.body);
    this.breaks.length = outer.breaks;
    this.continues.length = outer.continues;
    this.inlineReturn(undefined);
    this.inline = saved;
    this.vars.clear();
    for (const [k, v] of before) this.vars.set(k, v);
    this.enter(cont);
    return { value: result === undefined ? undefined : vreg(result) };
  }

  /**
   * Arguments right to left, as -O0 pushes them; a `long long` one becomes two words, low first
   * (so that it is pushed high word first).
   */
  private callArgs(e: Extract<Expr, { e: 'call' }>): { args: Val[]; wide: boolean } {
    const fnExpr = e.fn;
    if (fnExpr.e === 'addr' && fnExpr.a.e === 'var' && fnExpr.a.v.name === 'setjmp') return unsupported('setjmp');
    const parts: Val[][] = new Array(e.args.length);
    let wide = false;
    for (let i = e.args.length - 1; i >= 0; i--) {
      const a = e.args[i]!;
      if (isWide(a.ty)) {
        const w = this.wide(a);
        parts[i] = [w.lo, w.hi];
        wide = true;
        continue;
      }
      if (!isWordScalar(a.ty)) return unsupported('struct argument');
      parts[i] = [this.value(a)];
    }
    return { args: parts.flat(), wide };
  }

  private callee(e: Extract<Expr, { e: 'call' }>): Val {
    const fnExpr = e.fn;
    return fnExpr.e === 'addr' && fnExpr.a.e === 'var' && fnExpr.a.v.kind === 'global'
      ? { k: 'i', n: 0, sym: fnExpr.a.v.asm } : this.value(fnExpr);
  }

  /** A call of a function returning `long long` (in edx:eax). Such functions are not inlined. */
  private call64(e: Extract<Expr, { e: 'call' }>): W {
    const { args } = this.callArgs(e);
    const lo = this.newV(), hi = this.newV();
    this.emit({ op: 'call', d: lo, d2: hi, fn: this.callee(e), args });
    return { lo: vreg(lo), hi: vreg(hi) };
  }

  private call(e: Extract<Expr, { e: 'call' }>): Val | undefined {
    const ret = e.fty.ret;
    if (ret.k === 'struct') return unsupported('struct call result');
    if (isWide(ret)) { this.call64(e); return undefined; }
    const { args, wide } = this.callArgs(e);
    // The inliner maps arguments to parameters one to one (a callee with a long long one is not inlined anyway).
    const inlined = wide ? undefined : this.tryInline(e, args);
    if (inlined) {
      const r = inlined.value;
      return r && ret.k === 'int' && ret.size < 4 ? this.narrow(r, ret) : r;
    }
    const fn = this.callee(e);
    if (ret.k === 'void') {
      this.emit({ op: 'call', d: undefined, fn, args });
      return undefined;
    }
    const r = this.def((d) => ({ op: 'call', d, fn, args }));
    // The callee extends a narrow result already; the caller extends again anyway (docs/cc.md).
    return ret.k === 'int' && ret.size < 4 ? this.narrow(r, ret) : r;
  }
}

export function lowerFunction(fn: FuncDef, prefix: string, helpers: Set<string>, callees: ReadonlyMap<string, FuncDef> = new Map()): IrFunction {
  // Helpers are added only when the whole function lowers (a fallback must not leave them behind).
  const mine = new Set<string>();
  const ir = new Lowerer(fn, prefix, mine, callees).run();
  for (const h of mine) helpers.add(h);
  return ir;
}

/** The local variables a body declares. */
function localsOf(body: Stmt): VarInfo[] {
  const out: VarInfo[] = [];
  const visit = (s: Stmt | undefined): void => {
    if (!s) return;
    switch (s.s) {
      case 'init': out.push(s.v); return;
      case 'block': s.body.forEach(visit); return;
      case 'if': visit(s.t); visit(s.f); return;
      case 'while': case 'do': case 'switch': case 'label': visit(s.body); return;
      case 'for': visit(s.init); visit(s.body); return;
      default: return;
    }
  };
  visit(body);
  return out;
}

/** Statements and expressions in a body, to tell small functions from the rest. */
function size(body: Stmt): number {
  let n = 0;
  const ex = (e: Expr | undefined): void => {
    if (!e) return;
    n++;
    for (const k of ['a', 'b', 'c', 'fn'] as const) {
      const x = (e as Record<string, unknown>)[k];
      if (x && typeof x === 'object' && 'e' in x) ex(x as Expr);
    }
    if (e.e === 'call') e.args.forEach(ex);
  };
  const st = (s: Stmt | undefined): void => {
    if (!s) return;
    n++;
    switch (s.s) {
      case 'expr': ex(s.e); return;
      case 'init': s.entries.forEach((en) => { if ('expr' in en) ex(en.expr); }); return;
      case 'block': s.body.forEach(st); return;
      case 'if': ex(s.c); st(s.t); st(s.f); return;
      case 'while': case 'do': ex(s.c); st(s.body); return;
      case 'for': st(s.init); ex(s.c); ex(s.step); st(s.body); return;
      case 'switch': case 'label': n += 1000; return;
      case 'return': ex(s.e); return;
      default: return;
    }
  };
  st(body);
  return n;
}

const INLINE_LIMIT = 40;
const inlinableMemo = new WeakMap<FuncDef, boolean>();

/**
 * Small static functions whose variables can all live in registers (the caller's frame has no
 * room for theirs), without labels or switches (their label names are the function's own), and
 * which the IR lowers on their own.
 */
function inlinable(f: FuncDef, prefix: string, callees: ReadonlyMap<string, FuncDef>): boolean {
  let ok = inlinableMemo.get(f);
  if (ok !== undefined) return ok;
  // Provisionally no, so that functions calling each other do not ask about each other forever.
  inlinableMemo.set(f, false);
  ok = false;
  if (f.isStatic && !f.ty.variadic && f.retPtrOff === undefined && !isWide(f.ty.ret) && size(f.body) <= INLINE_LIMIT) {
    const taken = addressTaken(f.body);
    const vars = [...f.params, ...localsOf(f.body)];
    if (vars.every((v) => isWordScalar(v.ty) && !taken.has(v)) && !usesMemoryLocals(f.body)) {
      try {
        lowerFunction(f, prefix, new Set(), callees);
        ok = true;
      } catch (e) {
        if (!(e instanceof Unsupported)) throw e;
      }
    }
  }
  inlinableMemo.set(f, ok);
  return ok;
}

/** Whether the body refers to a local that is not a register candidate (an array, a compound literal). */
function usesMemoryLocals(body: Stmt): boolean {
  let found = false;
  const ex = (e: Expr | undefined): void => {
    if (!e || found) return;
    if (e.e === 'var' && e.v.kind === 'local' && !isWordScalar(e.v.ty)) { found = true; return; }
    if (e.e === 'compound' || e.e === 'vastart' || e.e === 'vaarg') { found = true; return; }
    for (const k of ['a', 'b', 'c', 'fn', 'ap'] as const) {
      const x = (e as Record<string, unknown>)[k];
      if (x && typeof x === 'object' && 'e' in x) ex(x as Expr);
    }
    if (e.e === 'call' || e.e === 'builtin') e.args.forEach(ex);
  };
  const st = (s: Stmt | undefined): void => {
    if (!s || found) return;
    switch (s.s) {
      case 'expr': ex(s.e); return;
      case 'init': s.entries.forEach((en) => { if ('expr' in en) ex(en.expr); }); return;
      case 'block': s.body.forEach(st); return;
      case 'if': ex(s.c); st(s.t); st(s.f); return;
      case 'while': case 'do': ex(s.c); st(s.body); return;
      case 'for': st(s.init); ex(s.c); ex(s.step); st(s.body); return;
      case 'switch': case 'label': st(s.body); return;
      case 'return': ex(s.e); return;
      default: return;
    }
  };
  st(body);
  return found;
}
