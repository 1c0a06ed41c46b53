/**
 * Text form of instructions, in the syntax the assembler reads back (objdump(as(x)) round trips).
 */
import { REGISTERS } from './table.js';
import { decodeAt, type Instruction, type Operand } from './encoding.js';

export function hex(v: number): string {
  return '0x' + (v >>> 0).toString(16);
}

export function formatOperand(o: Operand, next: number): string {
  switch (o.kind) {
    case 'r': return REGISTERS[o.reg];
    case 'c': return `cr${o.cr}`;
    case 'm': {
      const parts: string[] = [];
      if (o.base !== null) parts.push(REGISTERS[o.base]);
      // Without a base, a scale-1 index must still show its scale: `[ecx]` is the base form.
      if (o.index !== null) parts.push(o.scale === 1 && o.base !== null ? REGISTERS[o.index] : `${REGISTERS[o.index]}*${o.scale}`);
      if (parts.length === 0) return `[${hex(o.disp)}]`;
      let s = parts.join(' + ');
      if (o.disp !== 0) s += o.disp < 0 ? ` - ${hex(-o.disp)}` : ` + ${hex(o.disp)}`;
      return `[${s}]`;
    }
    case 'rel': return hex(next + o.value);
    case 'i': return o.value < 0 && o.value > -0x10000 ? String(o.value) : hex(o.value);
    default: return hex(o.value);
  }
}

/** `address` is where the instruction sits: branch targets are printed as absolute addresses. */
export function formatInstruction(insn: Instruction, address: number, length: number): string {
  const next = (address + length) >>> 0;
  const ops = insn.operands.map((o) => formatOperand(o, next)).join(', ');
  return ops ? `${insn.def.mnemonic} ${ops}` : insn.def.mnemonic;
}

export interface DisasmLine {
  address: number;
  bytes: Uint8Array;
  text: string;
  valid: boolean;
}

/** Linear sweep over a code buffer loaded at `base`. Undecodable words are shown as `.dword`. */
export function disassemble(code: Uint8Array, base: number): DisasmLine[] {
  const lines: DisasmLine[] = [];
  let off = 0;
  while (off + 4 <= code.length) {
    const r = decodeAt(code, off);
    const address = (base + off) >>> 0;
    if (r.ok) {
      lines.push({ address, bytes: code.subarray(off, off + r.length), text: formatInstruction(r.insn, address, r.length), valid: true });
      off += r.length;
    } else {
      const w = new DataView(code.buffer, code.byteOffset + off, 4).getUint32(0, true);
      lines.push({ address, bytes: code.subarray(off, off + 4), text: `.dword ${hex(w)}  ; ${r.reason}`, valid: false });
      off += 4;
    }
  }
  return lines;
}
