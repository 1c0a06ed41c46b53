/**
 * IR with allocated locations to mx86 assembly. eax is the scratch register: a value that must
 * be in a register and is not (a spilled operand, a constant where the ISA wants a register) goes
 * through eax. The rare instruction that needs a second scratch register (a store of a spilled
 * value through a spilled pointer, a division by a constant, a shift by a spilled count) pushes
 * one its operands do not use and pops it back: frame accesses are ebp-relative, so the push
 * moves nothing they refer to.
 */
import { NOT_CC, type Addr, type Block, type Cc, type Ins, type IrFunction, type Term, type V, type Val } from './ir.js';
import type { Allocation, Loc, Reg } from './regalloc.js';

const SWAP: Record<Cc, Cc> = { e: 'e', ne: 'ne', l: 'g', le: 'ge', g: 'l', ge: 'le', b: 'a', be: 'ae', a: 'b', ae: 'be' };
const ALU: Record<string, string> = { add: 'add', sub: 'sub', mul: 'imul', and: 'and', or: 'or', xor: 'xor', shl: 'shl', shr: 'shr', sar: 'sar' };
const COMMUTATIVE = new Set(['add', 'mul', 'and', 'or', 'xor']);
const SHIFT = new Set(['shl', 'shr', 'sar']);
const EMERGENCY: Reg[] = ['ecx', 'ebx', 'esi', 'edi', 'edx'];

type R = Reg | 'eax';

function immText(n: number, sym?: string): string {
  if (!sym) return `${n | 0}`;
  return n === 0 ? sym : n < 0 ? `${sym} - ${-n}` : `${sym} + ${n}`;
}

function memText(base: string | undefined, index: string | undefined, scale: number, disp: number, sym?: string): string {
  const parts: string[] = [];
  if (base) parts.push(base);
  if (index) parts.push(`${index}*${scale}`);
  if (sym) parts.push(sym);
  let s = parts.join(' + ');
  if (disp !== 0 || parts.length === 0) s += s === '' ? `${disp | 0}` : disp < 0 ? ` - ${-disp}` : ` + ${disp}`;
  return `[${s}]`;
}

export class FunctionEmitter {
  readonly out: string[] = [];
  private next: number | undefined;

  /**
   * `espBias`: the function has no frame pointer; a frame address [ebp + k] (a parameter) is
   * [esp + k + espBias] (frame.ts).
   */
  constructor(
    private readonly fn: IrFunction, private readonly alloc: Allocation, private readonly asm: string,
    private readonly tables: string[], private readonly prefix: string, private readonly espBias?: number,
    private readonly epilogue: string[] = [],
  ) {}

  private e(s: string): void { this.out.push(`        ${s}`); }
  private label(id: number): string { return `.B${id}`; }
  private loc(v: V): Loc {
    const l = this.alloc.loc.get(v);
    // A register never written or read has no interval; any location will do for it.
    return l ?? { r: 'ecx' };
  }
  private reg(x: Val): R | undefined {
    if (x.k !== 'v') return undefined;
    const l = this.loc(x.v);
    return 'r' in l ? l.r : undefined;
  }
  /** An operand as the ISA writes it: a register, [ebp - k] or an immediate. */
  private op(x: Val): string {
    if (x.k === 'i') return immText(x.n, x.sym);
    const l = this.loc(x.v);
    return 'r' in l ? l.r : `[ebp - ${-l.slot}]`;
  }
  private isMem(x: Val): boolean { return x.k === 'v' && !('r' in this.loc(x.v)); }
  private dest(d: V): { r?: Reg; text: string } {
    const l = this.loc(d);
    return 'r' in l ? { r: l.r, text: l.r } : { text: `[ebp - ${-l.slot}]` };
  }

