/**
 * The mx86 instruction table: the single source of the ISA. The decoder, the disassembler,
 * the assembler, the interpreter (generated from the `exec` snippets) and the per-instruction
 * tests all read this table. docs/isa.md explains the encoding; its opcode reference is
 * generated from here (`npm run docs:isa`) and a test keeps the two in step.
 *
 * Snippet vocabulary (expanded by vmm/cpu/codegen.ts):
 *   $A, $B   the first / second register operand (an lvalue into the register file)
 *   $I       the immediate of the instruction (imm32, u5, u8 or port, whichever it has)
 *   $M       the effective address of the memory operand (an unsigned 32-bit number)
 *   $T       the branch target (address of the next instruction + rel32)
 *   $N       the address of the next instruction
 *   $C       the control-register number
 *   $a       the index (0..7) of the first register operand
 *   c        the vCPU (flags helpers, memory access, faults); R its register file;
 *            n the number of instructions retired so far in this run
 *   JUMP(x)  transfer control to x (checks alignment, #GP if x is not a multiple of 4)
 *   EXIT(x)  retire the instruction and leave the run loop with exit record x
 *   STOP     retire the instruction and leave the run loop (e.g. after IF was set)
 *   FLUSH    forget the cached translation of the code page (after paging changes)
 */
import type { ExitReason } from '../exits.js';

/** Operand kinds in assembly (syntax) order. */
export type OperandKind =
  | 'r'    // general register: the first one goes in field A, the second in field B
  | 'c'    // control register cr0, cr2 or cr3 (field B)
  | 'm'    // memory operand [base + index*scale + disp32]
  | 'i'    // 32-bit immediate (extension word)
  | 'rel'  // branch target, encoded as rel32 from the next instruction (extension word)
  | 'u5'   // shift count 0..31 (bits 24..28)
  | 'u8'   // interrupt vector 0..255 (bits 24..31)
  | 'p16'; // I/O port 0..65535 (bits 16..31)

export interface InsnDef {
  readonly op: number;
  readonly mnemonic: string;
  readonly operands: readonly OperandKind[];
  /** Width in bytes of the memory or port access, where there is one. */
  readonly size?: 1 | 2 | 4;
  /** Semantics as a JS snippet in the vocabulary above. */
  readonly exec: string;
  /** The snippet sets the next eip itself (JUMP/EXIT of its own). */
  readonly branch?: boolean;
  /** #GP(0) when executed at ring 3. The generator inserts the check. */
  readonly privileged?: boolean;
  /** The exit this instruction causes, for the docs. */
  readonly exits?: ExitReason;
  /** Arithmetic flags written (docs). */
  readonly flags?: string;
  readonly summary: string;
}

export const CONDITIONS = [
  'o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g',
] as const;
export type Condition = (typeof CONDITIONS)[number];

const CONDITION_TEXT: Record<Condition, string> = {
  o: 'OF=1', no: 'OF=0', b: 'CF=1', ae: 'CF=0', e: 'ZF=1', ne: 'ZF=0', be: 'CF=1 or ZF=1',
  a: 'CF=0 and ZF=0', s: 'SF=1', ns: 'SF=0', p: 'PF=1', np: 'PF=0', l: 'SF≠OF',
  ge: 'SF=OF', le: 'ZF=1 or SF≠OF', g: 'ZF=0 and SF=OF',
};

const ARITH = 'CF ZF SF OF PF';

const defs: InsnDef[] = [];
function def(d: InsnDef): void {
  defs.push(d);
}

