/**
 * Instruction operands: parsing the syntax, choosing the table entry, and building the
 * encoder's Operand values. The form is chosen from syntax alone (register, control register,
 * memory, expression), so every instruction's length is known before any symbol is.
 */
import { ISA, type InsnDef, type OperandKind } from '../../vmm/isa/table.js';
import { lengthOf, type Operand } from '../../vmm/isa/encoding.js';
import { hex } from '../../vmm/isa/disasm.js';
import { StmtError } from './errors.js';
import { controlRegister, evaluate, parseExpr, registerNumber, type Env, type Expr, type Qualify, type Tokens } from './expr.js';

export type SynOperand =
  | { s: 'reg'; reg: number; col: number }
  | { s: 'cr'; cr: number; col: number }
  | { s: 'mem'; base: number | null; index: number | null; scale: Expr | null; disp: Expr | null; col: number }
  | { s: 'expr'; e: Expr; col: number };

const SYN_NAME: Record<SynOperand['s'], string> = {
  reg: 'register', cr: 'control register', mem: 'memory', expr: 'expression',
};

const KIND_NAME: Record<OperandKind, string> = {
  r: 'r', c: 'cr', m: 'm', i: 'imm32', rel: 'target', u5: 'u5', u8: 'u8', p16: 'port',
};

const ACCEPTS: Record<OperandKind, SynOperand['s']> = {
  r: 'reg', c: 'cr', m: 'mem', i: 'expr', rel: 'expr', u5: 'expr', u8: 'expr', p16: 'expr',
};

const BY_MNEMONIC: ReadonlyMap<string, readonly InsnDef[]> = (() => {
  const m = new Map<string, InsnDef[]>();
  for (const d of ISA) {
    const list = m.get(d.mnemonic) ?? [];
    list.push(d);
    m.set(d.mnemonic, list);
  }
  return m;
})();

export function isMnemonic(name: string): boolean {
  return BY_MNEMONIC.has(name.toLowerCase());
}

export function formText(d: InsnDef): string {
  return d.operands.length ? `${d.mnemonic} ${d.operands.map((k) => KIND_NAME[k]).join(', ')}` : d.mnemonic;
}

/** The table entry for `mnemonic` with operands of these syntactic kinds, or a StmtError. */
export function selectForm(mnemonic: string, mnemonicCol: number, ops: readonly SynOperand[]): InsnDef {
  const forms = BY_MNEMONIC.get(mnemonic.toLowerCase());
  if (!forms) throw new StmtError(`unknown instruction '${mnemonic}'`, mnemonicCol);
  const found = forms.find((d) => d.operands.length === ops.length && d.operands.every((k, i) => ACCEPTS[k] === ops[i]!.s));
  if (found) return found;
  const taken = ops.length ? `(${ops.map((o) => SYN_NAME[o.s]).join(', ')})` : 'no operands';
  const takes = ops.length ? `takes ${taken}` : 'takes no operands';
  throw new StmtError(`no form of '${mnemonic.toLowerCase()}' ${takes}; forms: ${forms.map(formText).join(' | ')}`, mnemonicCol);
}

export function instructionLength(d: InsnDef): number {
  return lengthOf(d);
}

/** Parses one operand (up to a top-level comma or the end of the line). */
export function parseOperand(ts: Tokens, q: Qualify): SynOperand {
  const t = ts.peek();
  const col = ts.col();
  if (t && t.t === 'ident' && isOperandEnd(ts, 1)) {
    const reg = registerNumber(t.text);
    if (reg >= 0) { ts.next(); return { s: 'reg', reg, col }; }
    const cr = controlRegister(t.text);
    if (cr >= 0) {
      if (cr > 7) throw new StmtError(`no control register '${t.text}' (cr0..cr7)`, col);
      ts.next();
      return { s: 'cr', cr, col };
    }
  }
  if (ts.eat('[')) {
    const inner = parseExpr(ts, q);
    ts.expect(']', "']' to close the memory operand");
    return { ...splitAddress(inner), col };
  }
  const e = parseExpr(ts, q);
  const reg = findReg(e);
  if (reg) throw new StmtError(`register '${reg.name}' cannot be part of an expression (memory operands need brackets)`, reg.col);
  return { s: 'expr', e, col };
}

function findReg(e: Expr): Extract<Expr, { k: 'reg' }> | undefined {
  if (e.k === 'reg') return e;
  if (e.k === 'un') return findReg(e.e);
  if (e.k === 'bin') return findReg(e.a) ?? findReg(e.b);
  return undefined;
}