  /** Emits the address, loading spilled base or index registers through eax. */
  private addr(a: Addr): { text: string; regs: R[] } {
    if (a.frame && this.espBias !== undefined) return { text: memText('esp', undefined, 1, a.disp + this.espBias), regs: [] };
    let base: string | undefined = a.frame ? 'ebp' : a.base !== undefined ? this.op({ k: 'v', v: a.base }) : undefined;
    let index: string | undefined = a.index !== undefined ? this.op({ k: 'v', v: a.index }) : undefined;
    let scale: number = a.scale;
    const baseMem = base?.startsWith('[') ?? false;
    const indexMem = index?.startsWith('[') ?? false;
    if (baseMem && indexMem) {
      this.e(`mov eax, ${index}`);
      if (scale !== 1) this.e(`lea eax, [eax*${scale}]`);
      this.e(`add eax, ${base}`);
      base = 'eax'; index = undefined; scale = 1;
    } else if (baseMem) {
      this.e(`mov eax, ${base}`);
      base = 'eax';
    } else if (indexMem) {
      this.e(`mov eax, ${index}`);
      index = 'eax';
    }
    const regs = [base, index].filter((x): x is R => x !== undefined && x !== 'ebp') as R[];
    return { text: memText(base, index, scale, a.disp, a.sym), regs };
  }

  /** A register none of `busy` is in, saved on the stack until `done` is called. */
  private borrow(busy: (string | undefined)[]): { r: Reg; done: () => void } {
    const r = EMERGENCY.find((x) => !busy.includes(x))!;
    this.e(`push ${r}`);
    return { r, done: () => this.e(`pop ${r}`) };
  }

  private store(dst: { r?: Reg; text: string }, from: R): void {
    if (dst.r !== from) this.e(`mov ${dst.text}, ${from}`);
  }

  // ---- instructions -----------------------------------------------------------------------------
  ins(i: Ins): void {
    switch (i.op) {
      case 'mov': {
        const d = this.dest(i.d);
        const a = this.op(i.a);
        if (d.text === a) return;
        if (d.r || !this.isMem(i.a)) { this.e(`mov ${d.text}, ${a}`); return; }
        this.e(`mov eax, ${a}`);
        this.e(`mov ${d.text}, eax`);
        return;
      }
      case 'bin': this.bin(i); return;
      case 'div': this.div(i); return;
      case 'un': {
        const d = this.dest(i.d);
        const r: R = d.r ?? 'eax';
        if (this.op(i.a) !== r) this.e(`mov ${r}, ${this.op(i.a)}`);
        this.e(`${i.k} ${r}`);
        this.store(d, r);
        return;
      }
      case 'ext': {
        const d = this.dest(i.d);
        const r: R = d.r ?? 'eax';
        const op = `mov${i.k[0]}x${i.k.endsWith('8') ? 'b' : 'w'}`;
        if (i.a.k === 'i') {
          const n = i.a.n;
          const v = i.k === 'sx8' ? (n << 24) >> 24 : i.k === 'zx8' ? n & 0xff : i.k === 'sx16' ? (n << 16) >> 16 : n & 0xffff;
          if (i.a.sym) { this.e(`mov ${r}, ${this.op(i.a)}`); this.e(`${op} ${r}, ${r}`); } else this.e(`mov ${r}, ${v}`);
        } else {
          this.e(`${op} ${r}, ${this.op(i.a)}`);
        }
        this.store(d, r);
        return;
      }
      case 'set': {
        const cc = this.compare(i.cc, i.a, i.b);
        const d = this.dest(i.d);
        const r: R = d.r ?? 'eax';
        this.e(`set${cc} ${r}`);
        this.store(d, r);
        return;
      }
      case 'load': {
        const a = this.addr(i.addr);
        const d = this.dest(i.d);
        const r: R = d.r ?? 'eax';
        const op = i.size === 4 ? 'mov' : `mov${i.signed ? 'sx' : 'zx'}${i.size === 1 ? 'b' : 'w'}`;
        this.e(`${op} ${r}, ${a.text}`);
        this.store(d, r);
        return;
      }
      case 'lea': {
        const d = this.dest(i.d);
        const r: R = d.r ?? 'eax';
        const m = i.addr;
        if (!m.frame && m.index === undefined && m.base === undefined) this.e(`mov ${r}, ${immText(m.disp, m.sym)}`);
        else if (!m.frame && m.index === undefined && m.disp === 0 && m.sym === undefined) this.e(`mov ${r}, ${this.op({ k: 'v', v: m.base! })}`);
        else this.e(`lea ${r}, ${this.addr(m).text}`);
        this.store(d, r);
        return;
      }
      case 'store': {
        const a = this.addr(i.addr);
        const op = i.size === 4 ? 'mov' : i.size === 2 ? 'movw' : 'movb';
        if (!this.isMem(i.a)) { this.e(`${op} ${a.text}, ${this.op(i.a)}`); return; }
        if (!a.regs.includes('eax')) {
          this.e(`mov eax, ${this.op(i.a)}`);
          this.e(`${op} ${a.text}, eax`);
          return;
        }
        const t = this.borrow(a.regs);
        this.e(`mov ${t.r}, ${this.op(i.a)}`);
        this.e(`${op} ${a.text}, ${t.r}`);
        t.done();
        return;
      }
      case 'call': {
        if (i.tail) { this.tailCall(i); return; }
        for (let k = i.args.length - 1; k >= 0; k--) {
          const x = i.args[k]!;
          if (this.isMem(x)) { this.e(`mov eax, ${this.op(x)}`); this.e('push eax'); } else this.e(`push ${this.op(x)}`);
        }
        this.e(`call ${this.op(i.fn)}`);
        if (i.args.length) this.e(`add esp, ${4 * i.args.length}`);
        // The high word first: d may be allocated to edx (d and d2 never share a location).
        if (i.d2 !== undefined) this.store(this.dest(i.d2), 'edx');
        if (i.d !== undefined) this.store(this.dest(i.d), 'eax');
        return;
      }
    }
  }

