/**
 * Lowering of mx86 instructions to WebAssembly. The ISA table (isa/table.ts) decides what an
 * instruction is; this file decides how each family is compiled. `LOWERING` classifies every
 * table entry (a test fails for an entry that is neither lowered nor listed as
 * interpreter-only), so adding an instruction to the table forces a decision here.
 *
 * Each lowering mirrors the interpreter's snippet and helper (flags.ts, cpu.ts) operation by
 * operation. The rule that keeps faults precise: every check that can leave the region (a TLB
 * miss, an unaligned or MMIO access, a write to code, a divide error, a misaligned jump target)
 * comes before the instruction changes any register, flag or memory.
 */
import { ISA, type InsnDef } from '../isa/table.js';
import type { Operand } from '../isa/encoding.js';
import { EFLAGS, FOP } from './flags.js';
import { Emitter, FLAGS, L, type Mode } from './jit-emit.js';
import { UNKNOWN, emitArithFlags, emitCf, emitCond } from './jit-flags.js';
import { S_EFLAGS_HIGH } from './jit-state.js';
import { Op } from './wasm-encoder.js';

export interface DInsn {
  readonly addr: number;
  readonly len: number;
  readonly def: InsnDef;
  readonly ops: readonly Operand[];
}

/**
 * Instructions left to the interpreter, and why. A region ends before any of them.
 * - exits, interrupt state, privilege, paging: in/out, hlt, vmcall, cpuid, sti, cli, popf,
 *   iret, int, mov crN, invlpg, lidt, lksp/sksp (design §9);
 * - rdtsc (reads the retired count mid-run; rare in hot code), ud2.
 */
const INTERPRETED = new Set([
  'in', 'out', 'hlt', 'vmcall', 'cpuid', 'sti', 'cli', 'popf', 'iret', 'int', 'invlpg',
  'lidt', 'lksp', 'sksp', 'rdtsc', 'ud2',
]);

/** How the region builder treats an instruction. */
export type Lowering = 'plain' | 'jmp' | 'jcc' | 'call' | 'ret' | 'jmp-r' | 'call-r' | 'jmp-m' | 'call-m' | 'interpreted';

export function lowering(d: InsnDef): Lowering {
  const mn = d.mnemonic.replace(/[bwd]$/, '');
  if (INTERPRETED.has(d.mnemonic) || INTERPRETED.has(mn) || d.privileged) return 'interpreted';
  if (d.exits) return 'interpreted';
  switch (d.op) {
    case 0x70: return 'jmp';
    case 0x71: return 'jmp-r';
    case 0x73: return 'call';
    case 0x74: return 'call-r';
    case 0x76: return 'ret';
    case 0x72: return 'jmp-m';
    case 0x75: return 'call-m';
  }
  if (d.op >= 0x80 && d.op <= 0x8f) return 'jcc';
  if (d.branch) return 'interpreted';
  return PLAIN[d.op] ? 'plain' : 'interpreted';
}

/**
 * How a region of `mode` compiles `d`: as `lowering(d)`, except `cli` and `sti` at ring 0 with
 * paging on, which compile to a check of IF that leaves for the interpreter when the
 * instruction would change IF, and otherwise does nothing: `cli` with IF clear and `sti` with
 * IF set change no state at all (no shadow, no window: cpu.ts `setIF`, `sti`), so a region
 * still never changes interrupt state (design §9). The kernel's irq_save runs `cli` on every
 * lock, nearly always with interrupts already off; interpreted, each cost a dispatcher round
 * trip (about 26,000 per run of the paper's sweep). Paging off, a region does not know the
 * ring, and at ring 3 both raise #GP: those stay interpreted.
 */
export function regionLowering(d: InsnDef, mode: Mode): Lowering {
  if ((d.op === OP_CLI || d.op === OP_STI) && mode.paging && mode.cpl === 0) return 'plain';
  return lowering(d);
}
const OP_CLI = 0xa3, OP_STI = 0xa4;

