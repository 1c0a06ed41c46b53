/**
 * mx86 encoding: every instruction is one little-endian 32-bit word, followed by zero, one or
 * two 32-bit extension words (disp32 of a memory operand, then imm32 / rel32). Instructions
 * are 4-byte aligned. Field layout of the first word (docs/isa.md §Encoding):
 *
 *   bits  0..7   opcode
 *   bits  8..10  register A                      bit 11 reserved
 *   bits 12..14  register B, memory base, or control-register number
 *   bit  15      memory operand has a base
 *   bits 16..18  memory index register           bit 19 memory operand has an index
 *   bits 20..21  log2 of the index scale         bits 22..23 reserved
 *   bits 24..31  u8 vector, or u5 shift count (bits 29..31 reserved)
 *   bits 16..31  p16 port number (instructions with a port have no memory operand)
 *
 * Bits an instruction does not use are reserved and must be zero, or the instruction is #UD,
 * with one exception: when the has-base (has-index) bit is clear, the base (index and scale)
 * fields are ignored, so that computing an address costs no validity check.
 */
import { BY_OPCODE, type InsnDef, type OperandKind } from './table.js';

export type Operand =
  | { kind: 'r'; reg: number }
  | { kind: 'c'; cr: number }
  | { kind: 'm'; base: number | null; index: number | null; scale: 1 | 2 | 4 | 8; disp: number }
  | { kind: 'i' | 'u5' | 'u8' | 'p16' | 'rel'; value: number };

export interface Instruction {
  readonly def: InsnDef;
  readonly operands: readonly Operand[];
}

export const F_BASE = 0x8000;
export const F_INDEX = 0x80000;

/** Bits of the first word that an instruction with these operands uses (the rest are reserved). */
export function usedBits(kinds: readonly OperandKind[]): number {
  let used = 0xff;
  let regs = 0;
  for (const k of kinds) {
    switch (k) {
      case 'r': used |= regs++ === 0 ? 0x700 : 0x7000; break;
      case 'c': used |= 0x7000; break;
      case 'm': used |= 0x3ff000; break;
      case 'u5': used |= 0x1f000000; break;
      case 'u8': used |= 0xff000000; break;
      case 'p16': used |= 0xffff0000; break;
      case 'i': case 'rel': break;
    }
  }
  return used | 0;
}

export function reservedBits(kinds: readonly OperandKind[]): number {
  return ~usedBits(kinds) | 0;
}

/** Length in bytes: 4, plus 4 for a memory operand's disp32, plus 4 for an imm32/rel32. */
export function lengthOf(def: InsnDef): number {
  let n = 4;
  for (const k of def.operands) if (k === 'm' || k === 'i' || k === 'rel') n += 4;
  return n;
}

export class EncodeError extends Error {}

function checkRange(v: number, lo: number, hi: number, what: string): void {
  if (!Number.isInteger(v) || v < lo || v > hi) throw new EncodeError(`${what} ${v} out of range ${lo}..${hi}`);
}