// ---- data movement -----------------------------------------------------------------------
def({ op: 0x01, mnemonic: 'mov', operands: ['r', 'r'], exec: '$A = $B;', summary: 'A ← B' });
def({ op: 0x02, mnemonic: 'mov', operands: ['r', 'i'], exec: '$A = $I;', summary: 'A ← imm32' });
def({ op: 0x03, mnemonic: 'mov', operands: ['r', 'm'], size: 4, exec: '$A = c.ld32($M);', summary: 'A ← dword [m]' });
def({ op: 0x04, mnemonic: 'mov', operands: ['m', 'r'], size: 4, exec: 'c.st32($M, $A);', summary: 'dword [m] ← A' });
def({ op: 0x05, mnemonic: 'mov', operands: ['m', 'i'], size: 4, exec: 'c.st32($M, $I);', summary: 'dword [m] ← imm32' });
def({ op: 0x06, mnemonic: 'movzxb', operands: ['r', 'm'], size: 1, exec: '$A = c.ld8($M);', summary: 'A ← zero-extended byte [m]' });
def({ op: 0x07, mnemonic: 'movzxw', operands: ['r', 'm'], size: 2, exec: '$A = c.ld16($M);', summary: 'A ← zero-extended word [m]' });
def({ op: 0x08, mnemonic: 'movsxb', operands: ['r', 'm'], size: 1, exec: '$A = (c.ld8($M) << 24) >> 24;', summary: 'A ← sign-extended byte [m]' });
def({ op: 0x09, mnemonic: 'movsxw', operands: ['r', 'm'], size: 2, exec: '$A = (c.ld16($M) << 16) >> 16;', summary: 'A ← sign-extended word [m]' });
def({ op: 0x0a, mnemonic: 'movb', operands: ['m', 'r'], size: 1, exec: 'c.st8($M, $A);', summary: 'byte [m] ← low 8 bits of A' });
def({ op: 0x0b, mnemonic: 'movw', operands: ['m', 'r'], size: 2, exec: 'c.st16($M, $A);', summary: 'word [m] ← low 16 bits of A' });
def({ op: 0x0c, mnemonic: 'lea', operands: ['r', 'm'], exec: '$A = $M | 0;', summary: 'A ← effective address of m (no memory access)' });
def({ op: 0x0d, mnemonic: 'xchg', operands: ['r', 'r'], exec: '{ const t = $A; $A = $B; $B = t; }', summary: 'swap A and B' });
def({ op: 0x0e, mnemonic: 'movb', operands: ['m', 'i'], size: 1, exec: 'c.st8($M, $I);', summary: 'byte [m] ← low 8 bits of imm32' });
def({ op: 0x0f, mnemonic: 'movw', operands: ['m', 'i'], size: 2, exec: 'c.st16($M, $I);', summary: 'word [m] ← low 16 bits of imm32' });

def({ op: 0x10, mnemonic: 'push', operands: ['r'], size: 4, exec: 'c.push($A);', summary: 'esp ← esp−4; dword [esp] ← A' });
def({ op: 0x11, mnemonic: 'push', operands: ['i'], size: 4, exec: 'c.push($I);', summary: 'esp ← esp−4; dword [esp] ← imm32' });
// The load happens before esp moves so that a fault leaves esp untouched; `pop esp` yields the popped value.
def({ op: 0x12, mnemonic: 'pop', operands: ['r'], size: 4, exec: '{ const v = c.ld32(R[4] >>> 0); R[4] += 4; $A = v; }', summary: 'A ← dword [esp]; esp ← esp+4' });
def({ op: 0x13, mnemonic: 'pushf', operands: [], size: 4, exec: 'c.push(c.getEflags());', summary: 'push eflags' });
def({ op: 0x14, mnemonic: 'popf', operands: [], size: 4, exec: '{ const v = c.ld32(R[4] >>> 0); R[4] += 4; if (c.setEflags(v)) STOP; }', flags: 'all', summary: 'pop eflags (IF is kept at ring 3)' });
def({ op: 0x15, mnemonic: 'cdq', operands: [], exec: 'R[2] = R[0] >> 31;', summary: 'edx ← sign of eax (all ones or zero)' });
def({ op: 0x18, mnemonic: 'movzxb', operands: ['r', 'r'], exec: '$A = $B & 0xff;', summary: 'A ← zero-extended low byte of B' });
def({ op: 0x19, mnemonic: 'movzxw', operands: ['r', 'r'], exec: '$A = $B & 0xffff;', summary: 'A ← zero-extended low word of B' });
def({ op: 0x1a, mnemonic: 'movsxb', operands: ['r', 'r'], exec: '$A = ($B << 24) >> 24;', summary: 'A ← sign-extended low byte of B' });
def({ op: 0x1b, mnemonic: 'movsxw', operands: ['r', 'r'], exec: '$A = ($B << 16) >> 16;', summary: 'A ← sign-extended low word of B' });