/** Per-opcode lowering of the straight-line instructions. */
type Lower = (e: Emitter, i: DInsn) => void;
const PLAIN: (Lower | undefined)[] = new Array(256).fill(undefined);
export const PLAIN_LOWER: readonly (Lower | undefined)[] = PLAIN;

// ---- operand helpers ---------------------------------------------------------------------
/** The first and second register operands ($A and $B of the table), wherever they stand. */
const regs = (i: DInsn): number[] => i.ops.filter((o) => o.kind === 'r').map((o) => (o as { reg: number }).reg);
const regA = (i: DInsn): number => regs(i)[0];
const regB = (i: DInsn): number => regs(i)[1];
const imm = (i: DInsn): number => {
  for (const o of i.ops) if (o.kind === 'i' || o.kind === 'rel' || o.kind === 'u5') return o.value;
  throw new Error('no immediate');
};
const memOp = (i: DInsn): Extract<Operand, { kind: 'm' }> => i.ops.find((o) => o.kind === 'm') as Extract<Operand, { kind: 'm' }>;

export function ea(e: Emitter, i: DInsn): void {
  const m = memOp(i);
  e.ea(m.base, m.index, m.scale, m.disp);
}

/** Loads [m] of the instruction into local t2 (after all checks). */
export function load(e: Emitter, i: DInsn, size: number): void {
  ea(e, i);
  e.translate(L.ea, size, false);
  e.loadPa(size);
  e.c.set(L.t2);
}

function setFlags(e: Emitter, kind: number, fields: [number, number][]): void {
  for (const [local, src] of fields) e.c.get(src).set(local);
  e.c.i32(kind).set(L.fop);
  e.kfop = kind;
}

// ---- data movement -------------------------------------------------------------------------
PLAIN[0x01] = (e, i) => { e.c.get(e.reg(regB(i))).set(e.reg(regA(i))); };
PLAIN[0x02] = (e, i) => { e.c.i32(imm(i)).set(e.reg(regA(i))); };
PLAIN[0x0c] = (e, i) => { ea(e, i); e.c.get(L.ea).set(e.reg(regA(i))); };
PLAIN[0x0d] = (e, i) => {
  const a = e.reg(regA(i)), b = e.reg(regB(i));
  e.c.get(a).set(L.t0).get(b).set(a).get(L.t0).set(b);
};
PLAIN[0x15] = (e) => { e.c.get(e.reg(0)).i32(31).op(Op.i32_shr_s).set(e.reg(2)); };
PLAIN[0x18] = (e, i) => { e.c.get(e.reg(regB(i))).i32(0xff).op(Op.i32_and).set(e.reg(regA(i))); };
PLAIN[0x19] = (e, i) => { e.c.get(e.reg(regB(i))).i32(0xffff).op(Op.i32_and).set(e.reg(regA(i))); };
PLAIN[0x1a] = (e, i) => { e.c.get(e.reg(regB(i))).i32(24).op(Op.i32_shl).i32(24).op(Op.i32_shr_s).set(e.reg(regA(i))); };
PLAIN[0x1b] = (e, i) => { e.c.get(e.reg(regB(i))).i32(16).op(Op.i32_shl).i32(16).op(Op.i32_shr_s).set(e.reg(regA(i))); };
PLAIN[0xa5] = () => {};

// Loads: mov/movzx/movsx r, [m]
for (const [op, size, sx] of [[0x03, 4, 0], [0x06, 1, 0], [0x07, 2, 0], [0x08, 1, 24], [0x09, 2, 16]] as const) {
  PLAIN[op] = (e, i) => {
    load(e, i, size);
    e.c.get(L.t2);
    if (sx) e.c.i32(sx).op(Op.i32_shl).i32(sx).op(Op.i32_shr_s);
    e.c.set(e.reg(regA(i)));
  };
}
// Stores: [m] ← r or imm
for (const [op, size, src] of [[0x04, 4, 'r'], [0x05, 4, 'i'], [0x0a, 1, 'r'], [0x0b, 2, 'r'], [0x0e, 1, 'i'], [0x0f, 2, 'i']] as const) {
  PLAIN[op] = (e, i) => {
    ea(e, i);
    e.translate(L.ea, size, true);
    e.storePa(size, () => { if (src === 'r') e.c.get(e.reg(regA(i))); else e.c.i32(imm(i)); });
  };
}