function isOperandEnd(ts: Tokens, offset: number): boolean {
  return ts.peek(offset) === undefined || ts.isPunct(',', offset);
}

type Term = { sign: 1 | -1; e: Expr };

/** Flattens the top-level sum of an address so its register terms can be picked out. */
function terms(e: Expr, sign: 1 | -1, out: Term[]): Term[] {
  if (e.k === 'bin' && (e.op === '+' || e.op === '-')) {
    terms(e.a, sign, out);
    terms(e.b, e.op === '-' ? (-sign as 1 | -1) : sign, out);
  } else if (e.k === 'un' && e.op === '-') {
    terms(e.e, (-sign as 1 | -1), out);
  } else {
    out.push({ sign, e });
  }
  return out;
}

function hasReg(e: Expr): boolean {
  return findReg(e) !== undefined;
}

/**
 * Splits `[...]` into base, index*scale and displacement. The first unscaled register is the
 * base and a second one is the index with scale 1, matching the order the disassembler prints.
 */
function splitAddress(inner: Expr): Omit<Extract<SynOperand, { s: 'mem' }>, 'col'> {
  let base: number | null = null;
  let index: number | null = null;
  let scale: Expr | null = null;
  let disp: Expr | null = null;
  const setIndex = (reg: number, s: Expr | null, col: number): void => {
    if (index !== null) throw new StmtError('a memory operand has at most one index register', col);
    index = reg;
    scale = s;
  };
  for (const { sign, e } of terms(inner, 1, [])) {
    if (hasReg(e)) {
      if (sign < 0) throw new StmtError('a register in an address cannot be subtracted', e.col);
      if (e.k === 'reg') {
        if (base === null) base = e.reg;
        else setIndex(e.reg, null, e.col);
        continue;
      }
      if (e.k === 'bin' && e.op === '*') {
        const [r, s] = e.a.k === 'reg' ? [e.a, e.b] : [e.b, e.a];
        if (r.k === 'reg' && !hasReg(s)) {
          setIndex(r.reg, s, r.col);
          continue;
        }
      }
      throw new StmtError('registers in an address must be base or index*scale (scale 1, 2, 4 or 8)', e.col);
    }
    const term: Expr = sign < 0 ? { k: 'un', op: '-', e, col: e.col } : e;
    disp = disp === null ? term : { k: 'bin', op: '+', a: disp, b: term, col: e.col };
  }
  return { s: 'mem', base, index, scale, disp };
}

const RANGES: Partial<Record<OperandKind, [number, string]>> = {
  u5: [31, 'shift count'], u8: [255, 'interrupt vector'], p16: [0xffff, 'port'],
};

/** Evaluates operands into encoder Operands. `next` is the address after the instruction. */
export function resolveOperands(d: InsnDef, ops: readonly SynOperand[], env: Env, next: number): Operand[] {
  return ops.map((o, k): Operand => {
    const kind = d.operands[k]!;
    switch (o.s) {
      case 'reg': return { kind: 'r', reg: o.reg };
      case 'cr': return { kind: 'c', cr: o.cr };
      case 'mem': {
        let scale: 1 | 2 | 4 | 8 = 1;
        if (o.scale) {
          const s = evaluate(o.scale, env);
          if (s !== 1 && s !== 2 && s !== 4 && s !== 8) throw new StmtError(`scale ${signed(s)} is not 1, 2, 4 or 8`, o.scale.col);
          scale = s;
        }
        const disp = o.disp ? evaluate(o.disp, env) | 0 : 0;
        return { kind: 'm', base: o.base, index: o.index, scale, disp };
      }
      case 'expr': {
        const v = evaluate(o.e, env);
        if (kind === 'rel') return { kind, value: (v - next) | 0 };
        if (kind === 'i') return { kind, value: v | 0 };
        const [max, what] = RANGES[kind as 'u5' | 'u8' | 'p16']!;
        if (v > max) throw new StmtError(`${what} ${signed(v)} out of range 0..${max > 255 ? hex(max) : max}`, o.col);
        return { kind: kind as 'u5' | 'u8' | 'p16', value: v };
      }
    }
  });
}

/** Shows a 32-bit value the way a user probably wrote it. */
export function signed(v: number): string {
  const s = v | 0;
  return s < 0 && s > -0x10000 ? String(s) : v > 0xffff ? hex(v) : String(v >>> 0);
}
