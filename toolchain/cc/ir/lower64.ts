/**
 * `long long` in the IR (docs/cc-optimizer.md): a 64-bit value is a pair of 32-bit values, low
 * word and high word, and each operation becomes 32-bit instructions on the pair. The IR has no
 * flags, so a carry or borrow is materialised with an unsigned compare (`set b`) and added to
 * the high word; comparisons branch on the high words and then on the low words unsigned.
 * Multiplication, division, remainder and shifts by a variable count call the same runtime
 * routines as the -O0 generator (runtime.ts), which return their result in edx:eax.
 */
import type { CmpOp } from '../ast.js';
import { imm, type BinK, type Block, type Cc, type Ins, type Term, type V, type Val } from './ir.js';

/** A 64-bit value: its low and high words. */
export interface W { lo: Val; hi: Val }

/** What the 64-bit lowering needs of the function being lowered (lower.ts's Lowerer). */
export interface Builder {
  newV(): V;
  newBlock(): Block;
  end(t: Term): void;
  enter(b: Block): void;
  emit(i: Ins): void;
  def(i: (d: V) => Ins): Val;
  /** The symbol of a runtime routine, which the unit then includes. */
  helperFn(name: string): Val;
}

export function constW(n: bigint): W {
  const u = BigInt.asUintN(64, n);
  return { lo: imm(Number(u & 0xffffffffn)), hi: imm(Number(u >> 32n)) };
}

const bin = (b: Builder, k: BinK, x: Val, y: Val): Val => b.def((d) => ({ op: 'bin', k, d, a: x, b: y }));

export function add64(b: Builder, x: W, y: W): W {
  const lo = bin(b, 'add', x.lo, y.lo);
  // The sum's low word is below an addend exactly when the addition carried.
  const carry = b.def((d) => ({ op: 'set', cc: 'b', d, a: lo, b: y.lo }));
  return { lo, hi: bin(b, 'add', bin(b, 'add', x.hi, y.hi), carry) };
}

export function sub64(b: Builder, x: W, y: W): W {
  const borrow = b.def((d) => ({ op: 'set', cc: 'b', d, a: x.lo, b: y.lo }));
  const lo = bin(b, 'sub', x.lo, y.lo);
  return { lo, hi: bin(b, 'sub', bin(b, 'sub', x.hi, y.hi), borrow) };
}

export function bitwise64(b: Builder, k: 'and' | 'or' | 'xor', x: W, y: W): W {
  return { lo: bin(b, k, x.lo, y.lo), hi: bin(b, k, x.hi, y.hi) };
}

export function not64(b: Builder, x: W): W {
  const not = (a: Val): Val => b.def((d) => ({ op: 'un', k: 'not', d, a }));
  return { lo: not(x.lo), hi: not(x.hi) };
}

/** A call of a runtime routine with a 64-bit result (edx:eax). */
export function callHelper(b: Builder, name: string, args: Val[]): W {
  const lo = b.newV(), hi = b.newV();
  b.emit({ op: 'call', d: lo, d2: hi, fn: b.helperFn(name), args });
  return { lo: { k: 'v', v: lo }, hi: { k: 'v', v: hi } };
}

/** *, / and %: runtime routines taking a (pushed first, high word first) and then b. */
export function mulDiv64(b: Builder, op: '*' | '/' | '%', signed: boolean, x: W, y: W): W {
  const name = op === '*' ? 'mul64' : `${signed ? 's' : 'u'}${op === '/' ? 'div' : 'mod'}64`;
  return callHelper(b, name, [y.lo, y.hi, x.lo, x.hi]);
}

/**
 * x shifted by n (a 32-bit count; like the runtime routines, only its low 6 bits count). A
 * constant count becomes word shifts; a variable one calls the routine.
 */
export function shift64(b: Builder, k: 'shl' | 'shr' | 'sar', x: W, n: Val): W {
  if (n.k !== 'i' || n.sym !== undefined) return callHelper(b, `${k}64`, [n, x.lo, x.hi]);
  const c = n.n & 63;
  if (c === 0) return x;
  if (k === 'shl') {
    if (c >= 32) return { lo: imm(0), hi: c === 32 ? x.lo : bin(b, 'shl', x.lo, imm(c - 32)) };
    return { lo: bin(b, 'shl', x.lo, imm(c)), hi: bin(b, 'or', bin(b, 'shl', x.hi, imm(c)), bin(b, 'shr', x.lo, imm(32 - c))) };
  }
  if (c >= 32) {
    return { lo: c === 32 ? x.hi : bin(b, k, x.hi, imm(c - 32)), hi: k === 'sar' ? bin(b, 'sar', x.hi, imm(31)) : imm(0) };
  }
  return { lo: bin(b, 'or', bin(b, 'shr', x.lo, imm(c)), bin(b, 'shl', x.hi, imm(32 - c))), hi: bin(b, k, x.hi, imm(c)) };
}

const STRICT: Record<'<' | '<=' | '>' | '>=', [Cc, Cc]> = { '<': ['l', 'b'], '<=': ['l', 'b'], '>': ['g', 'a'], '>=': ['g', 'a'] };
const LOW: Record<'<' | '<=' | '>' | '>=', Cc> = { '<': 'b', '<=': 'be', '>': 'a', '>=': 'ae' };

/**
 * Branches to yes when `x op y`, else to no; the current block ends. Equality compares the high
 * words and then the low ones; an ordering decides on the high words (signed or not) when they
 * differ, else on the low words, unsigned.
 */
export function branch64(b: Builder, op: CmpOp, signed: boolean, x: W, y: W, yes: number, no: number): void {
  const low = b.newBlock();
  if (op === '==' || op === '!=') {
    const [t, f] = op === '==' ? [yes, no] : [no, yes];
    b.end({ t: 'br', cc: 'ne', a: x.hi, b: y.hi, yes: f, no: low.id });
    b.enter(low);
    b.end({ t: 'br', cc: 'e', a: x.lo, b: y.lo, yes: t, no: f });
    return;
  }
  const equalHigh = b.newBlock();
  b.end({ t: 'br', cc: STRICT[op][signed ? 0 : 1], a: x.hi, b: y.hi, yes, no: equalHigh.id });
  b.enter(equalHigh);
  b.end({ t: 'br', cc: 'ne', a: x.hi, b: y.hi, yes: no, no: low.id });
  b.enter(low);
  b.end({ t: 'br', cc: LOW[op], a: x.lo, b: y.lo, yes, no });
}