/** push: sp = esp − 4; [sp] ← v (may leave the region); esp ← sp. `value` is evaluated first. */
export function push(e: Emitter, value: () => void): void {
  const c = e.c;
  value();
  c.set(L.t2); // translate() uses t0 and t1
  c.get(e.reg(4)).i32(4).op(Op.i32_sub).set(L.ea);
  e.translate(L.ea, 4, true);
  e.storePa(4, () => { c.get(L.t2); });
  c.get(L.ea).set(e.reg(4));
}
PLAIN[0x10] = (e, i) => { push(e, () => { e.c.get(e.reg(regA(i))); }); };
// pushf: the interpreter's getEflags(), the arithmetic flags from the lazy record and IF/DF from
// the state area (S_EFLAGS_HIGH: regions never change them). The kernel's irq_save runs it on
// every lock; interpreted, it cost two dispatcher round trips per call.
PLAIN[0x13] = (e) => {
  push(e, () => {
    emitArithFlags(e.c, FLAGS, e.kfop);
    e.c.i32(0).mem(Op.i32_load, 2, e.mode.ramSize + S_EFLAGS_HIGH).op(Op.i32_or).i32(EFLAGS.RESERVED1).op(Op.i32_or);
  });
};
PLAIN[0x11] = (e, i) => { push(e, () => { e.c.i32(imm(i)); }); };
// cli / sti (regionLowering): leave for the interpreter when IF would change, else nothing.
const ifUnchanged = (e: Emitter, ifAfter: number): void => {
  e.c.i32(0).mem(Op.i32_load, 2, e.mode.ramSize + S_EFLAGS_HIGH).i32(EFLAGS.IF).op(Op.i32_and).i32(ifAfter).op(Op.i32_ne);
  e.if(); e.slowExit(); e.end();
};
PLAIN[OP_CLI] = (e) => { ifUnchanged(e, 0); };
PLAIN[OP_STI] = (e) => { ifUnchanged(e, EFLAGS.IF); };

/** Loads [esp] into t2 (may leave the region); the caller then moves esp. */
export function loadTop(e: Emitter): void {
  e.c.get(e.reg(4)).set(L.ea);
  e.translate(L.ea, 4, false);
  e.loadPa(4);
  e.c.set(L.t2);
}
// pop: v = [esp]; esp += 4; A = v (so `pop esp` yields the popped value)
PLAIN[0x12] = (e, i) => {
  loadTop(e);
  e.c.get(e.reg(4)).i32(4).op(Op.i32_add).set(e.reg(4)).get(L.t2).set(e.reg(regA(i)));
};

// ---- ALU: opcode 0x20 + 4*op + form (rr, ri, rm) ---------------------------------------------
const ALU_OPS = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp', 'test'] as const;
ALU_OPS.forEach((name, k) => {
  for (let form = 0; form < 3; form++) {
    PLAIN[0x20 + 4 * k + form] = (e, i) => {
      const c = e.c, a = e.reg(regA(i));
      // The second operand into t1 (a load may leave the region before anything changed).
      if (form === 0) c.get(e.reg(regB(i))).set(L.t1);
      else if (form === 1) c.i32(imm(i)).set(L.t1);
      else { load(e, i, 4); c.get(L.t2).set(L.t1); }
      c.get(a).set(L.t0);
      alu(e, name, a);
    };
  }
});

