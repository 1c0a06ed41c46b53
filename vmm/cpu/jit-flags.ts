/**
 * Lazy flags in compiled code. A region keeps the interpreter's lazy-flag record (flags.ts: fop,
 * fa, fb, fres, fcf, fof, fbits) in Wasm locals and updates it exactly as the interpreter's
 * helpers do, so the record it hands back at an exit is the interpreter's, bit for bit. Reading
 * a flag uses the kind of the last flag-setting instruction when the compiler knows it
 * statically (a cmp just before a jcc: the branch becomes one compare, and V8 drops the dead
 * stores), and otherwise a small helper function that switches on fop at run time.
 */
import { FOP } from './flags.js';
import { Op, type Code } from './wasm-encoder.js';

/** Local indices of the seven lazy-flag fields, in FLAG_FIELDS order. */
export interface FlagLocals {
  fop: number; fa: number; fb: number; fres: number; fcf: number; fof: number; fbits: number;
}

/** Function indices of the run-time helpers in every region module. */
export const FN_CF = 3, FN_OF = 4; // after the imported refill (0) and out (1), and run (2)
/** Statically unknown flag kind. */
export const UNKNOWN = -1;

function pushAll(c: Code, f: FlagLocals): void {
  c.get(f.fop).get(f.fa).get(f.fb).get(f.fres).get(f.fcf).get(f.fof).get(f.fbits);
}

/** Pushes CF (0/1) for a flag record of kind `k` (UNKNOWN: call the helper). */
export function emitCf(c: Code, f: FlagLocals, k: number): void {
  switch (k) {
    case FOP.ADD: c.get(f.fres).get(f.fa).op(Op.i32_lt_u); return;
    case FOP.SUB: c.get(f.fa).get(f.fb).op(Op.i32_lt_u); return;
    case FOP.LOGIC: c.i32(0); return;
    case FOP.ADC:
      c.get(f.fa).op(Op.i64_extend_i32_u).get(f.fb).op(Op.i64_extend_i32_u).op(Op.i64_add)
        .get(f.fcf).op(Op.i64_extend_i32_u).op(Op.i64_add).i64(0x100000000n).op(Op.i64_ge_u);
      return;
    case FOP.SBB:
      c.get(f.fa).op(Op.i64_extend_i32_u).get(f.fb).op(Op.i64_extend_i32_u)
        .get(f.fcf).op(Op.i64_extend_i32_u).op(Op.i64_add).op(Op.i64_lt_u);
      return;
    case FOP.NONE: c.get(f.fbits).i32(1).op(Op.i32_and); return;
    case FOP.INC: case FOP.DEC: case FOP.EXPLICIT: c.get(f.fcf); return;
    default: pushAll(c, f); c.op(Op.call).u32(FN_CF);
  }
}

/** Pushes OF (0/1). */
export function emitOf(c: Code, f: FlagLocals, k: number): void {
  switch (k) {
    case FOP.ADD: case FOP.ADC:
      c.get(f.fa).get(f.fres).op(Op.i32_xor).get(f.fb).get(f.fres).op(Op.i32_xor).op(Op.i32_and).i32(31).op(Op.i32_shr_u);
      return;
    case FOP.SUB: case FOP.SBB:
      c.get(f.fa).get(f.fb).op(Op.i32_xor).get(f.fa).get(f.fres).op(Op.i32_xor).op(Op.i32_and).i32(31).op(Op.i32_shr_u);
      return;
    case FOP.LOGIC: c.i32(0); return;
    case FOP.INC: c.get(f.fres).i32(-0x80000000).op(Op.i32_eq); return;
    case FOP.DEC: c.get(f.fres).i32(0x7fffffff).op(Op.i32_eq); return;
    case FOP.EXPLICIT: c.get(f.fof); return;
    case FOP.NONE: c.get(f.fbits).i32(11).op(Op.i32_shr_u).i32(1).op(Op.i32_and); return;
    default: pushAll(c, f); c.op(Op.call).u32(FN_OF);
  }
}

/** Pushes ZF, SF or PF: from fbits when fop is NONE, else from fres. */
function emitResFlag(c: Code, f: FlagLocals, k: number, fromRes: () => void, bit: number): void {
  const fromBits = (): void => { c.get(f.fbits).i32(bit).op(Op.i32_shr_u).i32(1).op(Op.i32_and); };
  if (k === FOP.NONE) fromBits();
  else if (k !== UNKNOWN) fromRes();
  else { fromBits(); fromRes(); c.get(f.fop).op(Op.i32_eqz).op(Op.select); }
}

