/**
 * Pass 2: with every address known, evaluates operands and data and writes the bytes.
 */
import { encode, EncodeError, wordsToBytes } from '../../vmm/isa/encoding.js';
import { hex } from '../../vmm/isa/disasm.js';
import { Diagnostics, StmtError } from './errors.js';
import { evaluate, type Env, type Expr } from './expr.js';
import type { Bases, LayoutResult, Placement } from './layout.js';
import { resolveOperands, signed } from './operands.js';
import type { Section, Stmt } from './parser.js';

export interface ListingLine {
  file: string;
  line: number;
  source: string;
  section: Section;
  address: number;
  /** Bytes this line occupies (bss lines have a size but no bytes). */
  size: number;
  bytes: Uint8Array;
}

export interface Emitted {
  text: Uint8Array;
  data: Uint8Array;
  listing: ListingLine[];
}

const FITS: Record<1 | 2, [number, string]> = { 1: [-0x80, 'a byte'], 2: [-0x8000, 'a word'] };

/** Checks that a 32-bit value fits in `size` bytes, read as either signed or unsigned. */
function fit(v: number, size: 1 | 2 | 4, e: Expr): number {
  if (size === 4) return v;
  const [min, what] = FITS[size];
  const s = v | 0;
  if (s < min || s > -min * 2 - 1) throw new StmtError(`value ${signed(v)} does not fit in ${what}`, e.col);
  return v;
}

export function emit(stmts: readonly Stmt[], lay: LayoutResult, bases: Bases, diags: Diagnostics): Emitted {
  const { symbols, placed, sizes } = lay;
  symbols.final = true;
  const buf: Record<'text' | 'data', Uint8Array> = { text: new Uint8Array(sizes.text), data: new Uint8Array(sizes.data) };
  const listing: ListingLine[] = [];

  stmts.forEach((s, i) => diags.guard(s.loc, () => {
    if (s.k === 'equ') return symbols.checkEqu(s.name);
    if (s.k === 'global') {
      if (!symbols.isDefined(s.name)) throw new StmtError(`'.global ${s.name}' names an undefined symbol`, s.col);
      return;
    }
    const p = placed[i];
    if (!p) return;
    const env = symbols.env(p.addr);
    const out = p.sec === 'bss' ? null : buf[p.sec].subarray(p.addr - bases[p.sec], p.addr - bases[p.sec] + p.size);
    let line = listing[listing.length - 1];
    if (!line || line.source !== s.loc.text || line.line !== s.loc.line || line.file !== s.loc.file || line.section !== p.sec) {
      line = { file: s.loc.file, line: s.loc.line, source: s.loc.text, section: p.sec, address: p.addr, size: 0, bytes: new Uint8Array(0) };
      listing.push(line);
    }
    emitStmt(s, p, env, out);
    if (out && line.bytes.length === 0) {
      line.bytes = out;
    } else if (out && out.length > 0) {
      const bytes = new Uint8Array(line.bytes.length + out.length);
      bytes.set(line.bytes);
      bytes.set(out, line.bytes.length);
      line.bytes = bytes;
    }
    line.size += p.size;
  }));
  return { text: buf.text, data: buf.data, listing };
}

/**
 * The bytes of one placed statement (instruction, data or padding) into `out` (null in .bss),
 * with `env` at its address. Also used by the linker for the statements of a pre-assembled
 * object whose bytes depend on where it is linked (toolchain/ld/fragment.ts).
 */
export function emitStmt(s: Stmt, p: Placement, env: Env, out: Uint8Array | null): void {
  switch (s.k) {
    case 'insn': {
      const operands = resolveOperands(s.def, s.ops, env, (p.addr + p.size) >>> 0);
      try {
        out!.set(wordsToBytes(encode({ def: s.def, operands })));
      } catch (e) {
        if (e instanceof EncodeError) throw new StmtError(e.message, s.col);
        throw e;
      }
      break;
    }
    case 'data': {
      const dv = new DataView(out!.buffer, out!.byteOffset, out!.byteLength);
      let at = 0;
      for (const it of s.items) {
        if (it instanceof Uint8Array) {
          out!.set(it, at);
          at += it.length;
          continue;
        }
        const v = fit(evaluate(it, env), s.size, it);
        if (s.size === 1) dv.setUint8(at, v & 0xff);
        else if (s.size === 2) dv.setUint16(at, v & 0xffff, true);
        else dv.setUint32(at, v, true);
        at += s.size;
      }
      break;
    }
    case 'space': case 'align': case 'org': {
      const fill = s.fill ? fit(evaluate(s.fill, env), 1, s.fill) & 0xff : 0;
      if (p.sec === 'bss' && fill !== 0) throw new StmtError(`.bss has no file bytes, so it cannot be filled with ${hex(fill)}`, s.fill!.col);
      out?.fill(fill);
      break;
    }
  }
}