/** Operands in t0 (A) and t1 (B); result into register local `dst` unless cmp/test. */
function alu(e: Emitter, name: (typeof ALU_OPS)[number], dst: number): void {
  const c = e.c;
  const arith = (kind: number, op: number): void => {
    c.get(L.t0).get(L.t1).op(op).set(L.fres);
    setFlags(e, kind, [[L.fa, L.t0], [L.fb, L.t1]]);
  };
  const logic = (op: number): void => {
    c.get(L.t0).get(L.t1).op(op).set(L.fres);
    c.i32(FOP.LOGIC).set(L.fop);
    e.kfop = FOP.LOGIC;
  };
  const carry = (kind: number, op: number): void => {
    emitCf(c, FLAGS, e.kfop);
    c.set(L.t2);
    c.get(L.t0).get(L.t1).op(op).get(L.t2).op(op).set(L.fres);
    c.get(L.t2).set(L.fcf);
    setFlags(e, kind, [[L.fa, L.t0], [L.fb, L.t1]]);
  };
  switch (name) {
    case 'add': arith(FOP.ADD, Op.i32_add); break;
    case 'sub': case 'cmp': arith(FOP.SUB, Op.i32_sub); break;
    case 'adc': carry(FOP.ADC, Op.i32_add); break;
    case 'sbb': carry(FOP.SBB, Op.i32_sub); break;
    case 'or': logic(Op.i32_or); break;
    case 'and': case 'test': logic(Op.i32_and); break;
    case 'xor': logic(Op.i32_xor); break;
  }
  if (name !== 'cmp' && name !== 'test') c.get(L.fres).set(dst);
}

/** inc/dec keep CF: like flags.ts, capture it into fcf unless the record already holds it. */
function incDec(e: Emitter, i: DInsn, kind: number, op: number): void {
  const c = e.c, a = e.reg(regA(i));
  if (e.kfop === UNKNOWN) {
    c.get(L.fop).i32(FOP.INC).op(Op.i32_lt_u);
    e.if(); emitCf(c, FLAGS, UNKNOWN); c.set(L.fcf); e.end();
  } else if (e.kfop < FOP.INC) {
    emitCf(c, FLAGS, e.kfop); c.set(L.fcf);
  }
  c.get(a).i32(1).op(op).tee(L.fres).set(a).i32(kind).set(L.fop);
  e.kfop = kind;
}
PLAIN[0x48] = (e, i) => { incDec(e, i, FOP.INC, Op.i32_add); };
PLAIN[0x49] = (e, i) => { incDec(e, i, FOP.DEC, Op.i32_sub); };
PLAIN[0x4a] = (e, i) => { const a = e.reg(regA(i)); e.c.i32(0).set(L.t0).get(a).set(L.t1); alu(e, 'sub', a); };
PLAIN[0x4b] = (e, i) => { const a = e.reg(regA(i)); e.c.get(a).i32(-1).op(Op.i32_xor).set(a); };

// ---- shifts and rotates: 0x50 + 2*op + form (u5, r) ------------------------------------------
const SHIFT_OPS = ['shl', 'shr', 'sar', 'rol', 'ror'] as const;
SHIFT_OPS.forEach((name, k) => {
  PLAIN[0x50 + 2 * k] = (e, i) => {
    const n = imm(i);
    if (n === 0) return; // no change at all, flags included
    e.c.i32(n).set(L.t1);
    shift(e, name, e.reg(regA(i)));
  };
  PLAIN[0x51 + 2 * k] = (e, i) => {
    const c = e.c;
    c.get(e.reg(regB(i))).i32(31).op(Op.i32_and).tee(L.t1);
    // A zero count changes nothing; otherwise the flags' kind depends on the op alone.
    const before = e.kfop;
    e.if();
    shift(e, name, e.reg(regA(i)));
    e.end();
    e.kfop = before === e.kfop ? before : UNKNOWN;
  };
});