export function emitZf(c: Code, f: FlagLocals, k: number): void {
  emitResFlag(c, f, k, () => { c.get(f.fres).op(Op.i32_eqz); }, 6);
}
export function emitSf(c: Code, f: FlagLocals, k: number): void {
  emitResFlag(c, f, k, () => { c.get(f.fres).i32(31).op(Op.i32_shr_u); }, 7);
}
export function emitPf(c: Code, f: FlagLocals, k: number): void {
  emitResFlag(c, f, k, () => { c.get(f.fres).i32(0xff).op(Op.i32_and).op(Op.i32_popcnt).i32(1).op(Op.i32_and).i32(1).op(Op.i32_xor); }, 2);
}

/**
 * Pushes CF, PF, ZF, SF and OF as eflags bits, as flags.ts arithFlags() computes them: fbits
 * itself when fop is NONE (statically, or selected at run time when the kind is unknown).
 */
export function emitArithFlags(c: Code, f: FlagLocals, k: number): void {
  if (k === FOP.NONE) { c.get(f.fbits); return; }
  emitCf(c, f, k);
  emitPf(c, f, k); c.i32(2).op(Op.i32_shl).op(Op.i32_or);
  emitZf(c, f, k); c.i32(6).op(Op.i32_shl).op(Op.i32_or);
  emitSf(c, f, k); c.i32(7).op(Op.i32_shl).op(Op.i32_or);
  emitOf(c, f, k); c.i32(11).op(Op.i32_shl).op(Op.i32_or);
  if (k === UNKNOWN) c.get(f.fbits).get(f.fop).op(Op.select); // fop (NONE is 0) ? the bits above : fbits
}

/**
 * Pushes condition `cc` (index in CONDITIONS order) as 0/1. The SUB fast paths are the
 * interpreter's (flags.ts c_b, c_be, c_l, c_le); the generic forms are equal to them.
 */
export function emitCond(c: Code, f: FlagLocals, k: number, cc: number): void {
  const base = cc & ~1, negate = (cc & 1) === 1;
  const sub = k === FOP.SUB;
  switch (base) {
    case 0: emitOf(c, f, k); break; // o
    case 2: if (sub) c.get(f.fa).get(f.fb).op(Op.i32_lt_u); else emitCf(c, f, k); break; // b
    case 4: emitZf(c, f, k); break; // e
    case 6: // be
      if (sub) c.get(f.fa).get(f.fb).op(Op.i32_le_u);
      else { emitCf(c, f, k); emitZf(c, f, k); c.op(Op.i32_or); }
      break;
    case 8: emitSf(c, f, k); break; // s
    case 10: emitPf(c, f, k); break; // p
    case 12: // l
      if (sub) c.get(f.fa).get(f.fb).op(Op.i32_lt_s);
      else { emitSf(c, f, k); emitOf(c, f, k); c.op(Op.i32_ne); }
      break;
    case 14: // le
      if (sub) c.get(f.fa).get(f.fb).op(Op.i32_le_s);
      else { emitZf(c, f, k); emitSf(c, f, k); emitOf(c, f, k); c.op(Op.i32_ne).op(Op.i32_or); }
      break;
  }
  if (negate) c.op(Op.i32_eqz);
}

/** Body of a helper (params: the seven fields) that returns CF or OF of any kind. */
export function helperBody(c: Code, which: 'cf' | 'of'): void {
  const f: FlagLocals = { fop: 0, fa: 1, fb: 2, fres: 3, fcf: 4, fof: 5, fbits: 6 };
  for (const k of [FOP.ADD, FOP.SUB, FOP.LOGIC, FOP.ADC, FOP.SBB, FOP.INC, FOP.DEC, FOP.NONE]) {
    c.get(f.fop).i32(k).op(Op.i32_eq).op(Op.if).byte(0x40);
    if (which === 'cf') emitCf(c, f, k); else emitOf(c, f, k);
    c.op(Op.return).op(Op.end);
  }
  if (which === 'cf') emitCf(c, f, FOP.EXPLICIT); else emitOf(c, f, FOP.EXPLICIT);
}
