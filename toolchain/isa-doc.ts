/**
 * The opcode reference of docs/isa.md, generated from the ISA table so that the two cannot
 * drift: tests/isa/doc.test.ts fails when the doc's copy differs, and
 * toolchain/isa-doc-write.ts rewrites it.
 */
import { ISA, type InsnDef, type OperandKind } from '../vmm/isa/table.js';
import { lengthOf } from '../vmm/isa/encoding.js';

export const BEGIN_MARKER = '<!-- isa-reference:begin -->';
export const END_MARKER = '<!-- isa-reference:end -->';

/** Operand placeholders, as docs/isa.md §Operand kinds names them. */
const KIND_TEXT: Record<OperandKind, string> = {
  r: 'r', c: 'cr', m: 'm', i: 'imm32', rel: 'target', u5: 'u5', u8: 'u8', p16: 'port',
};

export function formOf(d: InsnDef): string {
  return d.operands.length ? `${d.mnemonic} ${d.operands.map((k) => KIND_TEXT[k]).join(', ')}` : d.mnemonic;
}

function cell(s: string): string {
  return s.replaceAll('|', '\\|');
}

/** The Markdown table: one row per opcode, in opcode order. */
export function isaReference(): string {
  const rows = [...ISA].sort((a, b) => a.op - b.op).map((d) => [
    `\`0x${d.op.toString(16).padStart(2, '0')}\``,
    `\`${formOf(d)}\``,
    String(lengthOf(d)),
    cell(d.summary) + (d.size && d.exits !== 'io' ? ` (${d.size * 8}-bit access)` : ''),
    d.flags ? cell(d.flags) : '—',
    d.privileged ? '0' : 'any',
    d.exits ? `\`${d.exits}\`` : '',
  ]);
  const head = ['opcode', 'form', 'bytes', 'semantics', 'flags written', 'ring', 'exit'];
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n') + '\n';
}

/** The text between the markers, or undefined when the doc lacks them. */
export function extractReference(doc: string): string | undefined {
  const b = doc.indexOf(BEGIN_MARKER);
  const e = doc.indexOf(END_MARKER);
  if (b < 0 || e < b) return undefined;
  return doc.slice(b + BEGIN_MARKER.length, e).replace(/^\n/, '');
}

/** The doc with the text between the markers replaced by the generated reference. */
export function withReference(doc: string, reference = isaReference()): string {
  const b = doc.indexOf(BEGIN_MARKER);
  const e = doc.indexOf(END_MARKER);
  if (b < 0 || e < b) throw new Error(`docs/isa.md needs the markers ${BEGIN_MARKER} and ${END_MARKER}`);
  return doc.slice(0, b + BEGIN_MARKER.length) + '\n' + reference + doc.slice(e);
}