/** Count (1..31) in t1. Mirrors flags.ts. */
function shift(e: Emitter, name: (typeof SHIFT_OPS)[number], a: number): void {
  const c = e.c;
  const explicit = (): void => { c.i32(FOP.EXPLICIT).set(L.fop); e.kfop = FOP.EXPLICIT; };
  switch (name) {
    case 'shl': // cf = (a >>> (32-n)) & 1; r = a << n; of = (r >>> 31) ^ cf
      c.get(a).i32(32).get(L.t1).op(Op.i32_sub).op(Op.i32_shr_u).i32(1).op(Op.i32_and).set(L.fcf);
      c.get(a).get(L.t1).op(Op.i32_shl).tee(L.fres).i32(31).op(Op.i32_shr_u).get(L.fcf).op(Op.i32_xor).set(L.fof);
      explicit();
      break;
    case 'shr': // r = a >>> n; cf = (a >>> (n-1)) & 1; of = a >>> 31
      c.get(a).get(L.t1).i32(1).op(Op.i32_sub).op(Op.i32_shr_u).i32(1).op(Op.i32_and).set(L.fcf);
      c.get(a).i32(31).op(Op.i32_shr_u).set(L.fof);
      c.get(a).get(L.t1).op(Op.i32_shr_u).set(L.fres);
      explicit();
      break;
    case 'sar': // r = a >> n; cf = (a >> (n-1)) & 1; of = 0
      c.get(a).get(L.t1).i32(1).op(Op.i32_sub).op(Op.i32_shr_s).i32(1).op(Op.i32_and).set(L.fcf);
      c.i32(0).set(L.fof);
      c.get(a).get(L.t1).op(Op.i32_shr_s).set(L.fres);
      explicit();
      break;
    case 'rol': case 'ror': {
      // Rotates change CF and OF only (flags.ts rotateFlags): cf into t2, of into t0.
      c.get(a).get(L.t1).op(name === 'rol' ? Op.i32_rotl : Op.i32_rotr).set(a);
      if (name === 'rol') {
        c.get(a).i32(1).op(Op.i32_and).set(L.t2);
        c.get(a).i32(31).op(Op.i32_shr_u).get(L.t2).op(Op.i32_xor).set(L.t0);
      } else {
        c.get(a).i32(31).op(Op.i32_shr_u).set(L.t2);
        c.get(a).i32(31).op(Op.i32_shr_u).get(a).i32(30).op(Op.i32_shr_u).op(Op.i32_xor).i32(1).op(Op.i32_and).set(L.t0);
      }
      const toBits = (): void => {
        c.get(L.fbits).i32(~(1 | 0x800)).op(Op.i32_and).get(L.t2).op(Op.i32_or)
          .get(L.t0).i32(11).op(Op.i32_shl).op(Op.i32_or).set(L.fbits);
      };
      const toExplicit = (): void => { c.i32(FOP.EXPLICIT).set(L.fop).get(L.t2).set(L.fcf).get(L.t0).set(L.fof); };
      if (e.kfop === FOP.NONE) toBits();
      else if (e.kfop !== UNKNOWN) { toExplicit(); e.kfop = FOP.EXPLICIT; }
      else {
        c.get(L.fop).op(Op.i32_eqz);
        e.if(); toBits(); e.else(); toExplicit(); e.end();
      }
      return;
    }
  }
  c.get(L.fres).set(a);
}

// ---- multiply and divide -------------------------------------------------------------------
/** flags.ts explicit(r, ov, ov), with ov (0/1) in t2 and r in local `r`. */
function mulFlags(e: Emitter, r: number): void {
  e.c.get(r).set(L.fres).get(L.t2).set(L.fcf).get(L.t2).set(L.fof).i32(FOP.EXPLICIT).set(L.fop);
  e.kfop = FOP.EXPLICIT;
}
for (const form of [0, 1, 2]) {
  PLAIN[0x60 + form] = (e, i) => {
    const c = e.c, a = e.reg(regA(i));
    if (form === 0) c.get(e.reg(regB(i))).set(L.t1);
    else if (form === 1) c.i32(imm(i)).set(L.t1);
    else { load(e, i, 4); c.get(L.t2).set(L.t1); }
    // 64-bit signed product; overflow when it differs from its low half sign-extended.
    c.get(a).op(Op.i64_extend_i32_s).get(L.t1).op(Op.i64_extend_i32_s).op(Op.i64_mul).set(L.q0);
    c.get(L.q0).op(Op.i32_wrap_i64).set(a);
    c.get(L.q0).get(a).op(Op.i64_extend_i32_s).op(Op.i64_ne).set(L.t2);
    mulFlags(e, a);
  };
}
PLAIN[0x63] = (e, i) => { wideMul(e, e.reg(regA(i)), false); };
PLAIN[0x64] = (e, i) => { wideMul(e, e.reg(regA(i)), true); };