// ---- two-operand arithmetic and logic: opcode = 0x20 + 4*op + form (rr, ri, rm) ------------
const ALU: readonly [string, (x: string, y: string) => string, string][] = [
  ['add', (x, y) => `$A = c.add(${x}, ${y});`, 'A ← A + B'],
  ['or', (x, y) => `$A = c.logic(${x} | ${y});`, 'A ← A | B'],
  ['adc', (x, y) => `$A = c.adc(${x}, ${y});`, 'A ← A + B + CF'],
  ['sbb', (x, y) => `$A = c.sbb(${x}, ${y});`, 'A ← A − B − CF'],
  ['and', (x, y) => `$A = c.logic(${x} & ${y});`, 'A ← A & B'],
  ['sub', (x, y) => `$A = c.sub(${x}, ${y});`, 'A ← A − B'],
  ['xor', (x, y) => `$A = c.logic(${x} ^ ${y});`, 'A ← A ^ B'],
  ['cmp', (x, y) => `c.sub(${x}, ${y});`, 'flags of A − B'],
  ['test', (x, y) => `c.logic(${x} & ${y});`, 'flags of A & B'],
];
ALU.forEach(([mnemonic, sem, summary], k) => {
  const flags = mnemonic === 'or' || mnemonic === 'and' || mnemonic === 'xor' || mnemonic === 'test'
    ? 'ZF SF PF (CF=OF=0)' : ARITH;
  const base = 0x20 + 4 * k;
  def({ op: base, mnemonic, operands: ['r', 'r'], exec: sem('$A', '$B'), flags, summary });
  def({ op: base + 1, mnemonic, operands: ['r', 'i'], exec: sem('$A', '$I'), flags, summary: summary.replace('B', 'imm32') });
  def({ op: base + 2, mnemonic, operands: ['r', 'm'], size: 4, exec: sem('$A', 'c.ld32($M)'), flags, summary: summary.replace('B', 'dword [m]') });
});

def({ op: 0x48, mnemonic: 'inc', operands: ['r'], exec: '$A = c.inc($A);', flags: 'ZF SF OF PF (CF kept)', summary: 'A ← A + 1' });
def({ op: 0x49, mnemonic: 'dec', operands: ['r'], exec: '$A = c.dec($A);', flags: 'ZF SF OF PF (CF kept)', summary: 'A ← A − 1' });
def({ op: 0x4a, mnemonic: 'neg', operands: ['r'], exec: '$A = c.sub(0, $A);', flags: ARITH, summary: 'A ← −A (CF = A≠0)' });
def({ op: 0x4b, mnemonic: 'not', operands: ['r'], exec: '$A = ~$A;', summary: 'A ← ~A (flags unchanged)' });

// ---- shifts and rotates: opcode = 0x50 + 2*op + form (u5, r). The count is taken mod 32. -----
const SHIFTS: readonly [string, string, string][] = [
  ['shl', 'shl', 'A ← A << n; CF = last bit out'],
  ['shr', 'shr', 'A ← A >>> n; CF = last bit out'],
  ['sar', 'sar', 'A ← A >> n (arithmetic); CF = last bit out'],
  ['rol', 'rol', 'A ← A rotated left by n; CF = bit 0 of result'],
  ['ror', 'ror', 'A ← A rotated right by n; CF = bit 31 of result'],
];
SHIFTS.forEach(([mnemonic, helper, summary], k) => {
  const flags = k < 3 ? 'CF ZF SF OF PF (none when n=0)' : 'CF OF (none when n=0)';
  def({ op: 0x50 + 2 * k, mnemonic, operands: ['r', 'u5'], exec: `$A = c.${helper}($A, $I);`, flags, summary });
  def({ op: 0x51 + 2 * k, mnemonic, operands: ['r', 'r'], exec: `$A = c.${helper}($A, $B & 31);`, flags, summary: summary.replace(/\bn\b/, 'B mod 32') });
});