  /**
   * The arguments go into the words the caller's caller pushed for this function's own (tail.ts
   * checked they fit); no value lives there, so storing them clobbers none still to be read.
   */
  private tailCall(i: Extract<Ins, { op: 'call' }>): void {
    i.args.forEach((x, k) => {
      const slot = this.addr({ frame: true, disp: 8 + 4 * k, scale: 1 }).text;
      if (this.isMem(x)) { this.e(`mov eax, ${this.op(x)}`); this.e(`mov ${slot}, eax`); } else this.e(`mov ${slot}, ${this.op(x)}`);
    });
    this.out.push(...this.epilogue);
    this.e(`jmp ${this.op(i.fn)}`);
  }

  private bin(i: Extract<Ins, { op: 'bin' }>): void {
    const d = this.dest(i.d);
    const m = ALU[i.k]!;
    const A = this.op(i.a), B = this.op(i.b);
    const ra = this.reg(i.a), rb = this.reg(i.b);
    // Three-operand forms lea can do in one instruction.
    if (d.r && ra && d.r !== ra) {
      if (i.k === 'add' && rb) { this.e(`lea ${d.r}, [${ra} + ${rb}]`); return; }
      if ((i.k === 'add' || i.k === 'sub') && i.b.k === 'i') {
        const n = i.k === 'add' ? i.b.n : -i.b.n;
        if (i.b.sym === undefined || i.k === 'add') { this.e(`lea ${d.r}, ${memText(ra, undefined, 1, n, i.b.sym)}`); return; }
      }
      if (i.k === 'shl' && i.b.k === 'i' && !i.b.sym && i.b.n >= 1 && i.b.n <= 3) { this.e(`lea ${d.r}, [${ra}*${1 << i.b.n}]`); return; }
    }
    const shift = SHIFT.has(i.k);
    const bText = (inReg: R): string => {
      // A shift count is an immediate (mod 32) or a register.
      if (!shift) return B;
      if (i.b.k === 'i') return `${i.b.n & 31}`;
      if (rb) return rb;
      void inReg;
      return '';
    };
    const apply = (r: R): void => {
      if (shift && i.b.k === 'v' && !rb) {
        const t = this.borrow([r, ra, d.r]);
        this.e(`mov ${t.r}, ${B}`);
        this.e(`${m} ${r}, ${t.r}`);
        t.done();
        return;
      }
      this.e(`${m} ${r}, ${bText(r)}`);
    };
    if (d.r) {
      if (d.r === ra) { apply(d.r); return; }
      if (d.r !== rb) { this.e(`mov ${d.r}, ${A}`); apply(d.r); return; }
      if (COMMUTATIVE.has(i.k)) { this.e(`${m} ${d.r}, ${A}`); return; }
      this.e(`mov eax, ${A}`);
      apply('eax');
      this.e(`mov ${d.r}, eax`);
      return;
    }
    this.e(`mov eax, ${A}`);
    apply('eax');
    this.e(`mov ${d.text}, eax`);
  }