function wideMul(e: Emitter, src: number, signed: boolean): void {
  const c = e.c, eax = e.reg(0), edx = e.reg(2);
  const ext = signed ? Op.i64_extend_i32_s : Op.i64_extend_i32_u;
  c.get(eax).op(ext).get(src).op(ext).op(Op.i64_mul).set(L.q0);
  c.get(L.q0).op(Op.i32_wrap_i64).set(eax);
  c.get(L.q0).i64(32n).op(signed ? Op.i64_shr_s : Op.i64_shr_u).op(Op.i32_wrap_i64).set(edx);
  // cpu.ts mul1: overflow = hi ≠ 0; imul1: hi ≠ sign of lo
  if (signed) c.get(edx).get(eax).i32(31).op(Op.i32_shr_s).op(Op.i32_ne).set(L.t2);
  else c.get(edx).i32(0).op(Op.i32_ne).set(L.t2);
  mulFlags(e, eax);
}

// div: #DE (left to the interpreter) when the divisor is 0 or the quotient does not fit.
PLAIN[0x65] = (e, i) => {
  const c = e.c, eax = e.reg(0), edx = e.reg(2);
  c.get(e.reg(regA(i))).set(L.t1);
  c.get(L.t1).op(Op.i32_eqz).get(edx).get(L.t1).op(Op.i32_ge_u).op(Op.i32_or);
  e.if(); e.slowExit(); e.end();
  c.get(edx).op(Op.i64_extend_i32_u).i64(32n).op(Op.i64_shl).get(eax).op(Op.i64_extend_i32_u).op(Op.i64_or).set(L.q0);
  c.get(L.t1).op(Op.i64_extend_i32_u).set(L.q1);
  c.get(L.q0).get(L.q1).op(Op.i64_rem_u).op(Op.i32_wrap_i64).set(edx);
  c.get(L.q0).get(L.q1).op(Op.i64_div_u).op(Op.i32_wrap_i64).set(eax);
};
// idiv: divisors 0 and −1 go to the interpreter (−1 is the only one that can overflow i64).
PLAIN[0x66] = (e, i) => {
  const c = e.c, eax = e.reg(0), edx = e.reg(2);
  c.get(e.reg(regA(i))).tee(L.t1).i32(1).op(Op.i32_add).i32(1).op(Op.i32_le_u);
  e.if(); e.slowExit(); e.end();
  c.get(edx).op(Op.i64_extend_i32_u).i64(32n).op(Op.i64_shl).get(eax).op(Op.i64_extend_i32_u).op(Op.i64_or).set(L.q0);
  c.get(L.t1).op(Op.i64_extend_i32_s).set(L.q1);
  // Quotient into t0 after the range check (it must fit in 32 signed bits).
  c.get(L.q0).get(L.q1).op(Op.i64_div_s).tee(L.q0);
  c.i64(0x7fffffffn).op(Op.i64_gt_s);
  c.get(L.q0).i64(-0x80000000n).op(Op.i64_lt_s).op(Op.i32_or);
  e.if(); e.slowExit(); e.end();
  // q0 now holds the quotient: recompute the remainder from the dividend.
  c.get(edx).op(Op.i64_extend_i32_u).i64(32n).op(Op.i64_shl).get(eax).op(Op.i64_extend_i32_u).op(Op.i64_or)
    .get(L.q1).op(Op.i64_rem_s).op(Op.i32_wrap_i64).set(edx);
  c.get(L.q0).op(Op.i32_wrap_i64).set(eax);
};

// ---- setcc ---------------------------------------------------------------------------------
for (let cc = 0; cc < 16; cc++) {
  PLAIN[0x90 + cc] = (e, i) => { emitCond(e.c, FLAGS, e.kfop, cc); e.c.set(e.reg(regA(i))); };
}

/** Table entries and how they are compiled (for the coverage test and docs). */
export function loweringTable(): { mnemonic: string; op: number; lowering: Lowering }[] {
  return ISA.map((d) => ({ mnemonic: d.mnemonic, op: d.op, lowering: lowering(d) }));
}