// ---- multiply and divide ------------------------------------------------------------------
const MULF = 'CF OF (set when the result does not fit), ZF SF PF of the low result';
def({ op: 0x60, mnemonic: 'imul', operands: ['r', 'r'], exec: '$A = c.imul2($A, $B);', flags: MULF, summary: 'A ← low 32 bits of A × B (signed)' });
def({ op: 0x61, mnemonic: 'imul', operands: ['r', 'i'], exec: '$A = c.imul2($A, $I);', flags: MULF, summary: 'A ← low 32 bits of A × imm32 (signed)' });
def({ op: 0x62, mnemonic: 'imul', operands: ['r', 'm'], size: 4, exec: '$A = c.imul2($A, c.ld32($M));', flags: MULF, summary: 'A ← low 32 bits of A × dword [m] (signed)' });
def({ op: 0x63, mnemonic: 'mul', operands: ['r'], exec: 'c.mul1($A);', flags: MULF, summary: 'edx:eax ← eax × A (unsigned)' });
def({ op: 0x64, mnemonic: 'imul', operands: ['r'], exec: 'c.imul1($A);', flags: MULF, summary: 'edx:eax ← eax × A (signed)' });
def({ op: 0x65, mnemonic: 'div', operands: ['r'], exec: 'c.div1($A);', summary: 'eax ← edx:eax ÷ A, edx ← remainder (unsigned); #DE on zero or overflow' });
def({ op: 0x66, mnemonic: 'idiv', operands: ['r'], exec: 'c.idiv1($A);', summary: 'eax ← edx:eax ÷ A, edx ← remainder (signed, truncating); #DE on zero or overflow' });

// ---- control flow -------------------------------------------------------------------------
def({ op: 0x70, mnemonic: 'jmp', operands: ['rel'], branch: true, exec: 'JUMP($T);', summary: 'eip ← target' });
def({ op: 0x71, mnemonic: 'jmp', operands: ['r'], branch: true, exec: 'JUMP($A >>> 0);', summary: 'eip ← A' });
def({ op: 0x72, mnemonic: 'jmp', operands: ['m'], size: 4, branch: true, exec: 'JUMP(c.ld32($M) >>> 0);', summary: 'eip ← dword [m]' });
def({ op: 0x73, mnemonic: 'call', operands: ['rel'], size: 4, branch: true, exec: '{ const t = $T; if ((t & 3) !== 0) c.gp(0); c.push($N); JUMP(t); }', summary: 'push next eip; eip ← target' });
def({ op: 0x74, mnemonic: 'call', operands: ['r'], size: 4, branch: true, exec: '{ const t = $A >>> 0; if ((t & 3) !== 0) c.gp(0); c.push($N); JUMP(t); }', summary: 'push next eip; eip ← A' });
def({ op: 0x75, mnemonic: 'call', operands: ['m'], size: 4, branch: true, exec: '{ const t = c.ld32($M) >>> 0; if ((t & 3) !== 0) c.gp(0); c.push($N); JUMP(t); }', summary: 'push next eip; eip ← dword [m]' });
def({ op: 0x76, mnemonic: 'ret', operands: [], size: 4, branch: true, exec: '{ const t = c.ld32(R[4] >>> 0) >>> 0; JUMP(t); R[4] += 4; }', summary: 'eip ← pop' });

CONDITIONS.forEach((cc, k) => {
  def({ op: 0x80 + k, mnemonic: `j${cc}`, operands: ['rel'], branch: true, exec: `if (c.c_${cc}()) { JUMP($T); } else { JUMP($N); }`, summary: `jump if ${CONDITION_TEXT[cc]}` });
  def({ op: 0x90 + k, mnemonic: `set${cc}`, operands: ['r'], exec: `$A = c.c_${cc}() ? 1 : 0;`, summary: `A ← 1 if ${CONDITION_TEXT[cc]}, else 0` });
});

