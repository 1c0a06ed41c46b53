/**
 * fast-check arbitraries of valid mx86 instructions, drawn from every entry of the ISA table.
 * Shared by the encoding, assembler and CPU tests.
 */
import fc from 'fast-check';
import { ISA, type InsnDef, type OperandKind } from '../../vmm/isa/table.js';
import type { Instruction, Operand } from '../../vmm/isa/encoding.js';

const reg = fc.integer({ min: 0, max: 7 });
const int32 = fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff });

export const arbMemory: fc.Arbitrary<Extract<Operand, { kind: 'm' }>> = fc
  .record({
    base: fc.option(reg, { nil: null }),
    index: fc.option(reg, { nil: null }),
    scale: fc.constantFrom(1, 2, 4, 8) as fc.Arbitrary<1 | 2 | 4 | 8>,
    disp: fc.oneof(int32, fc.integer({ min: -64, max: 64 }), fc.constant(0)),
  })
  // Decoding reports scale 1 when there is no index, so that is the only valid spelling.
  .map((m) => ({ kind: 'm' as const, ...m, scale: m.index === null ? 1 : m.scale }));

export function arbOperand(kind: OperandKind): fc.Arbitrary<Operand> {
  switch (kind) {
    case 'r': return reg.map((r) => ({ kind, reg: r }));
    case 'c': return fc.constantFrom(0, 2, 3).map((cr) => ({ kind, cr }));
    case 'm': return arbMemory;
    case 'i': return fc.oneof(int32, fc.integer({ min: -300, max: 300 })).map((value) => ({ kind, value }));
    // Multiples of 4 keep branch targets aligned when the instruction is.
    case 'rel': return fc.integer({ min: -0x2000_0000, max: 0x1fff_ffff }).map((v) => ({ kind, value: v * 4 }));
    case 'u5': return fc.integer({ min: 0, max: 31 }).map((value) => ({ kind, value }));
    case 'u8': return fc.integer({ min: 0, max: 255 }).map((value) => ({ kind, value }));
    case 'p16': return fc.integer({ min: 0, max: 0xffff }).map((value) => ({ kind, value }));
  }
}

export function arbInstructionOf(def: InsnDef): fc.Arbitrary<Instruction> {
  return fc.tuple(...def.operands.map(arbOperand)).map((operands) => ({ def, operands }));
}

export const arbInstruction: fc.Arbitrary<Instruction> = fc.constantFrom(...ISA).chain(arbInstructionOf);