  private div(i: Extract<Ins, { op: 'div' }>): void {
    const signed = i.k === 'sdiv' || i.k === 'srem';
    this.e(`mov eax, ${this.op(i.a)}`);
    let divisor = this.reg(i.b);
    let t: { r: Reg; done: () => void } | undefined;
    if (!divisor || divisor === 'eax') {
      t = this.borrow(['edx']);
      this.e(`mov ${t.r}, ${this.op(i.b)}`);
      divisor = t.r;
    }
    if (signed) this.e('cdq'); else this.e('mov edx, 0');
    this.e(`${signed ? 'idiv' : 'div'} ${divisor}`);
    t?.done();
    const from: R = i.k === 'sdiv' || i.k === 'udiv' ? 'eax' : 'edx';
    const d = this.dest(i.d);
    if (d.text !== from) this.e(`mov ${d.text}, ${from}`);
  }

  /** cmp of a and b; returns the condition meaning "a cc b" for the flags it set. */
  private compare(cc: Cc, a: Val, b: Val): Cc {
    const ra = this.reg(a), rb = this.reg(b);
    if (ra) {
      if (b.k === 'i' && b.n === 0 && !b.sym) this.e(`test ${ra}, ${ra}`);
      else this.e(`cmp ${ra}, ${this.op(b)}`);
      return cc;
    }
    if (rb) {
      this.e(`cmp ${rb}, ${this.op(a)}`);
      return SWAP[cc];
    }
    this.e(`mov eax, ${this.op(a)}`);
    if (b.k === 'i' && b.n === 0 && !b.sym) this.e('test eax, eax');
    else this.e(`cmp eax, ${this.op(b)}`);
    return cc;
  }

  // ---- blocks ----------------------------------------------------------------------------------------
  private jump(to: number): void { if (to !== this.next) this.e(`jmp ${this.label(to)}`); }

  term(t: Term, last: boolean): void {
    switch (t.t) {
      case 'jmp': this.jump(t.to); return;
      case 'br': {
        const cc = this.compare(t.cc, t.a, t.b);
        if (t.yes === this.next) { this.e(`j${NOT_CC[cc]} ${this.label(t.no)}`); return; }
        this.e(`j${cc} ${this.label(t.yes)}`);
        this.jump(t.no);
        return;
      }
      case 'ret':
        if (t.a) { const a = this.op(t.a); if (a !== 'eax') this.e(`mov eax, ${a}`); }
        // After eax: a may be in edx, and eax is never an allocated location a2 could be in.
        if (t.a2) { const a2 = this.op(t.a2); if (a2 !== 'edx') this.e(`mov edx, ${a2}`); }
        if (!last) this.e('jmp .Lret');
        return;
      case 'jtab': {
        const table = `${this.prefix}T${this.tables.length}_${this.asm.replace(/[^A-Za-z0-9_]/g, '_')}`;
        this.e(`mov eax, ${this.op(t.a)}`);
        if (t.min !== 0) this.e(`sub eax, ${t.min}`);
        this.e(`cmp eax, ${t.targets.length - 1}`);
        this.e(`ja ${this.label(t.dflt)}`);
        this.e(`jmp [${table} + eax*4]`);
        this.tables.push('.align 4', `${table}:`);
        for (const x of t.targets) this.tables.push(`        .dword ${this.asm}${this.label(x)}`);
        return;
      }
    }
  }

  run(): string[] {
    const blocks: Block[] = this.fn.blocks;
    blocks.forEach((b, k) => {
      this.next = blocks[k + 1]?.id;
      this.out.push(`${this.label(b.id)}:`);
      for (const i of b.ins) this.ins(i);
      const last = b.ins[b.ins.length - 1];
      // A tail call's jump is the block's return.
      if (!(last?.op === 'call' && last.tail)) this.term(b.term, k === blocks.length - 1);
    });
    return this.out;
  }
}