// ---- system -------------------------------------------------------------------------------
def({ op: 0xa0, mnemonic: 'int', operands: ['u8'], branch: true, exec: 'JUMP(c.softInt($I, $N));', summary: 'software interrupt through IDT gate n (gate DPL must allow the current ring, else #GP)' });
def({ op: 0xa1, mnemonic: 'iret', operands: [], privileged: true, branch: true, exec: 'JUMP(c.iret()); FLUSH; STOP;', summary: 'pop eip, cs (ring), eflags, esp; return to that ring' });
def({ op: 0xa2, mnemonic: 'hlt', operands: [], privileged: true, exits: 'hlt', branch: true, exec: 'EXIT(c.hltExit);', summary: 'halt until an interrupt' });
def({ op: 0xa3, mnemonic: 'cli', operands: [], privileged: true, exec: 'c.setIF(false);', summary: 'IF ← 0' });
def({ op: 0xa4, mnemonic: 'sti', operands: [], privileged: true, exec: 'if (c.sti()) STOP;', summary: 'IF ← 1; interrupts stay blocked for one more instruction' });
def({ op: 0xa5, mnemonic: 'nop', operands: [], exec: '', summary: 'nothing' });
def({ op: 0xa6, mnemonic: 'ud2', operands: [], exec: 'c.ud();', summary: 'raise #UD' });
def({ op: 0xa7, mnemonic: 'lidt', operands: ['m'], size: 4, privileged: true, exec: 'c.lidt($M);', summary: 'IDT base ← dword [m], IDT limit ← dword [m+4] (bytes)' });
def({ op: 0xa8, mnemonic: 'mov', operands: ['c', 'r'], privileged: true, exec: 'c.writeCr($C, $A); FLUSH;', summary: 'control register ← A (cr0, cr2, cr3; others #UD)' });
def({ op: 0xa9, mnemonic: 'mov', operands: ['r', 'c'], privileged: true, exec: '$A = c.readCr($C);', summary: 'A ← control register' });
def({ op: 0xaa, mnemonic: 'invlpg', operands: ['m'], privileged: true, exec: 'c.invlpg($M); FLUSH;', summary: 'drop the TLB entry for the page holding m' });
def({ op: 0xab, mnemonic: 'cpuid', operands: [], exits: 'cpuid', branch: true, exec: 'EXIT({ reason: "cpuid", leaf: R[0] >>> 0 });', summary: 'processor identification (answered by the VMM)' });
def({ op: 0xac, mnemonic: 'rdtsc', operands: [], exec: 'c.rdtsc(n);', summary: 'edx:eax ← virtual cycle counter' });
def({ op: 0xad, mnemonic: 'vmcall', operands: [], exits: 'vmcall', branch: true, exec: 'EXIT({ reason: "vmcall", cpl: c.cpl });', summary: 'hypercall: exit to the VMM (any ring; the VMM checks the ring)' });
def({ op: 0xae, mnemonic: 'lksp', operands: ['r'], privileged: true, exec: 'c.ksp = $A;', summary: 'kernel stack pointer (used on ring 3 → ring 0) ← A' });
def({ op: 0xaf, mnemonic: 'sksp', operands: ['r'], privileged: true, exec: '$A = c.ksp;', summary: 'A ← kernel stack pointer' });

// ---- port I/O: ring 0 only; each one is an `io` exit ---------------------------------------
const SIZES: readonly [string, 1 | 2 | 4][] = [['b', 1], ['w', 2], ['d', 4]];
SIZES.forEach(([s, size], k) => {
  def({ op: 0xb0 + k, mnemonic: `in${s}`, operands: ['r', 'r'], size, privileged: true, exits: 'io', branch: true, exec: `EXIT(c.inExit($a, $B & 0xffff, ${size}));`, summary: `A ← ${size * 8}-bit read of port B` });
  def({ op: 0xb4 + k, mnemonic: `in${s}`, operands: ['r', 'p16'], size, privileged: true, exits: 'io', branch: true, exec: `EXIT(c.inExit($a, $I, ${size}));`, summary: `A ← ${size * 8}-bit read of port imm16` });
  def({ op: 0xb8 + k, mnemonic: `out${s}`, operands: ['r', 'r'], size, privileged: true, exits: 'io', branch: true, exec: `EXIT({ reason: "io", port: $A & 0xffff, size: ${size}, write: true, value: ${size === 4 ? '$B >>> 0' : `$B & ${(1 << (size * 8)) - 1}`} });`, summary: `${size * 8}-bit write of B to port A` });
  def({ op: 0xbc + k, mnemonic: `out${s}`, operands: ['p16', 'r'], size, privileged: true, exits: 'io', branch: true, exec: `EXIT({ reason: "io", port: $I, size: ${size}, write: true, value: ${size === 4 ? '$A >>> 0' : `$A & ${(1 << (size * 8)) - 1}`} });`, summary: `${size * 8}-bit write of A to port imm16` });
});

export const ISA: readonly InsnDef[] = defs;

/** Table lookup by opcode byte; undefined entries decode as #UD. */
export const BY_OPCODE: readonly (InsnDef | undefined)[] = (() => {
  const t: (InsnDef | undefined)[] = new Array(256).fill(undefined);
  for (const d of defs) {
    if (t[d.op]) throw new Error(`ISA table: opcode 0x${d.op.toString(16)} defined twice`);
    t[d.op] = d;
  }
  return t;
})();

export const REGISTERS = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'] as const;
export const CONTROL_REGISTERS: readonly number[] = [0, 2, 3];