/** Encodes to 32-bit words. Immediates accept signed or unsigned 32-bit values. */
export function encode(insn: Instruction): number[] {
  const { def, operands } = insn;
  if (operands.length !== def.operands.length) {
    throw new EncodeError(`${def.mnemonic} takes ${def.operands.length} operand(s), got ${operands.length}`);
  }
  let w = def.op;
  let regs = 0;
  let disp: number | undefined;
  let imm: number | undefined;
  operands.forEach((o, k) => {
    const kind = def.operands[k];
    if (o.kind !== kind) throw new EncodeError(`${def.mnemonic}: operand ${k + 1} must be ${kind}, got ${o.kind}`);
    switch (o.kind) {
      case 'r':
        checkRange(o.reg, 0, 7, 'register');
        w |= o.reg << (regs++ === 0 ? 8 : 12);
        break;
      case 'c':
        checkRange(o.cr, 0, 7, 'control register');
        w |= o.cr << 12;
        break;
      case 'm': {
        if (o.base !== null) { checkRange(o.base, 0, 7, 'base register'); w |= F_BASE | (o.base << 12); }
        if (o.index !== null) {
          checkRange(o.index, 0, 7, 'index register');
          w |= F_INDEX | (o.index << 16) | (Math.log2(o.scale) << 20);
        } else if (o.scale !== 1) {
          throw new EncodeError('a scale needs an index register');
        }
        checkRange(o.disp, -0x80000000, 0xffffffff, 'displacement');
        disp = o.disp | 0;
        break;
      }
      case 'i': case 'rel':
        checkRange(o.value, -0x80000000, 0xffffffff, o.kind === 'i' ? 'immediate' : 'branch offset');
        imm = o.value | 0;
        break;
      case 'u5': checkRange(o.value, 0, 31, 'shift count'); w |= o.value << 24; break;
      case 'u8': checkRange(o.value, 0, 255, 'vector'); w |= o.value << 24; break;
      case 'p16': checkRange(o.value, 0, 0xffff, 'port'); w |= o.value << 16; break;
    }
  });
  const words = [w | 0];
  if (disp !== undefined) words.push(disp);
  if (imm !== undefined) words.push(imm);
  return words;
}

export type DecodeResult = { ok: true; insn: Instruction; length: number } | { ok: false; reason: string };

/**
 * Decodes the instruction whose first word is `w`; `ext(k)` returns extension word k (1-based).
 * Mirrors exactly what the vCPU accepts: anything this refuses, the vCPU raises #UD for.
 */
export function decode(w: number, ext: (k: number) => number): DecodeResult {
  const def = BY_OPCODE[w & 0xff];
  if (!def) return { ok: false, reason: `undefined opcode 0x${(w & 0xff).toString(16).padStart(2, '0')}` };
  if ((w & reservedBits(def.operands)) !== 0) return { ok: false, reason: 'reserved bits set' };
  let regs = 0;
  const hasDisp = def.operands.includes('m');
  const operands: Operand[] = def.operands.map((kind): Operand => {
    switch (kind) {
      case 'r': return { kind, reg: (w >>> (regs++ === 0 ? 8 : 12)) & 7 };
      case 'c': return { kind, cr: (w >>> 12) & 7 };
      case 'm': return {
        kind,
        base: w & F_BASE ? (w >>> 12) & 7 : null,
        index: w & F_INDEX ? (w >>> 16) & 7 : null,
        scale: w & F_INDEX ? ((1 << ((w >>> 20) & 3)) as 1 | 2 | 4 | 8) : 1,
        disp: ext(1) | 0,
      };
      case 'i': case 'rel': return { kind, value: ext(hasDisp ? 2 : 1) | 0 };
      case 'u5': return { kind, value: (w >>> 24) & 31 };
      case 'u8': return { kind, value: w >>> 24 };
      case 'p16': return { kind, value: w >>> 16 };
    }
  });
  return { ok: true, insn: { def, operands }, length: lengthOf(def) };
}

/** Decodes from a byte buffer at `offset` (for the disassembler and tests). */
export function decodeAt(bytes: Uint8Array, offset: number): DecodeResult | { ok: false; reason: string; truncated: true } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (offset + 4 > bytes.length) return { ok: false, reason: 'truncated instruction', truncated: true };
  const w = dv.getInt32(offset, true);
  const def = BY_OPCODE[w & 0xff];
  if (def && offset + lengthOf(def) > bytes.length) return { ok: false, reason: 'truncated instruction', truncated: true };
  return decode(w, (k) => dv.getInt32(offset + 4 * k, true));
}

/** Serialises words little-endian. */
export function wordsToBytes(words: readonly number[]): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  const dv = new DataView(out.buffer);
  words.forEach((w, k) => dv.setInt32(k * 4, w, true));
  return out;
}
